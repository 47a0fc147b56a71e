package probe

import (
	"os"
	"os/exec"
	"syscall"

	"golang.org/x/sys/windows"
)

// setGroup starts the command in a new process group and without a console
// window (a GUI host must not flash one on every check).
func setGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{
		CreationFlags: windows.CREATE_NEW_PROCESS_GROUP | windows.CREATE_NO_WINDOW,
	}
}

// killGroup kills the command itself only: a process group on Windows is a
// console-signal target, not a unit that can be killed, and os/exec has no
// job objects. The command's own children may survive it.
func killGroup(p *os.Process) error { return p.Kill() }
