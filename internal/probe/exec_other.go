//go:build !unix && !windows

package probe

import (
	"os"
	"os/exec"
)

// setGroup does nothing: this system has no process groups here.
func setGroup(*exec.Cmd) {}

// killGroup kills the command itself only.
func killGroup(p *os.Process) error { return p.Kill() }
