package tether

import (
	"context"
	"sync"
	"testing"
	"time"
)

// recorder keeps every event and lets a test wait for one.
type recorder struct {
	mu     sync.Mutex
	events []Event
	wake   chan struct{}
}

func newRecorder() *recorder { return &recorder{wake: make(chan struct{})} }

func (r *recorder) on(ev Event) {
	r.mu.Lock()
	r.events = append(r.events, ev)
	close(r.wake)
	r.wake = make(chan struct{})
	r.mu.Unlock()
}

func (r *recorder) all() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Event(nil), r.events...)
}

func (r *recorder) kinds(k EventKind) []Event {
	var out []Event
	for _, e := range r.all() {
		if e.Kind == k {
			out = append(out, e)
		}
	}
	return out
}

// wait returns the n-th (1-based) event that matches, waiting up to d.
func (r *recorder) wait(t testing.TB, d time.Duration, n int, match func(Event) bool) Event {
	t.Helper()
	deadline := time.After(d)
	for {
		r.mu.Lock()
		seen := 0
		for _, e := range r.events {
			if match(e) {
				seen++
				if seen == n {
					r.mu.Unlock()
					return e
				}
			}
		}
		wake := r.wake
		r.mu.Unlock()
		select {
		case <-wake:
		case <-deadline:
			t.Fatalf("no event #%d matching after %v; events: %v", n, d, summarize(r.all()))
		}
	}
}

func (r *recorder) waitKind(t testing.TB, d time.Duration, k EventKind) Event {
	t.Helper()
	return r.wait(t, d, 1, func(e Event) bool { return e.Kind == k })
}

func summarize(evs []Event) []string {
	var s []string
	for _, e := range evs {
		x := e.Kind.String()
		switch e.Kind {
		case EventStdout, EventStderr:
			if len(e.Data) > 40 {
				x += "(" + string(e.Data[:40]) + "...)"
			} else {
				x += "(" + string(e.Data) + ")"
			}
		case EventState:
			x += "(" + e.State.String() + ")"
		case EventExited:
			x += "(" + e.Signal + ")"
		case EventError, EventGaveUp:
			x += "(" + e.Err.Error() + ")"
		}
		s = append(s, x)
	}
	return s
}

// start runs s in the background; the returned func waits for Run's result.
func start(t testing.TB, s *Supervisor) func() error {
	t.Helper()
	errc := make(chan error, 1)
	go func() { errc <- s.Run(context.Background()) }()
	var once sync.Once
	var err error
	wait := func() error {
		once.Do(func() {
			select {
			case err = <-errc:
			case <-time.After(60 * time.Second):
				s.Kill()
				t.Fatal("Run did not return within 60s")
			}
		})
		return err
	}
	t.Cleanup(func() {
		s.Kill()
		wait()
	})
	return wait
}
