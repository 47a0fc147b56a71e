//go:build !unix

package tether

import "os/exec"

// newSession does nothing where there are no sessions: the descendant
// stays where it was started.
func newSession(*exec.Cmd) {}
