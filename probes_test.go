package tether

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"tether.dev/tether/internal/proctest"
)

func TestReadyHTTPAfterDelay(t *testing.T) {
	t.Parallel()
	rec := newRecorder()
	spec := helperSpec(t, "http", "{port}", "300ms", "ok")
	spec.Port = PortAuto
	spec.Ready = HTTPProbe("http://127.0.0.1:{port}/health")
	s := &Supervisor{Spec: spec, OnEvent: rec.on}
	start(t, s)
	sp := rec.waitKind(t, 10*time.Second, EventSpawned)
	r := rec.waitKind(t, 10*time.Second, EventReady)
	if sp.Port == 0 || r.After < 300*time.Millisecond || r.After > 3*time.Second {
		t.Errorf("spawned port %d, ready after %v: want a port, ready after the 300ms start", sp.Port, r.After)
	}
	// ready follows the moment it could answer closely: the helper prints
	// "listening" right after binding.
	l := rec.waitKind(t, 10*time.Second, EventStdout)
	if d := r.Time.Sub(l.Time); d > 500*time.Millisecond {
		t.Errorf("ready %v after the server listened", d)
	}
	if s.State() != StateRunning {
		t.Errorf("state %v", s.State())
	}
	s.Stop(context.Background())
	proctest.NoLeftovers(t, time.Second)
}

func TestNeverReadyRestarts(t *testing.T) {
	t.Parallel()
	rec := newRecorder()
	spec := helperSpec(t, "sleep")
	spec.Port = PortAuto
	spec.Ready = TCPProbe("127.0.0.1:{port}")
	spec.ReadyTimeout = 300 * time.Millisecond
	spec.Backoff.Initial = 10 * time.Millisecond
	s := &Supervisor{Spec: spec, OnEvent: rec.on}
	start(t, s)
	ex := rec.waitKind(t, 10*time.Second, EventExited)
	rec.wait(t, 10*time.Second, 2, func(e Event) bool { return e.Kind == EventSpawned })
	if !ex.Expected || ex.Uptime < 300*time.Millisecond {
		t.Errorf("exited %+v: want expected, after the deadline", ex)
	}
	var errEv Event
	for _, e := range rec.kinds(EventError) {
		errEv = e
	}
	if errEv.Err == nil || !errors.Is(errEv.Err, ErrNotReady) || !strings.Contains(errEv.Err.Error(), "refused") {
		t.Errorf("error event %v: want not ready, saying why (refused)", errEv.Err)
	}
	s.Stop(context.Background())
	proctest.NoLeftovers(t, time.Second)
}

// Ready, then 500, then hanging: unhealthy, restart, ready again.
func TestLivenessUnhealthyRestartsThenRecovers(t *testing.T) {
	t.Parallel()
	rec := newRecorder()
	spec := helperSpec(t, "http", "{port}", "0s", "sick,ok")
	spec.Env = append(spec.Env, "TETHER_TEST_COUNTER="+filepath.Join(t.TempDir(), "n"))
	spec.Port = PortAuto
	spec.Ready = HTTPProbe("http://127.0.0.1:{port}/health")
	spec.Live = HTTPProbe("http://127.0.0.1:{port}/health")
	spec.LiveInterval = 100 * time.Millisecond
	spec.LiveTimeout = 100 * time.Millisecond
	spec.LiveFailures = 8 // at most six 500s fit in the 500 ms phase, then timeouts
	spec.Backoff.Initial = 10 * time.Millisecond
	s := &Supervisor{Spec: spec, OnEvent: rec.on}
	start(t, s)
	u := rec.waitKind(t, 10*time.Second, EventUnhealthy)
	if u.Failures != 8 || u.Err == nil {
		t.Errorf("unhealthy %+v", u)
	}
	ex := rec.waitKind(t, 10*time.Second, EventExited)
	if !ex.Expected {
		t.Error("an unhealthy attempt's exit must be expected")
	}
	second := rec.wait(t, 10*time.Second, 2, func(e Event) bool { return e.Kind == EventReady })
	if second.Attempt != 2 {
		t.Errorf("second ready on attempt %d", second.Attempt)
	}
	var saw500 bool
	for _, e := range rec.kinds(EventError) {
		saw500 = saw500 || strings.Contains(e.Err.Error(), "500")
	}
	if !strings.Contains(u.Err.Error(), "tim") {
		t.Errorf("unhealthy error %v: want a timeout (the server hangs)", u.Err)
	}
	if !saw500 {
		t.Errorf("no liveness error mentions the 500: %v", summarize(rec.kinds(EventError)))
	}
	// Ports are fresh per attempt.
	sp := rec.kinds(EventSpawned)
	if len(sp) < 2 || sp[0].Port == sp[1].Port {
		t.Errorf("ports %d and %d: want a fresh port per attempt", sp[0].Port, sp[1].Port)
	}
	s.Stop(context.Background())
	proctest.NoLeftovers(t, time.Second)
}

