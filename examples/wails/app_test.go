package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"tether.dev/tether"
	"tether.dev/tether/internal/proctest"
)

// needPython skips the test where python3 is missing, except in CI, which
// installs it.
func needPython(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("python3"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("python3 is not installed; .ci/run installs it")
		}
		t.Skip("python3 is not installed: the example's sidecar is a Python program")
	}
}

// waitView waits for a view that ok accepts among those the app sends.
func waitView(t *testing.T, views <-chan View, what string, ok func(View) bool) View {
	t.Helper()
	deadline := time.After(60 * time.Second)
	var last View
	for {
		select {
		case v := <-views:
			if ok(v) {
				return v
			}
			last = v
		case <-deadline:
			t.Fatalf("%s: not seen in 60s; the last view: %+v", what, last)
		}
	}
}

// The Go side without the window: the sidecar gets ready on a port of its
// own, Crash makes it crash and tether brings it back on a new port,
// Restart restarts it, and stop leaves nothing behind. The window's own
// test is window_test.go.
func TestAppSupervisesSidecar(t *testing.T) {
	needPython(t)
	spec := sidecarSpec()
	spec.Env = append(spec.Env, proctest.Env(t))
	views := make(chan View, 1024)
	a := newApp(spec, func(string) {})
	a.start(func(v View) { views <- v })

	first := waitView(t, views, "ready", func(v View) bool { return v.Ready && v.Port != 0 })
	if first.State != "running" || first.Attempt != 1 || first.Pid == 0 {
		t.Errorf("ready view %+v", first)
	}
	if err := a.Crash(); err != nil {
		t.Fatal(err)
	}
	crashed := waitView(t, views, "ready again after the crash", func(v View) bool { return v.Ready && v.Attempt == 2 })
	if crashed.Restarts != 1 || crashed.Port == first.Port {
		t.Errorf("after the crash: %+v (first attempt on port %d)", crashed, first.Port)
	}
	lines := strings.Join(crashed.Lines, "\n")
	for _, want := range []string{"asked to crash", "exited with status 3", "restarting in", "listening on http://127.0.0.1:"} {
		if !strings.Contains(lines, want) {
			t.Errorf("the last lines lack %q:\n%s", want, lines)
		}
	}
	if len(crashed.Lines) > maxLines {
		t.Errorf("%d lines, want at most %d", len(crashed.Lines), maxLines)
	}
	if err := a.Restart(); err != nil {
		t.Fatal(err)
	}
	waitView(t, views, "ready after Restart", func(v View) bool { return v.Ready && v.Attempt == 3 })

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	a.stop(ctx)
	if st := a.Status(); st.State != "stopped" || st.Pid != 0 {
		t.Errorf("after stop: %+v", st)
	}
	proctest.NoLeftovers(t, 2*time.Second)
}

// Error events reach the window's log: a sidecar started without a watcher
// says so there, with the fix.
func TestDescribeShowsErrors(t *testing.T) {
	for _, ev := range []tether.Event{
		{Kind: tether.EventError, Err: errors.New("no watcher: raise ulimit -n")},
		{Kind: tether.EventUnhealthy, Err: errors.New("watchdog: no WATCHDOG=1 for 2s")},
	} {
		if got := describe(ev); !strings.Contains(got, ev.Err.Error()) || !strings.HasPrefix(got, ev.Kind.String()) {
			t.Errorf("describe(%v) = %q, want the kind and the error", ev.Kind, got)
		}
	}
}
