//go:build unix

package sidecar_test

import "syscall"

// newSession puts a child in a session (and process group) of its own.
func newSession() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setsid: true} }
