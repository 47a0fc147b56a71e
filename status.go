package tether

import "time"

// Status is a sidecar's situation at one moment, as Supervisor.Status
// reports it: what a host that attaches late, or a user interface that
// reloads, needs instead of replaying every event.
type Status struct {
	Name  string // the sidecar's name
	State State  // where it is in its life
	// Ready is true from the current attempt's ready event until it exits
	// or is found unhealthy.
	Ready    bool
	Pid      int       // the current attempt's process id, or 0 when none runs
	Port     int       // the current attempt's port, or 0 when none runs or it has none
	Attempt  int       // the current (or last) attempt's number; 0 before the first
	Restarts int       // restarts so far, over the whole Run
	Since    time.Time // when State began; zero before Run
}

// Status returns the sidecar's status as the events delivered so far tell
// it: a host that calls it from OnEvent gets the status right after the
// event it is handling, and one that calls it from another goroutine gets
// the status of the last event OnEvent was given (or is being given). It is
// safe from any goroutine, before, during and after Run. State, by
// contrast, may already be ahead of the events delivered.
func (s *Supervisor) Status() Status {
	if st := s.status.Load(); st != nil {
		return *st
	}
	name := s.Spec.Name
	if name == "" {
		name = baseName(s.Spec.Command)
	}
	return Status{Name: name}
}
