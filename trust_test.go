package tether

import (
	"context"
	"math"
	"testing"
	"time"
)

// A stop that arrives while a restart is stopping the old tree wins, and
// releases the Restart caller too: with Hold, Restart used to wait forever
// (issue 11 item 1), and without Hold until Run returned.
func TestStopDuringRestartReleasesRestart(t *testing.T) {
	t.Parallel()
	for _, hold := range []bool{true, false} {
		rec := newRecorder()
		spec := helperSpec(t, "stubborn")
		spec.Grace = time.Second
		s := &Supervisor{Spec: spec, OnEvent: rec.on, Hold: hold}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- s.Run(ctx) }()
		rec.waitKind(t, 10*time.Second, EventStdout)
		restarted := make(chan error, 1)
		go func() { restarted <- s.Restart(context.Background()) }()
		rec.wait(t, 10*time.Second, 1, func(e Event) bool { return e.Kind == EventState && e.State == StateStopping })
		if err := s.Stop(context.Background()); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-restarted:
			if err != nil {
				t.Errorf("hold %v: Restart overtaken by Stop = %v, want nil", hold, err)
			}
		case <-time.After(10 * time.Second):
			t.Errorf("hold %v: Restart did not return after the Stop that overtook it", hold)
		}
		if st := s.State(); st != StateStopped {
			t.Errorf("hold %v: state %v after the stop", hold, st)
		}
		if n := len(rec.kinds(EventSpawned)); n != 1 {
			t.Errorf("hold %v: %d attempts spawned; the stop must win over the restart", hold, n)
		}
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("hold %v: Run did not return", hold)
		}
	}
}

// Issue 11 item 7: a backoff near the largest Duration never overflows into
// a negative delay, whatever the jitter.
func TestBackoffHugeDurationsNeverNegative(t *testing.T) {
	huge := 2562047 * time.Hour
	for _, b := range []Backoff{
		{Initial: huge, Max: huge, Factor: 2, Jitter: 0.1},
		{Initial: huge, Max: time.Duration(math.MaxInt64), Factor: 2, Jitter: 0.5},
		{Initial: time.Second, Max: time.Duration(math.MaxInt64), Factor: 10, Jitter: 0.2},
	} {
		for _, failures := range []int{1, 2, 50, 5000} {
			for _, u := range []float64{0, 0.5, 0.999} {
				if d := b.delay(failures, u); d < 0 {
					t.Errorf("%+v: delay(%d, %v) = %v", b, failures, u, d)
				}
			}
		}
	}
	s := Spec{Command: "true", Backoff: Backoff{Initial: huge}}
	if err := s.Validate(); err == nil {
		if d := s.resolved().Backoff.delay(1, 0.999); d < 0 {
			t.Errorf("resolved %+v: delay %v", s.resolved().Backoff, d)
		}
	}
}
