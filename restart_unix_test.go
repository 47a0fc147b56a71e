//go:build unix

package tether

import (
	"context"
	"errors"
	"os"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"tether.dev/tether/internal/proc"
	"tether.dev/tether/internal/proctest"
)

func TestKill9Restarts(t *testing.T) {
	t.Parallel()
	rec := newRecorder()
	s := &Supervisor{Spec: helperSpec(t, "sleep"), OnEvent: rec.on}
	start(t, s)
	first := rec.waitKind(t, 10*time.Second, EventSpawned)
	rec.waitKind(t, 10*time.Second, EventStdout)
	syscall.Kill(first.Pid, syscall.SIGKILL)
	ex := rec.waitKind(t, 10*time.Second, EventExited)
	if ex.Signal != "KILL" || ex.Code != -1 || ex.Expected || ex.Pid != first.Pid {
		t.Errorf("exited %+v, want KILL, not expected", ex)
	}
	rs := rec.waitKind(t, 10*time.Second, EventRestarting)
	if rs.Attempt != 2 || rs.Delay < 225*time.Millisecond || rs.Delay > 275*time.Millisecond {
		t.Errorf("restarting %+v, want attempt 2 after 250ms ±10%%", rs)
	}
	second := rec.wait(t, 10*time.Second, 2, func(e Event) bool { return e.Kind == EventSpawned })
	if second.Pid == first.Pid || second.Attempt != 2 {
		t.Errorf("second spawn %+v", second)
	}
	if gap := second.Time.Sub(ex.Time); gap < rs.Delay {
		t.Errorf("restarted after %v, before the %v delay", gap, rs.Delay)
	}
	s.Stop(context.Background())
	checkSequential(t, rec.all())
	proctest.NoLeftovers(t, time.Second)
}

// The delay resets only after an attempt was ready for HealthyAfter.
func TestHealthyReset(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		script string
		want   []time.Duration
	}{
		{"sleep 0.5; exit 1", []time.Duration{10, 10, 10}}, // healthy each time: reset
		{"exit 1", []time.Duration{10, 20, 40}},            // crashes at once: grows
	} {
		rec := newRecorder()
		// sh, not the race-built test binary: its start-up time under
		// load must not blur "crashed at once" and "ran 0.5 s".
		spec := Spec{Command: "sh", Args: []string{"-c", c.script}}
		spec.Backoff = Backoff{Initial: 10 * time.Millisecond, Jitter: -1}
		spec.HealthyAfter = 250 * time.Millisecond
		s := &Supervisor{Spec: spec, OnEvent: rec.on}
		start(t, s)
		rec.wait(t, 20*time.Second, 3, func(e Event) bool { return e.Kind == EventRestarting })
		s.Stop(context.Background())
		for i, e := range rec.kinds(EventRestarting)[:3] {
			if e.Delay != c.want[i]*time.Millisecond {
				t.Errorf("%q: restart %d delay %v, want %v", c.script, i+1, e.Delay, c.want[i]*time.Millisecond)
			}
		}
	}
}

// 1,000 restarts of a child that exits at once: file descriptors,
// goroutines and memory stay flat, and no zombie is left.
func TestSoakThousandRestarts(t *testing.T) {
	if testing.Short() {
		t.Skip("soak")
	}
	fds := func() int { d, _ := os.ReadDir("/dev/fd"); return len(d) }
	var mem runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&mem)
	heap0, fd0, g0 := mem.HeapAlloc, fds(), runtime.NumGoroutine()

	var n int
	var mu sync.Mutex
	done := make(chan struct{})
	s := &Supervisor{Spec: Spec{Command: "/bin/false", Backoff: Backoff{Initial: time.Millisecond, Max: time.Millisecond}}}
	s.OnEvent = func(e Event) {
		if e.Kind == EventSpawned {
			mu.Lock()
			n++
			if n == 1001 {
				close(done)
			}
			mu.Unlock()
		}
	}
	wait := start(t, s)
	select {
	case <-done:
	case <-time.After(120 * time.Second):
		t.Fatal("1,000 restarts took over 120s")
	}
	s.Stop(context.Background())
	if err := wait(); err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&mem)
	if d := fds() - fd0; d > 2 {
		t.Errorf("%d more file descriptors after 1,000 restarts", d)
	}
	time.Sleep(50 * time.Millisecond)
	if d := runtime.NumGoroutine() - g0; d > 2 {
		t.Errorf("%d more goroutines", d)
	}
	if mem.HeapAlloc > heap0+8<<20 {
		t.Errorf("heap grew from %d to %d", heap0, mem.HeapAlloc)
	}
	if z := zombieChildren(t); len(z) != 0 {
		t.Errorf("zombie children: %v", z)
	}
}

func zombieChildren(t *testing.T) []int {
	procs, err := proc.Processes()
	if err != nil {
		t.Fatal(err)
	}
	var z []int
	for _, p := range procs {
		if p.PPid == os.Getpid() && p.Zombie {
			z = append(z, p.Pid)
		}
	}
	return z
}

// The clock and the jitter source are injected when the supervisor is
// built: the window and the jitter are tested without waiting for them.
func TestInjectedClockAndRand(t *testing.T) {
	t.Parallel()
	// Every reading of the clock is a minute later: no two restarts are
	// ever inside one 10 s window, so MaxRestarts 1 never gives up.
	var mu sync.Mutex
	fake := time.Unix(1e9, 0)
	rec := newRecorder()
	spec := Spec{Command: "/bin/false", MaxRestarts: 1, RestartWindow: 10 * time.Second,
		Backoff: Backoff{Initial: time.Millisecond, Max: time.Millisecond}}
	s := &Supervisor{Spec: spec, OnEvent: rec.on,
		now:  func() time.Time { mu.Lock(); defer mu.Unlock(); fake = fake.Add(time.Minute); return fake },
		rand: func() float64 { return 0 }, // the low end of the jitter
	}
	start(t, s)
	rec.wait(t, 10*time.Second, 5, func(e Event) bool { return e.Kind == EventSpawned })
	s.Stop(context.Background())
	if n := len(rec.kinds(EventGaveUp)); n != 0 {
		t.Errorf("gave up with restarts a minute apart")
	}
	for _, e := range rec.kinds(EventRestarting) {
		if e.Delay != 900*time.Microsecond {
			t.Errorf("delay %v, want 0.9ms (1ms -10%%)", e.Delay)
		}
	}
	// The same with a frozen clock gives up after one restart.
	rec = newRecorder()
	s = &Supervisor{Spec: spec, OnEvent: rec.on, now: func() time.Time { return time.Unix(1e9, 0) }}
	if err := s.Run(context.Background()); !errors.Is(err, ErrGaveUp) {
		t.Fatalf("Run = %v, want gave up", err)
	}
	if n := len(rec.kinds(EventSpawned)); n != 2 {
		t.Errorf("%d attempts with a frozen clock, want 2", n)
	}
}
