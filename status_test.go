package tether

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestStatusAgreesWithEvents checks that Status, called from OnEvent, is the
// status right after the event being delivered, through spawn, ready, exit,
// backoff, a second attempt and gave_up; and that it is safe to call from
// other goroutines meanwhile.
func TestStatusAgreesWithEvents(t *testing.T) {
	spec := helperSpec(t, "exit-after", "50ms", "3")
	spec.Port = PortAuto
	spec.MaxRestarts = 1
	spec.Backoff = Backoff{Initial: 10 * time.Millisecond}
	s := &Supervisor{Spec: spec}
	type seen struct {
		ev Event
		st Status
	}
	var got []seen
	s.OnEvent = func(ev Event) { got = append(got, seen{ev, s.Status()}) }

	if st := s.Status(); st.State != StateStopped || st.Name != "exit-after" || st.Attempt != 0 {
		t.Fatalf("status before Run = %+v", st)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // a host asking from elsewhere, under -race
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
				_ = s.Status()
				time.Sleep(time.Millisecond)
			}
		}
	}()
	err := s.Run(context.Background())
	close(stop)
	wg.Wait()
	if !errors.Is(err, ErrGaveUp) {
		t.Fatalf("Run = %v, want gave up", err)
	}

	restarts := 0
	for _, g := range got {
		ev, st := g.ev, g.st
		if st.Name != "exit-after" || st.Attempt != max(ev.Attempt, 1) && ev.Kind != EventRestarting {
			t.Errorf("%v: status %+v: name or attempt disagree", ev.Kind, st)
		}
		switch ev.Kind {
		case EventSpawned:
			if st.Pid != ev.Pid || st.Port != ev.Port || st.Port == 0 || st.State != StateStarting || st.Ready {
				t.Errorf("spawned %+v: status %+v", ev, st)
			}
		case EventReady:
			if st.Pid != ev.Pid || !st.Ready || st.State != StateRunning {
				t.Errorf("ready: status %+v", st)
			}
		case EventExited:
			if st.Pid != 0 || st.Port != 0 || st.Ready {
				t.Errorf("exited: status %+v", st)
			}
		case EventRestarting:
			restarts++
			if st.Restarts != restarts {
				t.Errorf("restarting #%d: status says %d restarts", restarts, st.Restarts)
			}
		case EventState:
			if st.State != ev.State || !st.Since.Equal(ev.Time) {
				t.Errorf("state %v at %v: status %+v", ev.State, ev.Time, st)
			}
		}
	}
	final := s.Status()
	if final.State != StateFailed || final.Restarts != 1 || final.Attempt != 2 || final.Pid != 0 || final.Since.IsZero() {
		t.Fatalf("status after Run = %+v, want failed after 1 restart, attempt 2", final)
	}
	if last := got[len(got)-1].st; last != final {
		t.Fatalf("status after Run %+v differs from the last event's %+v", final, last)
	}
}

// TestCrashTail checks that an attempt's last output comes with exited
// (when tether did not stop it), gave_up, and the ExitError of Run's
// result: stdout and stderr in the order read, the last 20 lines, invalid
// UTF-8 replaced.
func TestCrashTail(t *testing.T) {
	spec := helperSpec(t, "crash", "30")
	spec.MaxRestarts = 1
	spec.Backoff = Backoff{Initial: 10 * time.Millisecond}
	rec := newRecorder()
	s := &Supervisor{Spec: spec, OnEvent: rec.on}
	err := s.Run(context.Background())

	want := []string{}
	for i := 13; i < 30; i++ {
		want = append(want, "line "+strconv.Itoa(i))
	}
	want = append(want, "Traceback (most recent call last):", "ModuleNotFoundError: No module named 'nosuchmodule'", "bad \uFFFD")
	exits := rec.kinds(EventExited)
	if len(exits) != 2 {
		t.Fatalf("%d exited events, want 2", len(exits))
	}
	for _, ev := range exits {
		if ev.Expected || !slices.Equal(ev.Tail, want) {
			t.Fatalf("exited tail = %q\nwant %q", ev.Tail, want)
		}
	}
	gu := rec.kinds(EventGaveUp)
	if len(gu) != 1 || !slices.Equal(gu[0].Tail, want) {
		t.Fatalf("gave_up events: %v", summarize(gu))
	}
	var ee *ExitError
	if !errors.Is(err, ErrGaveUp) || !errors.As(err, &ee) || !slices.Equal(ee.Tail, want) {
		t.Fatalf("Run = %v; its ExitError tail should be the same", err)
	}
	if strings.Contains(err.Error(), "Traceback") {
		t.Fatalf("the error's text should stay one line: %q", err)
	}
	for _, ev := range rec.all() {
		if ev.Tail != nil && ev.Kind != EventExited && ev.Kind != EventGaveUp {
			t.Fatalf("%v carries a tail", ev.Kind)
		}
	}
}

// TestNoTailWhenStopped: an exit tether asked for carries no tail; Run's
// ExitError for a last exit does.
func TestNoTailWhenStopped(t *testing.T) {
	rec := newRecorder()
	s := &Supervisor{Spec: helperSpec(t, "sleep"), OnEvent: rec.on}
	done := make(chan error, 1)
	go func() { done <- s.Run(context.Background()) }()
	rec.wait(t, 10*time.Second, 1, func(e Event) bool { return e.Kind == EventStdout })
	s.Stop(context.Background())
	<-done
	if ev := rec.waitKind(t, time.Second, EventExited); !ev.Expected || ev.Tail != nil {
		t.Fatalf("exited after Stop: expected %v, tail %q; want expected, no tail", ev.Expected, ev.Tail)
	}

	spec := helperSpec(t, "crash", "2")
	spec.Restart = RestartNever
	err := (&Supervisor{Spec: spec}).Run(context.Background())
	var ee *ExitError
	if !errors.As(err, &ee) || ee.Code != 1 || len(ee.Tail) != 5 || ee.Tail[0] != "line 0" {
		t.Fatalf("Run = %#v, want an ExitError with the 5-line tail", err)
	}
}
