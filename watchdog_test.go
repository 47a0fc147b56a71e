package tether

import (
	"errors"
	"strings"
	"testing"
	"time"

	"tether.dev/tether/internal/proctest"
)

// A sidecar that feeds the watchdog stays up; once it stops, it is
// unhealthy (the error says watchdog) and restarted.
func TestWatchdog(t *testing.T) {
	t.Parallel()
	rec := newRecorder()
	spec := helperSpec(t, "watchdog", "50ms", "1500ms")
	spec.Ready = NotifyProbe()
	spec.Watchdog = 500 * time.Millisecond
	spec.Grace = -1
	s := &Supervisor{Spec: spec, OnEvent: rec.on}
	start(t, s)
	un := rec.waitKind(t, 30*time.Second, EventUnhealthy)
	if un.Err == nil || !strings.Contains(un.Err.Error(), "watchdog") || un.Attempt != 1 {
		t.Fatalf("unhealthy %+v: want attempt 1 and an error that says watchdog", un)
	}
	ready := rec.waitKind(t, time.Second, EventReady)
	if fed := un.Time.Sub(ready.Time); fed < 1500*time.Millisecond {
		t.Errorf("unhealthy %v after ready: the pings for 1.5s did not keep it alive", fed)
	}
	rec.wait(t, 30*time.Second, 2, func(e Event) bool { return e.Kind == EventSpawned })
	var usec []string
	for _, e := range rec.kinds(EventStdout) {
		if v, ok := strings.CutPrefix(string(e.Data), "WATCHDOG_USEC="); ok {
			usec = append(usec, v)
		}
	}
	if len(usec) == 0 || usec[0] != "500000" {
		t.Errorf("WATCHDOG_USEC %q, want 500000", usec)
	}
	s.Kill()
	proctest.NoLeftovers(t, 5*time.Second)
}

func TestWatchdogNeedsNotify(t *testing.T) {
	for _, spec := range []Spec{
		{Command: "x", Watchdog: time.Second},
		{Command: "x", Watchdog: time.Second, Ready: TCPProbe("127.0.0.1:1")},
		{Command: "x", Watchdog: -time.Second, Ready: NotifyProbe()},
		{Command: "x", Watchdog: time.Microsecond, Ready: NotifyProbe()},
	} {
		var fe *FieldError
		if err := spec.Validate(); !errors.As(err, &fe) || fe.Field != "Watchdog" {
			t.Errorf("%v with %v: Validate = %v, want a FieldError for Watchdog", spec.Watchdog, spec.Ready, err)
		}
	}
	ok := Spec{Command: "x", Watchdog: time.Second, Ready: NotifyProbe()}
	if err := ok.Validate(); err != nil {
		t.Error(err)
	}
}
