//go:build windows

package sidecar_test

import "syscall"

// newSession puts a child in a process group of its own.
func newSession() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{CreationFlags: syscall.CREATE_NEW_PROCESS_GROUP}
}
