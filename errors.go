package tether

import (
	"errors"
	"fmt"

	"tether.dev/tether/internal/proc"
	"tether.dev/tether/internal/signame"
)

var (
	// ErrGaveUp is matched by the error Run returns when supervision gave
	// up: the restart limit was hit, or the command cannot be started.
	ErrGaveUp = errors.New("tether: gave up")
	// ErrAlreadyRunning is returned by Run while another Run of the same
	// Supervisor is in progress, or after it has ended.
	ErrAlreadyRunning = errors.New("tether: Run was already called")
	// ErrNotRunning is returned by calls that need a running supervisor.
	ErrNotRunning = errors.New("tether: not running")
	// ErrCommandNotFound is matched by a SpawnError whose command was not
	// found (exit status 127 in the shell's convention).
	ErrCommandNotFound = errors.New("command not found")
	// ErrNotExecutable is matched by a SpawnError whose command was found
	// but cannot be executed (126), or whose working directory is unusable.
	ErrNotExecutable = errors.New("cannot execute")
	// ErrNotReady is matched by the error of an attempt that missed its
	// ready deadline.
	ErrNotReady = errors.New("tether: not ready in time")
	// ErrUnhealthy is matched by the error of an attempt stopped for failed
	// liveness.
	ErrUnhealthy = errors.New("tether: unhealthy")
	// ErrNoWatcher is matched by the error event that follows the spawned
	// event of an attempt no watcher covers (its Containment ends in
	// "+no-watcher"): should the host be killed with SIGKILL, what the
	// sidecar started would survive it. The error says why and what would
	// fix it. See docs/containment.md.
	ErrNoWatcher = proc.ErrNoWatcher
	// ErrInvalidSpec is matched by every *FieldError.
	ErrInvalidSpec = errors.New("tether: invalid spec")
	// ErrPortInUse is matched by the error of an attempt whose fixed port
	// was already taken before it started: tether does not start a sidecar
	// whose probes might talk to another process (an old orphan, say) on
	// its port.
	ErrPortInUse = errors.New("tether: port already in use")
)

// ExitError reports a child that exited with a non-zero status or was
// killed by a signal.
type ExitError struct {
	Code   int    // exit status, or -1 when killed by a signal
	Signal string // the signal's name ("KILL"), or empty
	// Tail is the attempt's last output lines, as Event.Tail has them:
	// often the reason it died (a traceback). Error does not include it.
	Tail []string
}

// Error implements error.
func (e *ExitError) Error() string {
	if e.Signal != "" {
		return "tether: sidecar killed by signal " + e.Signal
	}
	return fmt.Sprintf("tether: sidecar exited with status %d", e.Code)
}

// ExitStatus is the status a shell would report: Code, or 128+N for a
// death by signal N.
func (e *ExitError) ExitStatus() int {
	if e.Signal != "" {
		if n, ok := signame.Number(e.Signal); ok {
			return 128 + n
		}
		return 128 + 9
	}
	return e.Code
}

// SpawnError reports a child that could not be started.
type SpawnError struct {
	Command string   // the command as given
	Path    string   // the resolved path, if any
	Dir     string   // the working directory
	Tried   []string // where the command was looked for
	Err     error    // the cause; ErrCommandNotFound or ErrNotExecutable when classified
	Detail  string   // what was found, why it failed
}

// Error implements error.
func (e *SpawnError) Error() string {
	msg := fmt.Sprintf("tether: start %q: %v", e.Command, e.Err)
	if e.Detail != "" {
		msg += " (" + e.Detail + ")"
	}
	return msg
}

// Unwrap returns the cause.
func (e *SpawnError) Unwrap() error { return e.Err }

// ExitStatus is 127 for a command not found, 126 for one that cannot be
// executed, 1 otherwise.
func (e *SpawnError) ExitStatus() int {
	switch {
	case errors.Is(e.Err, ErrCommandNotFound):
		return 127
	case errors.Is(e.Err, ErrNotExecutable):
		return 126
	}
	return 1
}

// ExitStatus maps Run's result to the status a command-line tool should
// exit with: 0 for nil, the child's status for an *ExitError (128+N for a
// death by signal N), 127 or 126 for a command that was not found or cannot
// be executed, a member's status for a Group's *MemberError, 1 for
// anything else.
func ExitStatus(err error) int {
	var ee *ExitError
	var se *SpawnError
	var me *MemberError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &me):
		return me.Status
	case errors.As(err, &ee):
		return ee.ExitStatus()
	case errors.As(err, &se):
		return se.ExitStatus()
	}
	return 1
}
