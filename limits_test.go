//go:build linux

package tether

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"tether.dev/tether/internal/proctest"
)

// Where the containment in force cannot apply a limit, the attempt does not
// start: supervision gives up, naming the limit and why. Forced modes
// without a cgroup show it on any Linux.
func TestLimitsWithoutCgroupGiveUp(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		mode Containment
		edit func(*Spec)
		want string
	}{
		{ContainmentGroup, func(s *Spec) { s.MemoryMax = 64 << 20 }, "memory"},
		{ContainmentSubreaper, func(s *Spec) { s.PidsMax = 20 }, "pids 20"},
		{ContainmentGroup, func(s *Spec) { s.CPUMax = 50 }, "cpu 50%"},
	} {
		rec := newRecorder()
		dir := t.TempDir()
		spec := Spec{Command: "touch", Args: []string{filepath.Join(dir, "started")}, Containment: c.mode, Restart: RestartNever}
		c.edit(&spec)
		err := (&Supervisor{Spec: spec, OnEvent: rec.on}).Run(context.Background())
		if !errors.Is(err, ErrGaveUp) || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "only the cgroup mode") {
			t.Errorf("%v: Run = %v, want ErrGaveUp naming %q and why", c.mode, err, c.want)
		}
		if g := rec.kinds(EventGaveUp); len(g) != 1 || len(rec.kinds(EventSpawned)) != 0 {
			t.Errorf("%v: gave_up %v, spawned %d: want one gave_up and nothing spawned", c.mode, summarize(rec.all()), len(rec.kinds(EventSpawned)))
		}
		if _, err := os.Stat(filepath.Join(dir, "started")); err == nil {
			t.Errorf("%v: the sidecar ran without its limits", c.mode)
		}
	}
}

// cgroupLimitsOr skips unless this machine's cgroup v2 can take the
// controller's limits: then auto containment enforces them.
func cgroupLimitsOr(t *testing.T, controller string) {
	t.Helper()
	probe := Spec{Command: "true", Restart: RestartNever}
	switch controller {
	case "memory":
		probe.MemoryMax = 64 << 20
	case "pids":
		probe.PidsMax = 20
	}
	if err := (&Supervisor{Spec: probe}).Run(context.Background()); err != nil {
		t.Skipf("no cgroup v2 %s controller here, so nothing to enforce with (the give-up path is TestLimitsWithoutCgroupGiveUp): %v", controller, err)
	}
}

// A Python sidecar that allocates 10 MB/s under a 64 MiB limit is killed,
// reported with OOM, and restarted.
func TestMemoryMaxOOM(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("python3"); err != nil {
		t.Fatal("python3 is needed (.ci/run installs it)")
	}
	cgroupLimitsOr(t, "memory")
	rec := newRecorder()
	spec := Spec{Command: "python3", Args: []string{"-c", `
import time
hog = []
while True:
    hog.append(bytearray(b"x" * (10 << 20)))
    time.sleep(1)
`}, MemoryMax: 64 << 20, Backoff: Backoff{Initial: 10 * time.Millisecond}, Env: []string{proctest.Env(t)}}
	s := &Supervisor{Spec: spec, OnEvent: rec.on}
	start(t, s)
	ex := rec.waitKind(t, 60*time.Second, EventExited)
	if !ex.OOM || ex.Expected || ex.Signal != "KILL" {
		t.Errorf("exited %+v: want oom, not expected, KILL", ex)
	}
	if up := ex.Uptime; up < 3*time.Second {
		t.Errorf("killed after %v: 64 MiB at 10 MB/s takes about 6s", up)
	}
	rec.wait(t, 30*time.Second, 2, func(e Event) bool { return e.Kind == EventSpawned })
	s.Kill()
}

// A fork bomb under PidsMax 20 never has more than 20 processes, and is
// cleaned up whole.
func TestPidsMaxForkBomb(t *testing.T) {
	t.Parallel()
	cgroupLimitsOr(t, "pids")
	rec := newRecorder()
	spec := Spec{Command: "sh", Args: []string{"-c", `echo up; b() { sleep 30 & b; }; b`},
		PidsMax: 20, Restart: RestartNever, Env: []string{proctest.Env(t)}}
	s := &Supervisor{Spec: spec, OnEvent: rec.on}
	start(t, s)
	rec.wait(t, 30*time.Second, 1, func(e Event) bool { return e.Kind == EventStdout && string(e.Data) == "up" })
	peak := 0
	for end := time.Now().Add(2 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		peak = max(peak, len(proctest.Tagged(proctest.Tag(t))))
	}
	if peak > 20 || peak < 10 {
		t.Errorf("peak %d processes, want at most 20 (and the bomb to have reached near it)", peak)
	}
	s.Kill()
	proctest.NoLeftovers(t, 5*time.Second)
}
