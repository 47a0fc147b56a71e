package tether

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
)

// envLines runs the env helper under spec changes and returns what it printed.
func envLines(t *testing.T, edit func(*Spec)) (lines []string, spawned Event) {
	t.Helper()
	rec := newRecorder()
	spec := helperSpec(t, "env", envPort, envPid, envStopRequest, envWatchdog)
	spec.Restart = RestartNever
	edit(&spec)
	if err := (&Supervisor{Spec: spec, OnEvent: rec.on}).Run(context.Background()); err != nil {
		t.Fatalf("Run: %v", err)
	}
	for _, e := range rec.kinds(EventStdout) {
		lines = append(lines, string(e.Data))
	}
	return lines, rec.kinds(EventSpawned)[0]
}

// Every sidecar learns the supervising pid, and its port when it has one;
// values inherited from an outer tether do not leak through.
func TestSidecarEnvironment(t *testing.T) {
	t.Setenv(envPort, "1")            // as if tether ran under another tether
	t.Setenv(envStopRequest, "stale") // ditto
	t.Setenv(envWatchdog, "5")
	pid := fmt.Sprint(os.Getpid())

	lines, sp := envLines(t, func(s *Spec) { s.Port = PortAuto })
	want := []string{
		fmt.Sprintf("%s=%d", envPort, sp.Port), envPid + "=" + pid,
		envStopRequest + " unset", envWatchdog + " unset",
	}
	if sp.Port == 0 || strings.Join(lines, "|") != strings.Join(want, "|") {
		t.Errorf("with an auto port: got %q, want %q", lines, want)
	}

	lines, _ = envLines(t, func(s *Spec) { s.StopRequest = "stdin:quit" })
	if want := envStopRequest + "=stdin:quit"; lines[2] != want {
		t.Errorf("with a stop request: got %q, want %q", lines[2], want)
	}

	lines, _ = envLines(t, func(*Spec) {})
	want = []string{envPort + " unset", envPid + "=" + pid, envStopRequest + " unset", envWatchdog + " unset"}
	if strings.Join(lines, "|") != strings.Join(want, "|") {
		t.Errorf("without a port: got %q, want %q", lines, want)
	}
}
