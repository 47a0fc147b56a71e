//go:build unix

package tether

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"tether.dev/tether/internal/proctest"
)

// A crash-looping sidecar whose host stopped reading events: the loop's
// events wait in the queue, and past maxQueuedEvents no new attempt starts,
// so memory stays bounded; a Stop still ends it at once.
func TestStalledHostBoundsCrashLoop(t *testing.T) {
	t.Parallel()
	runs := filepath.Join(t.TempDir(), "runs")
	release := make(chan struct{})
	spec := Spec{Command: "sh", Args: []string{"-c", "echo x >> " + runs + "; exit 1"}, Env: []string{proctest.Env(t)},
		Backoff: Backoff{Initial: time.Millisecond, Max: time.Millisecond}}
	s := &Supervisor{Spec: spec, OnEvent: func(Event) { <-release }}
	done := make(chan error, 1)
	go func() { done <- s.Run(context.Background()) }()
	count := func() int {
		b, _ := os.ReadFile(runs)
		return strings.Count(string(b), "\n")
	}
	deadline := time.Now().Add(30 * time.Second)
	for last, still := -1, 0; still < 10; time.Sleep(100 * time.Millisecond) {
		// Still means no new attempt for a second, once one has run: a
		// loaded machine may take longer than that to start the first.
		if n := count(); n == last && n > 0 {
			still++
		} else {
			last, still = n, 0
		}
		if time.Now().After(deadline) {
			close(release)
			s.Kill()
			<-done
			t.Fatalf("attempts go on while the host reads no events: %d so far", count())
		}
	}
	if n := count(); n < 2 || n > maxQueuedEvents/4 {
		t.Errorf("%d attempts while the host read no events; want a few, at most %d", n, maxQueuedEvents/4)
	}
	stopped := make(chan error, 1)
	go func() { stopped <- s.Stop(context.Background()) }()
	for t0 := time.Now(); s.State() != StateStopped; time.Sleep(10 * time.Millisecond) {
		if time.Since(t0) > 10*time.Second {
			t.Fatalf("state %v 10s after Stop", s.State())
		}
	}
	close(release)
	if err := <-done; err != nil {
		t.Errorf("Run = %v", err)
	}
	if err := <-stopped; err != nil {
		t.Errorf("Stop = %v", err)
	}
}
