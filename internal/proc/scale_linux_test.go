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
		g := startSleeper(t, l)
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

// A child waited for through OnExit costs no descriptor beyond the pidfd
// os.Process holds: every open descriptor is copied into each later child at
// fork and closed again at its exec, so a copy per child made a thousand
// starts slower, each by the thousand before it.
func TestOnExitAddsNoDescriptor(t *testing.T) {
	l := NewLauncher()
	defer l.Close()
	openFDs := func() int {
		fds, err := os.ReadDir("/proc/self/fd")
		if err != nil {
			t.Fatal(err)
		}
		return len(fds)
	}
	var groups []*Group
	exited := make(chan struct{}, 6)
	defer func() {
		for _, g := range groups {
			_ = g.Kill()
			<-exited
			_, _ = g.Wait()
			g.WaitGone(t.Context())
			g.Release()
		}
	}()
	start := func() *Group {
		g := startSleeper(t, l)
		groups = append(groups, g)
		return g
	}
	// The first watch of the process creates the epoll set.
	if !start().OnExit(func() { exited <- struct{}{} }) {
		t.Fatal("OnExit = false on Linux with pidfds")
	}
	var later []*Group
	for range 5 {
		later = append(later, start())
	}
	before := openFDs()
	for _, g := range later {
		if !g.OnExit(func() { exited <- struct{}{} }) {
			t.Fatal("OnExit = false on Linux with pidfds")
		}
	}
	if after := openFDs(); after != before {
		t.Errorf("5 children waited for through OnExit: %d descriptors open, %d before, want no more", after, before)
	}
}

// Where the host's cgroup2 tree is mounted is read from mountinfo once, not
// at every start, and read again when the host's cgroup changes or the
// cache is forgotten (after a cgroup could not be made).
func TestMountCache(t *testing.T) {
	rel := cgroupOf(os.Getpid())
	if rel == "" {
		t.Skip("not in a cgroup v2 here")
	}
	wantMnt, wantRoot, err := cgroup2Mount(rel)
	if err != nil {
		t.Skipf("no cgroup2 mount here: %v", err)
	}
	var c mountCache
	if mnt, root, err := c.lookup(rel); err != nil || mnt != wantMnt || root != wantRoot {
		t.Fatalf("lookup(%q) = %q, %q, %v; want %q, %q", rel, mnt, root, err, wantMnt, wantRoot)
	}
	// Planted: a second lookup that answers it did not read mountinfo.
	c.mnt = "/planted"
	if mnt, _, _ := c.lookup(rel); mnt != "/planted" {
		t.Errorf("second lookup read mountinfo again: %q", mnt)
	}
	if mnt, _, _ := c.lookup(rel + "/elsewhere"); mnt != wantMnt {
		t.Errorf("lookup of another cgroup answered %q, want %q", mnt, wantMnt)
	}
	c.mnt = "/planted"
	c.forget()
	if mnt, _, _ := c.lookup(rel + "/elsewhere"); mnt != wantMnt {
		t.Errorf("lookup after forget answered %q, want %q", mnt, wantMnt)
	}
}

// startSleeper starts the test binary's sleep helper, tagged with t.
func startSleeper(t *testing.T, l *Launcher) *Group {
	t.Helper()
	g, err := l.Start(Attr{
		Path: "/proc/self/exe", Args: []string{"sleep"},
		Env: append(os.Environ(), "PROC_TEST_HELPER=sleep", tagOf(t)),
	})
	if err != nil {
		t.Fatal(err)
	}
	return g
}
