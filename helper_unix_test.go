//go:build unix

package tether

import (
	"os/exec"
	"syscall"
)

// newSession makes cmd start in a session of its own (setsid), out of its
// parent's process group.
func newSession(cmd *exec.Cmd) { cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true} }
