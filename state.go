package tether

import "fmt"

// State is where a sidecar is in its life. Every change is reported as an
// EventState, and Supervisor.State returns the current one.
type State int

const (
	// StateStopped: nothing runs. The zero State: a supervisor that has not
	// run, or that was stopped. Next: StateStarting (Run, Start).
	StateStopped State = iota
	// StateStarting: an attempt is being spawned or waits to be ready.
	// Next: StateRunning, StateBackoff (it exited or missed its ready
	// deadline), StateStopping, StateFailed (cannot be started), StateExited.
	StateStarting
	// StateRunning: the attempt is ready. Next: StateBackoff (it exited or
	// became unhealthy), StateStopping, StateExited.
	StateRunning
	// StateBackoff: waiting before the next attempt. Next: StateStarting,
	// StateStopped (a stop), StateFailed (the restart limit).
	StateBackoff
	// StateStopping: tether is stopping the attempt's tree (stop signal,
	// grace, kill). Next: StateStopped, or StateStarting for a restart.
	StateStopping
	// StateExited: the child exited and the policy does not restart it.
	// Terminal (a held supervisor may Start again).
	StateExited
	// StateFailed: supervision gave up. Terminal until an explicit Start.
	StateFailed
)

var stateNames = [...]string{"stopped", "starting", "running", "backoff", "stopping", "exited", "failed"}

// String returns the state's name ("running").
func (s State) String() string {
	if s >= 0 && int(s) < len(stateNames) {
		return stateNames[s]
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// terminal reports whether supervision has ended in s.
func (s State) terminal() bool {
	return s == StateStopped || s == StateExited || s == StateFailed
}
