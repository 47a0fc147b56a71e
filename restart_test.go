package tether

import (
	"context"
	"errors"
	"math/rand/v2"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"tether.dev/tether/internal/proctest"
)

func TestBackoffDelay(t *testing.T) {
	t.Parallel()
	def := (&Spec{Command: "x"}).resolved().Backoff
	ms := time.Millisecond
	for _, c := range []struct {
		b        Backoff
		failures int
		u        float64
		want     time.Duration
	}{
		{def, 1, 0.5, 250 * ms},
		{def, 2, 0.5, 500 * ms},
		{def, 3, 0.5, 1000 * ms},
		{def, 4, 0.5, 2000 * ms},
		{def, 7, 0.5, 16000 * ms},
		{def, 8, 0.5, 30000 * ms}, // 32 s capped
		{def, 1000, 0.5, 30000 * ms},
		{def, 1 << 30, 0.5, 30000 * ms}, // no overflow
		{def, 0, 0.5, 250 * ms},         // treated as the first
		{def, 1, 0, 225 * ms},           // -10 %
		{def, 1, 1, 275 * ms},           // +10 % (the limit)
		{def, 8, 0, 27000 * ms},         // jitter applies to the cap too
		{Backoff{Initial: 100 * ms, Max: time.Minute, Factor: 1.5}, 3, 0.5, 225 * ms},
		{Backoff{Initial: 10 * ms, Max: 10 * ms, Factor: 2}, 5, 0.5, 10 * ms},
	} {
		if got := c.b.delay(c.failures, c.u); got != c.want {
			t.Errorf("%+v.delay(%d, %v) = %v, want %v", c.b, c.failures, c.u, got, c.want)
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 10000 {
		n := 1 + r.IntN(10)
		base := def.delay(n, 0.5)
		d := def.delay(n, r.Float64())
		if float64(d) < 0.9*float64(base)-1 || float64(d) > 1.1*float64(base)+1 {
			t.Fatalf("delay %v outside ±10%% of %v", d, base)
		}
	}
}

func TestDefaultsResolved(t *testing.T) {
	t.Parallel()
	r := (&Spec{Command: "/usr/bin/python3"}).resolved()
	if r.Name != "python3" || r.Grace != 5*time.Second || r.ReadyTimeout != 30*time.Second ||
		r.HealthyAfter != 30*time.Second || r.RestartWindow != time.Minute || r.LiveFailures != 3 ||
		r.LiveInterval != 5*time.Second || r.LiveTimeout != 2*time.Second || r.StopSignal != syscall.SIGTERM ||
		r.Backoff != (Backoff{Initial: 250 * time.Millisecond, Max: 30 * time.Second, Factor: 2, Jitter: 0.1}) {
		t.Errorf("resolved %+v", r)
	}
	if (Spec{Command: "x", Backoff: Backoff{Jitter: -1}}).resolvedJitter() != 0 {
		t.Error("negative jitter must mean none")
	}
}

func (s Spec) resolvedJitter() float64 { return s.resolved().Backoff.Jitter }

// checkSequential fails if two attempts ever overlapped: every spawned must
// be followed by its exited before the next spawned.
func checkSequential(t *testing.T, evs []Event) {
	t.Helper()
	live := 0
	for _, e := range evs {
		switch e.Kind {
		case EventSpawned:
			if live != 0 {
				t.Fatalf("attempt %d spawned while attempt %d runs", e.Attempt, live)
			}
			live = e.Attempt
		case EventExited:
			if e.Attempt != live {
				t.Fatalf("exited attempt %d, live %d", e.Attempt, live)
			}
			live = 0
		}
	}
}

// A crash loop: delays grow 50, 100, 200, 400, 400 ms and the gaps match.
func TestCrashLoopBackoff(t *testing.T) {
	t.Parallel()
	rec := newRecorder()
	spec := helperSpec(t, "exit", "1")
	spec.Backoff = Backoff{Initial: 50 * time.Millisecond, Max: 400 * time.Millisecond, Jitter: -1}
	s := &Supervisor{Spec: spec, OnEvent: rec.on}
	start(t, s)
	rec.wait(t, 20*time.Second, 6, func(e Event) bool { return e.Kind == EventSpawned })
	s.Stop(context.Background())
	evs := rec.all()
	checkSequential(t, evs)
	want := []time.Duration{50, 100, 200, 400, 400}
	var exitedAt time.Time
	i := 0
	for _, e := range evs {
		switch e.Kind {
		case EventExited:
			exitedAt = e.Time
			if e.Attempt < 6 && (e.Code != 1 || e.Expected) {
				t.Errorf("exited %+v", e)
			}
		case EventRestarting:
			if i < len(want) && e.Delay != want[i]*time.Millisecond {
				t.Errorf("restart %d: delay %v, want %v", i+1, e.Delay, want[i]*time.Millisecond)
			}
		case EventSpawned:
			if e.Attempt == 1 {
				continue
			}
			gap := e.Time.Sub(exitedAt)
			if d := want[i] * time.Millisecond; gap < d || gap > d+500*time.Millisecond {
				t.Errorf("restart %d came %v after the exit, want %v", i+1, gap, d)
			}
			i++
		}
	}
}

func TestPolicies(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		policy   RestartPolicy
		code     string
		attempts int
		wantErr  bool
	}{
		{RestartOnFailure, "0", 1, false},
		{RestartNever, "0", 1, false},
		{RestartNever, "4", 1, true},
	} {
		rec := newRecorder()
		spec := helperSpec(t, "exit", c.code)
		spec.Restart = c.policy
		err := (&Supervisor{Spec: spec, OnEvent: rec.on}).Run(context.Background())
		if (err != nil) != c.wantErr {
			t.Errorf("%v exit %s: Run = %v", c.policy, c.code, err)
		}
		if n := len(rec.kinds(EventSpawned)); n != c.attempts {
			t.Errorf("%v exit %s: %d attempts", c.policy, c.code, n)
		}
		if last := rec.all()[len(rec.all())-1]; last.Kind != EventState || last.State != StateExited {
			t.Errorf("%v: last event %v", c.policy, summarize([]Event{last}))
		}
	}
	// on-failure restarts a failure.
	rec := newRecorder()
	spec := helperSpec(t, "exit", "1")
	spec.Restart = RestartOnFailure
	spec.Backoff.Initial = time.Millisecond
	s := &Supervisor{Spec: spec, OnEvent: rec.on}
	start(t, s)
	rec.wait(t, 10*time.Second, 3, func(e Event) bool { return e.Kind == EventSpawned })
	s.Stop(context.Background())
}

func TestRestartWindowGivesUp(t *testing.T) {
	t.Parallel()
	rec := newRecorder()
	spec := helperSpec(t, "exit", "5")
	spec.MaxRestarts = 3
	spec.RestartWindow = time.Minute
	spec.Backoff.Initial = time.Millisecond
	err := (&Supervisor{Spec: spec, OnEvent: rec.on}).Run(context.Background())
	var ee *ExitError
	if !errors.Is(err, ErrGaveUp) || !errors.As(err, &ee) || ee.Code != 5 || ExitStatus(err) != 5 {
		t.Fatalf("Run = %v, want gave up with status 5", err)
	}
	if n := len(rec.kinds(EventSpawned)); n != 4 {
		t.Errorf("%d attempts, want 4 (3 restarts)", n)
	}
	g := rec.kinds(EventGaveUp)
	if len(g) != 1 || g[0].Restarts != 3 || !strings.Contains(g[0].Err.Error(), "more than 3 restarts") {
		t.Errorf("gave_up %v", summarize(g))
	}
}

func TestManualRestart(t *testing.T) {
	t.Parallel()
	rec := newRecorder()
	s := &Supervisor{Spec: helperSpec(t, "cooperative"), OnEvent: rec.on}
	start(t, s)
	first := rec.waitKind(t, 10*time.Second, EventSpawned)
	rec.waitKind(t, 10*time.Second, EventStdout)
	if err := s.Restart(context.Background()); err != nil {
		t.Fatal(err)
	}
	second := rec.wait(t, time.Second, 2, func(e Event) bool { return e.Kind == EventSpawned })
	ex := rec.waitKind(t, time.Second, EventExited)
	if !ex.Expected || ex.Code != 0 || ex.Pid != first.Pid || second.Attempt != 2 {
		t.Errorf("exited %+v, second %+v", ex, second)
	}
	if rs := rec.waitKind(t, time.Second, EventRestarting); rs.Delay != 0 {
		t.Errorf("manual restart waited %v", rs.Delay)
	}
	s.Stop(context.Background())
	checkSequential(t, rec.all())
}

func TestStopDuringBackoffReturnsAtOnce(t *testing.T) {
	t.Parallel()
	rec := newRecorder()
	spec := helperSpec(t, "exit", "1")
	spec.Backoff.Initial = time.Hour
	spec.Backoff.Max = time.Hour
	s := &Supervisor{Spec: spec, OnEvent: rec.on}
	wait := start(t, s)
	rec.waitKind(t, 10*time.Second, EventRestarting)
	t0 := time.Now()
	if err := s.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := wait(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(t0); d > time.Second {
		t.Errorf("stop during backoff took %v", d)
	}
	if s.State() != StateStopped {
		t.Errorf("state %v", s.State())
	}
}

func TestHoldStartAfterFailed(t *testing.T) {
	t.Parallel()
	rec := newRecorder()
	spec := helperSpec(t, "exit", "1")
	spec.MaxRestarts = 1
	spec.Backoff.Initial = time.Millisecond
	s := &Supervisor{Spec: spec, OnEvent: rec.on, Hold: true}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	rec.waitKind(t, 10*time.Second, EventGaveUp)
	rec.wait(t, 10*time.Second, 1, func(e Event) bool { return e.Kind == EventState && e.State == StateFailed })
	if s.State() != StateFailed {
		t.Fatalf("state %v", s.State())
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	rec.wait(t, 10*time.Second, 2, func(e Event) bool { return e.Kind == EventGaveUp })
	sp := rec.kinds(EventSpawned)
	if len(sp) != 4 || sp[2].Attempt != 3 {
		t.Errorf("spawns %v: want 2 attempts per supervision, numbering going on", sp)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run with Hold after cancel = %v", err)
	}
	if err := s.Start(context.Background()); !errors.Is(err, ErrNotRunning) {
		t.Errorf("Start after Run = %v", err)
	}
}

// Every race between stop, restart, kill, crash and spawn: random requests
// from several goroutines. Never two attempts at once; Run returns; nothing
// is left.
func TestRaces(t *testing.T) {
	t.Parallel()
	for round := range 8 {
		rec := newRecorder()
		spec := helperSpec(t, "exit-after", "30ms", "1")
		if round%2 == 1 {
			spec = helperSpec(t, "stubborn")
			spec.Grace = 20 * time.Millisecond
		}
		spec.Backoff = Backoff{Initial: time.Millisecond, Max: 5 * time.Millisecond}
		s := &Supervisor{Spec: spec, OnEvent: rec.on, Hold: round%4 == 0}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- s.Run(ctx) }()
		var wg sync.WaitGroup
		for g := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := rand.New(rand.NewPCG(uint64(round), uint64(g)))
				for range 15 {
					time.Sleep(time.Duration(r.IntN(20)) * time.Millisecond)
					c, cc := context.WithTimeout(context.Background(), 5*time.Second)
					switch r.IntN(6) {
					case 0:
						s.Restart(c)
					case 1:
						s.Start(c)
					case 2:
						if pid := s.Pid(); pid != 0 {
							killPid(pid)
						}
					case 3:
						s.Signal(syscall.SIGTERM)
					case 4:
						s.State()
						s.Write([]byte("x"))
					case 5:
						if r.IntN(4) == 0 {
							s.Stop(c)
						}
					}
					cc()
				}
			}()
		}
		wg.Wait()
		if round%3 == 0 {
			s.Kill()
		} else {
			s.Stop(context.Background())
		}
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Fatalf("round %d: Run did not return", round)
		}
		checkSequential(t, rec.all())
	}
	proctest.NoLeftovers(t, time.Second)
}
