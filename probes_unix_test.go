//go:build unix

package tether

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestExecProbe(t *testing.T) {
	t.Parallel()
	rec := newRecorder()
	spec := helperSpec(t, "http", "{port}", "100ms", "ok")
	spec.Port = PortAuto
	// {port} is substituted in an exec probe's arguments.
	spec.Ready = ExecProbe("sh", "-c", "test {port} -gt 0")
	s := &Supervisor{Spec: spec, OnEvent: rec.on}
	start(t, s)
	rec.waitKind(t, 10*time.Second, EventReady)
	s.Stop(context.Background())

	// An exec probe runs in the sidecar's directory: relative paths agree.
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "ready"), nil, 0o644)
	rec = newRecorder()
	spec = helperSpec(t, "sleep")
	spec.Dir = dir
	spec.Ready = ExecProbe("test", "-e", "ready")
	spec.ReadyTimeout = 5 * time.Second
	s = &Supervisor{Spec: spec, OnEvent: rec.on}
	start(t, s)
	rec.waitKind(t, 10*time.Second, EventReady)
	s.Stop(context.Background())

	// A hanging exec liveness probe is killed at its timeout and counts
	// as a failure; the attempt becomes unhealthy.
	rec = newRecorder()
	spec = helperSpec(t, "sleep")
	spec.Live = ExecProbe("sh", "-c", "sleep 100 & sleep 100")
	spec.LiveInterval = 50 * time.Millisecond
	spec.LiveTimeout = 100 * time.Millisecond
	spec.LiveFailures = 2
	s = &Supervisor{Spec: spec, OnEvent: rec.on}
	start(t, s)
	u := rec.waitKind(t, 10*time.Second, EventUnhealthy)
	if !strings.Contains(u.Err.Error(), "tim") {
		t.Errorf("unhealthy %v: want a timeout", u.Err)
	}
	s.Stop(context.Background())
	// The probe's own processes are gone (their group was killed).
	deadline := time.Now().Add(2 * time.Second)
	for {
		out := psSleep100()
		if out == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d 'sleep 100' probe processes left", out)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// psSleep100 counts live "sleep 100" processes: the exec probe's leftovers.
func psSleep100() int { return len(pidsByCommand("sleep 100")) }
