//go:build unix

package main

import (
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"tether.dev/tether/internal/proctest"
)

const sigTERM = syscall.SIGTERM

// A readiness probe: ready comes once the sidecar listens on its {port},
// not at spawn, and after_ms says how long that took.
func TestReadyProbe(t *testing.T) {
	t.Parallel()
	flags, argv := helperArgv("listen", "{port}", "300ms", "1h")
	p := startTether(t, "", runArgs(append(flags, "--port", "auto", "--ready", "tcp://127.0.0.1:{port}"), argv...)...)
	rd, _ := p.waitKind(20*time.Second, 0, "ready")
	if rd.num("after_ms") < 250 {
		t.Errorf("ready %s: before the sidecar listened", rd)
	}
	p.signal(sigTERM)
	if code := p.wait(20 * time.Second); code != 0 {
		t.Fatalf("exit status %d", code)
	}
	proctest.NoLeftovers(t, 2*time.Second)
}

// A missed ready deadline: an error event, the tree stopped (exited,
// expected), restarting; with max-restarts the last attempt's status
// (killed by TERM: 143) is tether's.
func TestReadyTimeout(t *testing.T) {
	t.Parallel()
	out, errText, code := tetherExec(t, t.TempDir(), "", "run", "--ready", "tcp://127.0.0.1:1", "--ready-timeout", "200ms",
		"--max-restarts", "1", "--backoff-initial", "10ms", "--", "sleep", "60")
	if code != 143 {
		t.Fatalf("exit status %d, want 143 (the last attempt, killed by TERM); stderr %s", code, errText)
	}
	evs := decodeAll(t, out)
	errs := ofKind(evs, "error")
	if len(errs) < 2 || !strings.Contains(errs[0].str("error"), "not ready") {
		t.Errorf("errors %v", errs)
	}
	for _, ex := range ofKind(evs, "exited") {
		if ex["expected"] != true || ex.str("signal") != "TERM" {
			t.Errorf("exited %s", ex)
		}
	}
	if len(ofKind(evs, "ready")) != 0 || len(ofKind(evs, "restarting")) != 1 || len(ofKind(evs, "gave_up")) != 1 {
		t.Errorf("events %v", kinds(evs))
	}
	proctest.NoLeftovers(t, 2*time.Second)
}

// A liveness probe that fails live_failures times in a row: unhealthy,
// the tree stopped, a restart.
func TestUnhealthy(t *testing.T) {
	t.Parallel()
	flags, argv := helperArgv("listen", "{port}", "0s", "300ms")
	p := startTether(t, "", runArgs(append(flags, "--port", "auto", "--ready", "tcp://127.0.0.1:{port}",
		"--live", "tcp://127.0.0.1:{port}", "--live-interval", "50ms", "--live-timeout", "100ms", "--live-failures", "2",
		"--backoff-initial", "10ms"), argv...)...)
	uh, i := p.waitKind(20*time.Second, 0, "unhealthy")
	if uh.num("failures") != 2 || uh.str("error") == "" || uh.num("attempt") != 1 || uh.num("pid") <= 0 {
		t.Errorf("unhealthy %s", uh)
	}
	ex, i := p.waitKind(20*time.Second, i, "exited")
	if ex["expected"] != true {
		t.Errorf("exited %s", ex)
	}
	if rs, _ := p.waitKind(20*time.Second, i, "restarting"); rs.num("attempt") != 2 {
		t.Errorf("restarting %s", rs)
	}
	p.waitFor(20*time.Second, i, "attempt 2 ready", func(e event) bool { return e.kind() == "ready" && e.num("attempt") == 2 })
	p.signal(sigTERM)
	if code := p.wait(20 * time.Second); code != 0 {
		t.Fatalf("exit status %d", code)
	}
	proctest.NoLeftovers(t, 2*time.Second)
}

// Flags that shape the sidecar, end to end: --dir, --env with {port},
// a fixed --port, an exec readiness probe, --stop-signal.
func TestRunSidecarFlags(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	p := startTether(t, "", "run", "--dir", dir, "--env", "P=val-{port}", "--port", strconv.Itoa(port),
		"--ready", fmt.Sprintf(`exec:test -e %s`, filepath.Join(dir, "ready")), "--stop-signal", "INT", "--",
		"sh", "-c", `trap 'echo got INT; exit 0' INT; echo "dir=$(pwd) env=$P arg={port}"; sleep 0.2; touch ready; while :; do sleep 0.05; done`)
	sp, _ := p.waitKind(20*time.Second, 0, "spawned")
	if sp.num("port") != port {
		t.Errorf("spawned %s, want port %d", sp, port)
	}
	rd, _ := p.waitKind(20*time.Second, 0, "ready")
	if rd.num("after_ms") < 150 {
		t.Errorf("ready %s before the exec probe could pass", rd)
	}
	want := fmt.Sprintf("dir=%s env=val-%d arg=%d", dir, port, port)
	if out := ofKind(p.all(), "stdout"); len(out) == 0 || out[0].str("line") != want {
		t.Errorf("output %v, want %q", out, want)
	}
	p.signal(sigTERM)
	if code := p.wait(20 * time.Second); code != 0 {
		t.Fatalf("exit status %d", code)
	}
	if out := ofKind(p.all(), "stdout"); out[len(out)-1].str("line") != "got INT" {
		t.Errorf("the stop signal was not INT: %v", out)
	}
	proctest.NoLeftovers(t, 2*time.Second)
}

// --grace: a sidecar that ignores the stop signal is killed, with its whole
// tree, once the grace period is over.
func TestGraceThenKill(t *testing.T) {
	t.Parallel()
	flags, argv := helperArgv("stubborn")
	p := startTether(t, "", runArgs(append(flags, "--grace", "300ms"), argv...)...)
	p.waitFor(20*time.Second, 0, "up", func(e event) bool { return e.str("line") == "up" })
	t0 := time.Now()
	p.signal(sigTERM)
	if code := p.wait(20 * time.Second); code != 0 {
		t.Fatalf("exit status %d", code)
	}
	if d := time.Since(t0); d < 250*time.Millisecond || d > 10*time.Second {
		t.Errorf("stopped after %v, want about the 300ms grace", d)
	}
	if ex := ofKind(p.all(), "exited")[0]; ex.str("signal") != "KILL" || ex["expected"] != true {
		t.Errorf("exited %s", ex)
	}
	proctest.NoLeftovers(t, 2*time.Second)
}