// A log probe is fired only by a line of this attempt.
func TestLogReadinessPerAttempt(t *testing.T) {
	t.Parallel()
	rec := newRecorder()
	spec := helperSpec(t, "echo", "warming", "READY now")
	spec.Ready = LogProbe(regexp.MustCompile(`^READY`))
	spec.Backoff.Initial = 20 * time.Millisecond
	s := &Supervisor{Spec: spec, OnEvent: rec.on}
	start(t, s)
	rec.wait(t, 10*time.Second, 3, func(e Event) bool { return e.Kind == EventReady })
	s.Stop(context.Background())
	// Each ready comes after its own attempt's READY line.
	lastReadyLine := map[int]bool{}
	for _, e := range rec.all() {
		switch e.Kind {
		case EventStdout:
			if strings.HasPrefix(string(e.Data), "READY") {
				lastReadyLine[e.Attempt] = true
			}
		case EventReady:
			if !lastReadyLine[e.Attempt] {
				t.Errorf("attempt %d ready before its own READY line", e.Attempt)
			}
		}
	}
	// An attempt that never prints the line is never ready, though the
	// previous one did print it.
	rec2 := newRecorder()
	spec2 := helperSpec(t, "sleep")
	spec2.Ready = LogProbe(regexp.MustCompile(`^never`))
	spec2.ReadyTimeout = 200 * time.Millisecond
	s2 := &Supervisor{Spec: spec2, OnEvent: rec2.on}
	start(t, s2)
	rec2.waitKind(t, 10*time.Second, EventExited)
	if n := len(rec2.kinds(EventReady)); n != 0 {
		t.Errorf("%d ready events without a matching line", n)
	}
	s2.Stop(context.Background())
}

func TestNotifyReadiness(t *testing.T) {
	t.Parallel()
	rec := newRecorder()
	spec := helperSpec(t, "notify", "200ms")
	spec.Ready = NotifyProbe()
	s := &Supervisor{Spec: spec, OnEvent: rec.on}
	start(t, s)
	r := rec.waitKind(t, 10*time.Second, EventReady)
	if r.After < 200*time.Millisecond {
		t.Errorf("ready after %v, before READY=1 was sent", r.After)
	}
	s.Stop(context.Background())
}

func TestFixedPortInUse(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	rec := newRecorder()
	spec := helperSpec(t, "http", strconv.Itoa(port), "0s", "ok")
	spec.Port = port
	spec.Ready = HTTPProbe("http://127.0.0.1:{port}/health")
	spec.Backoff = Backoff{Initial: 50 * time.Millisecond, Max: 50 * time.Millisecond}
	s := &Supervisor{Spec: spec, OnEvent: rec.on}
	start(t, s)
	e := rec.waitKind(t, 10*time.Second, EventError)
	if !errors.Is(e.Err, ErrPortInUse) || !strings.Contains(e.Err.Error(), strconv.Itoa(port)) {
		t.Errorf("error %v: want ErrPortInUse naming the port", e.Err)
	}
	if n := len(rec.kinds(EventSpawned)); n != 0 {
		t.Errorf("spawned %d times while the port was taken", n)
	}
	ln.Close() // the old owner goes away: the next attempt starts
	r := rec.waitKind(t, 10*time.Second, EventReady)
	if r.Attempt < 2 {
		t.Errorf("ready on attempt %d", r.Attempt)
	}
	s.Stop(context.Background())
}

// Giving up on attempts that were never ready keeps both facts: the cause,
// and the last exit status (killed by the stop signal: 128+15).
func TestGiveUpNotReadyKeepsExitStatus(t *testing.T) {
	t.Parallel()
	spec := helperSpec(t, "sleep")
	spec.Port = PortAuto
	spec.Ready = TCPProbe("127.0.0.1:{port}")
	spec.ReadyTimeout = 100 * time.Millisecond
	spec.MaxRestarts = 1
	spec.Backoff.Initial = time.Millisecond
	err := (&Supervisor{Spec: spec}).Run(context.Background())
	if !errors.Is(err, ErrGaveUp) || !errors.Is(err, ErrNotReady) || ExitStatus(err) != 143 {
		t.Fatalf("Run = %v (status %d), want gave up, not ready, status 143", err, ExitStatus(err))
	}
}

// ReadyInterval caps how often the readiness probe runs; without it the
// fast schedule tries many times in the same time.
func TestReadyInterval(t *testing.T) {
	t.Parallel()
	tries := func(every time.Duration) int64 {
		var n atomic.Int64
		start := time.Now()
		spec := helperSpec(t, "sleep")
		spec.Ready = FuncProbe(func(context.Context) error {
			n.Add(1)
			if time.Since(start) < 600*time.Millisecond {
				return errors.New("not yet")
			}
			return nil
		})
		spec.ReadyInterval = every
		rec := newRecorder()
		s := &Supervisor{Spec: spec, OnEvent: rec.on}
		done := make(chan error, 1)
		go func() { done <- s.Run(context.Background()) }()
		rec.waitKind(t, 20*time.Second, EventReady)
		s.Stop(context.Background())
		<-done
		return n.Load()
	}
	if slow, fast := tries(250*time.Millisecond), tries(0); slow > 5 || fast < 3*slow {
		t.Fatalf("%d tries with ReadyInterval 250ms, %d without: want at most 5, and far more without", slow, fast)
	}
}
