package tether

import (
	"errors"
	"fmt"
	"os"
	"time"

	"tether.dev/tether/internal/proc"
)

const (
	// killAfterSignal is how long a stop that began with a stop request
	// waits after the stop signal before it kills the tree.
	killAfterSignal = time.Second

	// killWait bounds the wait for a killed tree to be gone: a process
	// stuck in the kernel must not hang the stop forever.
	killWait = 5 * time.Second
)

// stopPhase is how far a stop sequence has gone.
type stopPhase int

const (
	stopIdle      stopPhase = iota // no stop begun
	stopRequested                  // the stop request was made; waiting grace
	stopSignalled                  // the stop signal was sent; waiting for the kill
	stopKilled                     // the tree was killed; waiting for it to be gone
	stopAbandoned                  // the killed tree outlived killWait
	stopDone                       // the tree is gone
)

// stopTarget is what a stop sequence acts on: one attempt's process tree.
type stopTarget interface {
	// request makes the stop request and returns where its result will
	// arrive (nil error: made; the sidecar may now exit by itself).
	request() <-chan error
	// signal sends sig to the whole tree.
	signal(sig os.Signal) error
	// kill kills the whole tree.
	kill() error
}

// clock is the stop sequence's source of time. The real one is time's; tests
// give one whose timers they fire by hand.
type clock interface {
	Now() time.Time
	NewTimer(d time.Duration) clockTimer
}

// clockTimer is a timer of a clock.
type clockTimer interface {
	C() <-chan time.Time
	Stop() bool
}

// realClock is the wall clock.
type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) NewTimer(d time.Duration) clockTimer { return realTimer{time.NewTimer(d)} }

type realTimer struct{ t *time.Timer }

func (t realTimer) C() <-chan time.Time { return t.t.C }
func (t realTimer) Stop() bool          { return t.t.Stop() }

// stopSeq is the stop of one attempt's tree, step by step:
//
//	without a stop request: stop signal → grace → kill
//	with one:               request → grace → stop signal → 1s → kill
//
// and, after the kill, up to killWait for the tree to be gone. A failed
// request is reported and the sequence goes on to the signal at once, with
// the kill at the end of grace (at least 1s after the signal). A grace of
// zero kills at once. Only the goroutine watching the attempt calls its
// methods; it selects on Deadline and Requested and calls Expire and
// RequestDone when they fire.
type stopSeq struct {
	target     stopTarget
	clock      clock
	withReq    bool      // a stop request is configured
	stopSignal os.Signal // the stop signal
	grace      time.Duration
	report     func(error) // an error event for a step that failed

	phase    stopPhase
	graceEnd time.Time
	timer    clockTimer
	pending  <-chan error // the request's result, until it arrives
}

// Phase returns how far the sequence has gone.
func (s *stopSeq) Phase() stopPhase { return s.phase }

// Begun reports whether the stop has begun.
func (s *stopSeq) Begun() bool { return s.phase != stopIdle }

// Deadline fires when the current step's time is up; nil when none runs.
func (s *stopSeq) Deadline() <-chan time.Time {
	if s.timer == nil {
		return nil
	}
	return s.timer.C()
}

// Requested delivers the stop request's result; nil when none is pending.
func (s *stopSeq) Requested() <-chan error { return s.pending }

// Begin starts the stop. request says whether to make the stop request
// (false when the sidecar has exited already: only its tree is left).
func (s *stopSeq) Begin(request bool) {
	if s.phase != stopIdle {
		return
	}
	switch {
	case s.grace <= 0:
		s.Kill()
	case s.withReq && request:
		s.phase = stopRequested
		s.graceEnd = s.clock.Now().Add(s.grace)
		s.pending = s.target.request()
		s.arm(s.grace)
	default:
		s.sendSignal(s.grace)
	}
}

// RequestDone takes the stop request's result: a failure is reported and
// the signal follows at once.
// A failure that comes once grace has run out (a POST that timed out with
// it) is reported all the same.
func (s *stopSeq) RequestDone(err error) {
	s.pending = nil
	if err == nil {
		return
	}
	s.report(fmt.Errorf("tether: stop request: %w", err))
	if s.phase == stopRequested {
		s.sendSignal(max(s.graceEnd.Sub(s.clock.Now()), killAfterSignal))
	}
}

// Expire moves on when Deadline has fired. It reports true when the tree
// outlived the kill and the attempt must give up waiting for it.
func (s *stopSeq) Expire() (abandon bool) {
	s.timer = nil
	switch s.phase {
	case stopRequested:
		s.sendSignal(killAfterSignal)
	case stopSignalled:
		s.Kill()
	case stopKilled:
		s.phase = stopAbandoned
		s.report(errors.New("tether: processes of the tree survived SIGKILL for 5s; giving up on them"))
		return true
	}
	return false
}

// Kill kills the tree now, whatever step the sequence is at.
func (s *stopSeq) Kill() {
	if s.phase >= stopKilled {
		return
	}
	s.phase = stopKilled
	s.pending = nil
	if err := s.target.kill(); err != nil {
		s.report(fmt.Errorf("tether: kill: %w", err))
	}
	s.arm(killWait)
}

// Gone ends the sequence: the tree is gone.
func (s *stopSeq) Gone() {
	s.disarm()
	s.pending = nil
	s.phase = stopDone
}

// sendSignal sends the stop signal and arms the kill after killIn; a failed
// signal kills at once.
func (s *stopSeq) sendSignal(killIn time.Duration) {
	s.phase = stopSignalled
	err := s.target.signal(s.stopSignal)
	if err != nil && !errors.Is(err, proc.ErrGroupGone) {
		s.report(fmt.Errorf("tether: stop signal: %w", err))
		s.Kill()
		return
	}
	s.arm(killIn)
}

func (s *stopSeq) arm(d time.Duration) {
	s.disarm()
	s.timer = s.clock.NewTimer(d)
}

func (s *stopSeq) disarm() {
	if s.timer != nil {
		s.timer.Stop()
		s.timer = nil
	}
}
