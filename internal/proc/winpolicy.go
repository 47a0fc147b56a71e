//go:build unix || windows

package proc

// The Windows containment policy, written in plain Go so that its tests run
// on every developer's machine. sys_windows.go applies it.

import (
	"os"
	"syscall"
)

// Process creation flags (CreateProcess, "Process Creation Flags" on MSDN).
// They are spelled out here, not taken from x/sys/windows, so that this file
// builds everywhere; sys_windows_test.go checks them against x/sys/windows.
const (
	// winCreateSuspended starts the primary thread suspended: nothing of the
	// child runs, so it cannot create a process, until it is resumed.
	winCreateSuspended uint32 = 0x00000004
	// winCreateNewProcessGroup makes the child the root of a new console
	// process group whose id is its pid, the target GenerateConsoleCtrlEvent
	// takes. It also disables CTRL+C in the child, hence CTRL_BREAK.
	winCreateNewProcessGroup uint32 = 0x00000200
	// winCreateNoWindow gives a console child a console without a window
	// instead of a new visible one when the parent has no console.
	winCreateNoWindow uint32 = 0x08000000
)

// winCreationFlags returns the creation flags for a child, given whether the
// host is attached to a console.
//
// The trade-off: a graceful stop on Windows is CTRL_BREAK_EVENT, and
// GenerateConsoleCtrlEvent reaches only processes that share the caller's
// console. A host with a console (a terminal, or a windowless console such
// as the one a GUI host gives `tether run` when it starts it with
// CREATE_NO_WINDOW) therefore lets the child inherit that console: no window
// appears, and CTRL_BREAK works. A host without any console (a GUI program
// using the library directly, a service) cannot deliver CTRL_BREAK to anyone,
// so nothing is lost by CREATE_NO_WINDOW, and it keeps a console child from
// flashing a new console window on the user's screen.
func winCreationFlags(hasConsole bool) uint32 {
	f := winCreateSuspended | winCreateNewProcessGroup
	if !hasConsole {
		f |= winCreateNoWindow
	}
	return f
}

// winAction is what a signal becomes for a job object.
type winAction int

const (
	// winUnsupported: Windows has no equivalent; the caller gets an error.
	winUnsupported winAction = iota
	// winBreak: CTRL_BREAK_EVENT to the child's console process group. Go
	// programs see it as os.Interrupt, other console programs as SIGBREAK or
	// through their console control handler.
	winBreak
	// winKill: TerminateJobObject, every process of the job at once.
	winKill
)

// String names the action, for test failures and errors.
func (a winAction) String() string {
	switch a {
	case winBreak:
		return "ctrl-break"
	case winKill:
		return "terminate-job"
	default:
		return "unsupported"
	}
}

// winSignalAction maps the signal a caller asks for to what is done on
// Windows. The stop signals (interrupt, terminate, hang-up) all become
// CTRL_BREAK_EVENT, the only graceful request a console process can be sent;
// kill terminates the job.
func winSignalAction(sig os.Signal) winAction {
	switch sig {
	case os.Interrupt, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP:
		return winBreak
	case os.Kill, syscall.SIGKILL:
		return winKill
	}
	return winUnsupported
}
