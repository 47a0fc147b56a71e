package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"tether.dev/tether/internal/proctest"
)

// limitedContainment is what spawned says of an attempt with limits on
// Linux: a cgroup, with "+v1:…" when the limits are enforced through cgroup
// v1 (a hybrid layout, like CI's machine).
var limitedContainment = regexp.MustCompile(`^cgroup(\+v1:[a-z]+(,[a-z]+)*)?\+watcher$`)

// sidecarProcs counts t's tagged processes that are not tether itself or
// its watcher (both run tether's binary).
func sidecarProcs(t *testing.T) int {
	n := 0
	for _, pid := range proctest.Tagged(proctest.Tag(t)) {
		if exe, _ := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid)); exe != tetherBin {
			n++
		}
	}
	return n
}

// tether run --pids-max 20 --cpu-max 50: a fork bomb stays at 20
// processes, and the spawned event says how the limits are held.
func TestRunPidsMax(t *testing.T) {
	t.Parallel()
	if os.Geteuid() != 0 {
		t.Skip("limits need root on a hybrid cgroup layout, and a delegated cgroup v2 otherwise; CI runs as root")
	}
	p := startTether(t, "", "run", "--pids-max", "20", "--cpu-max", "50", "--restart", "never", "--",
		"sh", "-c", `echo up; (b() { sleep 30 & b; }; b); exec sleep 30`)
	sp, _ := p.waitKind(20*time.Second, 0, "spawned")
	if c := sp.str("containment"); !limitedContainment.MatchString(c) {
		t.Errorf("spawned with containment %q, want %v", c, limitedContainment)
	}
	p.waitFor(20*time.Second, 0, "up", func(e event) bool { return e.str("line") == "up" })
	peak := 0
	for end := time.Now().Add(1500 * time.Millisecond); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		peak = max(peak, sidecarProcs(t))
	}
	if peak > 20 || peak < 10 {
		t.Errorf("peak %d sidecar processes, want at most 20 (and the bomb to have reached near it)", peak)
	}
	p.send(`{"cmd":"stop"}`)
	p.wait(20 * time.Second)
	proctest.NoLeftovers(t, 5*time.Second)
}

// tether run --memory-max 64MiB: a sidecar that allocates past it is killed
// by the kernel, and exited says oom: true.
func TestRunMemoryMaxOOM(t *testing.T) {
	t.Parallel()
	if os.Geteuid() != 0 {
		t.Skip("limits need root on a hybrid cgroup layout, and a delegated cgroup v2 otherwise; CI runs as root")
	}
	if _, err := exec.LookPath("python3"); err != nil {
		t.Fatal("python3 is needed (.ci/run installs it)")
	}
	p := startTether(t, "", "run", "--memory-max", "64MiB", "--restart", "never", "--", "python3", "-c", `
import time
hog = []
while True:
    hog.append(bytearray(b"x" * (10 << 20)))
    time.sleep(0.05)
`)
	ex, _ := p.waitKind(60*time.Second, 0, "exited")
	if ex["oom"] != true || ex.str("signal") != "KILL" {
		t.Errorf("exited %s, want oom: true and signal KILL", ex)
	}
	if code := p.wait(20 * time.Second); code != 128+9 {
		t.Errorf("exit status %d, want 137", code)
	}
	proctest.NoLeftovers(t, 5*time.Second)
}

// A user (not root) cannot have limits on a hybrid layout (v1 is not
// delegated) nor without a delegated cgroup v2: the attempt does not
// start; gave_up names the limit and why; exit status 126.
func TestRunLimitsUnprivileged(t *testing.T) {
	t.Parallel()
	if os.Geteuid() != 0 {
		t.Skip("runs tether as nobody, which takes root")
	}
	dir, err := os.MkdirTemp("", "tether-nobody-") // t.TempDir's parent is closed to nobody
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o777)
	marker := dir + "/started"
	cmd := tetherCmd(t, dir, "run", "--pids-max", "20", "--", "touch", marker)
	asNobody(t, cmd)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	runBounded(t, cmd, 30*time.Second, &errb)
	if code := cmd.ProcessState.ExitCode(); code != 126 {
		t.Errorf("exit status %d, want 126; stderr %s", code, errb.String())
	}
	evs := decodeAll(t, out.String())
	g := ofKind(evs, "gave_up")
	if len(g) != 1 || !strings.Contains(g[0].str("error"), "pids 20") || !strings.Contains(g[0].str("error"), "cgroup") {
		t.Errorf("gave_up %v, want one naming the limit (pids 20) and why (cgroup)", g)
	}
	if len(ofKind(evs, "spawned")) != 0 {
		t.Errorf("spawned without its limits: %v", evs)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("the sidecar ran without its limits")
	}
}
