//go:build unix

package main

import (
	"strings"
	"syscall"
	"testing"
	"time"

	"tether.dev/tether/internal/proctest"
)

// tether demo shows the whole cycle (ready, crash, backoff, restart,
// liveness failure, restart, healthy) and stops cleanly on Ctrl-C, worker
// grandchildren included.
func TestDemo(t *testing.T) {
	t.Parallel()
	p := startTether(t, "", "demo", "--output", "json")
	isAttempt := func(kind string, n int) func(event) bool {
		return func(e event) bool { return e.kind() == kind && e.num("attempt") == n }
	}
	r1, _ := p.waitFor(20*time.Second, 0, "attempt 1 ready", isAttempt("ready", 1))
	if r1.num("after_ms") < 400 {
		t.Errorf("ready %s: the readiness probe did not wait for the server", r1)
	}
	ex, i := p.waitFor(20*time.Second, 0, "attempt 1 exited", isAttempt("exited", 1))
	if ex.num("code") != 1 || ex["expected"] != false {
		t.Errorf("crash: %s", ex)
	}
	p.waitFor(20*time.Second, i, "restarting 2", isAttempt("restarting", 2))
	p.waitFor(20*time.Second, i, "attempt 2 ready", isAttempt("ready", 2))
	_, i = p.waitFor(20*time.Second, i, "attempt 2 unhealthy", isAttempt("unhealthy", 2))
	ex, i = p.waitFor(20*time.Second, i, "attempt 2 exited", isAttempt("exited", 2))
	if ex["expected"] != true {
		t.Errorf("after unhealthy: %s", ex)
	}
	p.waitFor(20*time.Second, i, "attempt 3 ready", isAttempt("ready", 3))
	p.waitFor(20*time.Second, i, "the calm line", func(e event) bool { return strings.Contains(e.str("line"), "whole cycle") })
	// The third worker must be up (its signal handler set) before the
	// stop, or it dies of the signal without a word.
	p.waitFor(20*time.Second, i, "attempt 3's worker", func(e event) bool {
		return e.num("attempt") == 3 && strings.HasPrefix(e.str("line"), "worker ") && strings.Contains(e.str("line"), "started")
	})
	p.signal(syscall.SIGINT)
	if code := p.wait(20 * time.Second); code != 0 {
		t.Fatalf("exit status %d", code)
	}
	evs := p.all()
	if s := ofKind(evs, "stopping"); len(s) != 1 || s[0].str("reason") != "signal" {
		t.Errorf("stopping %v", s)
	}
	workerBye := 0
	for _, e := range ofKind(evs, "stdout") {
		if strings.HasPrefix(e.str("line"), "worker ") && strings.Contains(e.str("line"), "got the stop signal") {
			workerBye++
		}
	}
	if workerBye < 3 {
		t.Errorf("%d workers said goodbye, want 3 (one per attempt): the tree was not stopped", workerBye)
	}
	proctest.NoLeftovers(t, 2*time.Second)
}

// The demo's text form, as a person sees it.
func TestDemoText(t *testing.T) {
	t.Parallel()
	cmd := tetherCmd(t, "", "demo", "--output", "text")
	p := startProc(t, cmd, true)
	deadline := time.Now().Add(20 * time.Second)
	for {
		p.mu.Lock()
		var out strings.Builder
		for _, l := range p.raw {
			out.Write(l)
		}
		p.mu.Unlock()
		// The output line and the ready line come from two sources (the
		// pipe and the probe), so either may be printed first.
		if strings.Contains(out.String(), "demo * ready after") &&
			strings.Contains(out.String(), "demo | serving http://127.0.0.1:") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no ready line and output line in 20s:\n%s\nstderr: %s", out.String(), p.errText())
		}
		time.Sleep(20 * time.Millisecond)
	}
	p.signal(syscall.SIGINT)
	if code := p.wait(20 * time.Second); code != 0 {
		t.Fatalf("exit status %d", code)
	}
	if !strings.Contains(p.errText(), "Ctrl-C") {
		t.Errorf("no introduction on stderr: %q", p.errText())
	}
	if !strings.Contains(p.errText(), "tether demo --ui shows the same as a live view") {
		t.Errorf("the introduction does not mention the live view: %q", p.errText())
	}
	proctest.NoLeftovers(t, 2*time.Second)
}
