//go:build linux

package main

import (
	"strings"
	"syscall"
	"testing"
	"time"
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
	noLeftovers(t, 2*time.Second)
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
	noLeftovers(t, 2*time.Second)
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
	noLeftovers(t, 2*time.Second)
}
