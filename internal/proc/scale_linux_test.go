package proc

import (
	"errors"
	"os"
	"runtime"
	"slices"
	"syscall"
	"testing"
	"time"
)

// OnExit runs its function once the child has exited, and not before;
// Wait then reaps it at once. Children waited for this way add no goroutine
// each: one polls for all of them, and ends when none is left to wait for
// (the package's goroutine-leak check sees that).
func TestOnExit(t *testing.T) {
	l := NewLauncher()
	defer l.Close()
	const children = 10
	before := runtime.NumGoroutine()
	exited := make(chan int, children)
	var groups []*Group
	for i := range children {
		g, err := l.Start(Attr{
			Path: "/proc/self/exe", Args: []string{"sleep"},
			Env: append(os.Environ(), "PROC_TEST_HELPER=sleep", tagOf(t)),
		})
		if err != nil {
			t.Fatal(err)
		}
		groups = append(groups, g)
		if !g.OnExit(func() { exited <- i }) {
			t.Fatal("OnExit = false on Linux with pidfds")
		}
	}
	if n := runtime.NumGoroutine() - before; n > 3 {
		t.Errorf("%d children waited for: %d goroutines more, want at most 3", children, n)
	}
	select {
	case i := <-exited:
		t.Fatalf("child %d reported exited while it runs", i)
	case <-time.After(50 * time.Millisecond):
	}
	for i, g := range groups {
		if err := g.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		select {
		case got := <-exited:
			if got != i {
				t.Fatalf("killed child %d, child %d reported", i, got)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("child %d: killed, no exit reported in 20s", i)
		}
		reaped := make(chan *os.ProcessState, 1)
		go func() { st, _ := g.Wait(); reaped <- st }()
		select {
		case st := <-reaped:
			if ws, ok := st.Sys().(syscall.WaitStatus); !ok || ws.Signal() != syscall.SIGKILL {
				t.Errorf("child %d: wait status %v, want killed by SIGKILL", i, st)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("child %d: Wait blocked after OnExit ran", i)
		}
		g.WaitGone(t.Context())
		g.Release()
	}
}

// childCgroups finds the cgroups right below a cgroup from its link count
// when there are none, and by reading it when there are: removeCgroup and
// the kill of a tree both rely on it to reach nested cgroups.
func TestChildCgroups(t *testing.T) {
	t.Parallel()
	top := testCgroup(t, "children")
	if subs := childCgroups(top); len(subs) != 0 {
		t.Errorf("a new cgroup: children %q", subs)
	}
	for _, d := range []string{top + "/a", top + "/b", top + "/b/c"} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if subs := childCgroups(top); !slices.Equal(subs, []string{top + "/a", top + "/b"}) {
		t.Errorf("children %q, want a and b", subs)
	}
	if !removeCgroup(top) {
		t.Fatal("removeCgroup did not remove the nested cgroups")
	}
	if _, err := os.Stat(top); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s still there: %v", top, err)
	}
}
