package tether

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"tether.dev/tether/internal/proctest"
)

// An idle sidecar costs few goroutines, so that a Group of a thousand stays
// small: its supervising loop and its two output readers, and on systems
// that cannot wait for an exit without one, its exit waiter. Nothing waits
// for a write or an event that has not come (each goroutine holds a stack
// of several KiB). Not parallel: it counts the process's goroutines.
func TestIdleSidecarGoroutines(t *testing.T) {
	const members = 20
	perSidecar := 3
	if runtime.GOOS != "linux" {
		perSidecar = 4 // the exit waiter
	}
	before := runtime.NumGoroutine()
	log := newGroupLog()
	g := &Group{OnEvent: log.add}
	for i := range members {
		s := helperSpec(t, "sleep")
		s.Name = fmt.Sprintf("s%d", i)
		g.Members = append(g.Members, Member{Spec: s})
	}
	runErr := make(chan error, 1)
	go func() { runErr <- g.Run(context.Background()) }()
	for i := range members {
		name := fmt.Sprintf("s%d", i)
		log.waitFor(t, name+" up", 0, func(ev Event) bool { return ev.Name == name && string(ev.Data) == "up" })
	}
	// The goroutines that delivered the events return once none waits.
	limit := before + 1 + members*perSidecar + 8 // Run, the members, slack
	deadline := time.Now().Add(10 * time.Second)
	n := runtime.NumGoroutine()
	for ; n > limit && time.Now().Before(deadline); n = runtime.NumGoroutine() {
		time.Sleep(10 * time.Millisecond)
	}
	if n > limit {
		buf := make([]byte, 1<<20)
		t.Errorf("%d idle sidecars: %d goroutines more than before, want at most %d per sidecar (+9); stacks:\n%s",
			members, n-before, perSidecar, buf[:runtime.Stack(buf, true)])
	}
	// Writes still reach a member: its writer starts when a write waits.
	if err := g.Write("s3", []byte("hello\n")); err != nil {
		t.Fatal(err)
	}
	g.Stop("test")
	if err := <-runErr; err != nil {
		t.Fatalf("Run = %v", err)
	}
	proctest.NoLeftovers(t, time.Second)
}
