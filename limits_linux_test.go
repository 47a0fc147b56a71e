package tether

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
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

// cgroupLimitsOr skips unless this machine's cgroups can take the
// controller's limits (cgroup v2, or as root cgroup v1 on a hybrid layout):
// then auto containment enforces them. In CI, which runs as root on such a
// machine, it fails instead: these tests must not pass by skipping there.
func cgroupLimitsOr(t *testing.T, controller string) {
	t.Helper()
	probe := Spec{Command: "true", Restart: RestartNever}
	switch controller {
	case "memory":
		probe.MemoryMax = 64 << 20
	case "pids":
		probe.PidsMax = 20
	case "cpu":
		probe.CPUMax = 50
	}
	err := (&Supervisor{Spec: probe}).Run(context.Background())
	switch {
	case err == nil:
	case os.Getenv("CI") != "":
		// CI runs as root on a machine whose cgroups (v2, or v1 for a
		// hybrid layout) can take limits: these tests must run there.
		t.Fatalf("CI: no %s limit here: %v", controller, err)
	default:
		t.Skipf("no cgroup (v2, or v1 as root) with a %s controller here, so nothing to enforce with (the give-up path is TestLimitsWithoutCgroupGiveUp): %v", controller, err)
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
	spec := Spec{Command: "sh", Args: []string{"-c", `echo up; (b() { sleep 30 & b; }; b); exec sleep 30`},
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

// A busy loop under CPUMax 2 is throttled by the kernel (cpu.stat's
// nr_throttled) and gets about its 2 ms per 100 ms.
func TestCPUMaxThrottles(t *testing.T) {
	t.Parallel()
	cgroupLimitsOr(t, "cpu")
	rec := newRecorder()
	spec := Spec{Command: "sh", Args: []string{"-c", `echo up; while :; do :; done`},
		CPUMax: 2, Restart: RestartNever, Env: []string{proctest.Env(t)}}
	s := &Supervisor{Spec: spec, OnEvent: rec.on}
	start(t, s)
	pid := rec.waitKind(t, 30*time.Second, EventSpawned).Pid
	rec.wait(t, 30*time.Second, 1, func(e Event) bool { return e.Kind == EventStdout && string(e.Data) == "up" })
	stat := cgroupFile(t, pid, "cpu", "cpu.stat")
	for deadline := time.Now().Add(20 * time.Second); statValue(t, stat, "nr_throttled") == 0; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: never throttled in 20s", stat)
		}
	}
	const window = 1500 * time.Millisecond
	before, t0 := cpuTime(t, pid), time.Now()
	time.Sleep(window)
	used, wall := cpuTime(t, pid)-before, time.Since(t0)
	// 5% of the wall time, plus one period's quota and a clock tick.
	// 2% of the wall time, doubled for the scheduler's slack at period
	// edges, plus clock ticks (the kernel counts CPU time in 10 ms). An
	// unbounded loop gets all of a CPU on an idle machine; on one loaded
	// far past its CPUs it may get little, which is why nr_throttled, not
	// this bound, is what shows the quota.
	if limit := 2*wall/50 + 30*time.Millisecond; used > limit {
		t.Errorf("used %v of CPU in %v, want at most %v", used, wall, limit)
	}
	t.Logf("CPUMax 2: used %v of CPU in %v", used, wall)
	s.Kill()
	proctest.NoLeftovers(t, 5*time.Second)
}

// cpuTime is process pid's user and system time, from /proc/PID/stat.
func cpuTime(t *testing.T, pid int) time.Duration {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:]))
	utime, _ := strconv.Atoi(f[11])
	stime, _ := strconv.Atoi(f[12])
	return time.Duration(utime+stime) * 10 * time.Millisecond // USER_HZ is 100
}

// statValue reads one "key N" line of a cgroup stat file.
func statValue(t *testing.T, file, key string) int {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, key+" "); ok {
			n, _ := strconv.Atoi(v)
			return n
		}
	}
	t.Fatalf("%s has no %s line", file, key)
	return 0
}

// cgroupFile is the path of file in process pid's cgroup for controller:
// in the controller's cgroup v1 hierarchy when one has it, else in cgroup
// v2.
func cgroupFile(t *testing.T, pid int, controller, file string) string {
	t.Helper()
	own, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cgroup")
	if err != nil {
		t.Fatal(err)
	}
	mounts, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.SplitSeq(strings.TrimSpace(string(own)), "\n") {
		f := strings.SplitN(line, ":", 3)
		v2 := f[0] == "0" && f[1] == ""
		if !v2 && !slices.Contains(strings.Split(f[1], ","), controller) {
			continue
		}
		for m := range strings.SplitSeq(string(mounts), "\n") {
			pre, post, _ := strings.Cut(m, " - ")
			mf, pf := strings.Fields(pre), strings.Fields(post)
			if len(mf) < 5 || len(pf) < 3 {
				continue
			}
			if (v2 && pf[0] == "cgroup2") || (!v2 && pf[0] == "cgroup" && slices.Contains(strings.Split(pf[2], ","), controller)) {
				path := filepath.Join(mf[4], strings.TrimPrefix(f[2], strings.TrimSuffix(mf[3], "/")), file)
				if _, err := os.Stat(path); err == nil {
					return path
				}
			}
		}
	}
	t.Fatalf("no %s for process %d's %s cgroup", file, pid, controller)
	return ""
}
