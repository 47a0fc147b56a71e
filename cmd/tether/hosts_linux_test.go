package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"tether.dev/tether/internal/proctest"
)

// A log file in a read-only directory: one error event naming it, and the
// sidecar runs on, its events unaffected. (As root, tether runs as nobody,
// for whom the directory is read-only.)
func TestLogFileReadOnlyDir(t *testing.T) {
	t.Parallel()
	parent, err := os.MkdirTemp("", "tether-ro-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(parent) })
	ro := filepath.Join(parent, "ro")
	if err := os.Mkdir(ro, 0o755); err != nil {
		t.Fatal(err)
	}
	os.Chmod(ro, 0o555)
	os.Chmod(parent, 0o755)
	cmd := tetherCmd(t, parent, "run", "--name", "ticker", "--log-file", filepath.Join(ro, "t.log"), "--",
		"sh", "-c", "i=0; while :; do echo tick $i; i=$((i+1)); sleep 0.02; done")
	asNobody(t, cmd)
	p := startProc(t, cmd, false)
	e, at := p.waitKind(20*time.Second, 0, "error")
	if !strings.Contains(e.str("error"), filepath.Join(ro, "t.log")) || e.str("name") != "ticker" {
		t.Errorf("error for the read-only directory: %s", e)
	}
	// Output for well over the second after which the file is tried again.
	errAt, _ := time.Parse(time.RFC3339Nano, e.str("time"))
	_, at = p.waitFor(60*time.Second, at, "ticks 1.5s after the error", func(e event) bool {
		t, _ := time.Parse(time.RFC3339Nano, e.str("time"))
		return e.kind() == "stdout" && t.Sub(errAt) > 1500*time.Millisecond
	})
	if errs := ofKind(p.all()[:at], "error"); len(errs) != 1 {
		t.Errorf("%d error events, want 1: %v", len(errs), errs)
	}
	if n := len(ofKind(p.all(), "spawned")); n != 1 {
		t.Errorf("%d attempts: the sidecar should run on", n)
	}
	p.send(`{"cmd":"stop"}`)
	if code := p.wait(20 * time.Second); code != 0 {
		t.Errorf("exit status %d", code)
	}
	if _, err := os.Stat(filepath.Join(ro, "t.log")); err == nil {
		t.Errorf("a log file was written in the read-only directory")
	}
	proctest.NoLeftovers(t, 2*time.Second)
}
