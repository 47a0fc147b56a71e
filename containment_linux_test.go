package tether

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"tether.dev/tether/internal/proctest"
)

// The test binary is also a host, and so its own watcher: a process started
// as one never gets here (internal/proc's init runs it). The helper modes
// below run from init, before TestMain (other modes fall through to
// helperMain).
func init() {
	switch os.Getenv("TETHER_TEST_HELPER") {
	case "forktree":
		forkTreeMain(os.Args[1:])
		os.Exit(0)
	case "containment-host":
		containmentHostMain(os.Args[1:])
		os.Exit(0)
	}
}

// forkTreeMain is a sidecar that starts the descendants named in args (see
// startDescendant), then forks in a loop — setsid'd children when
// TETHER_TEST_FORK=setsid, children in its own group otherwise — ignoring
// SIGTERM, so that a stop has to kill it while it forks. It prints "up" once
// the descendants and the first forks are running. The loop children are
// sleep(1) processes: cheap to start, and tagged through the environment they
// inherit. It forks at most 60 of them, one every 10 ms, so that the loop is
// still going when a stop's grace period ends.
func forkTreeMain(args []string) {
	signal.Ignore(syscall.SIGTERM, syscall.SIGHUP)
	for _, how := range args {
		startDescendant(how)
	}
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	setsid := os.Getenv("TETHER_TEST_FORK") == "setsid"
	for i := range 60 {
		c := exec.Command(sleep, "1000")
		c.SysProcAttr = &syscall.SysProcAttr{Setsid: setsid}
		if err := c.Start(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(3)
		}
		if i == 4 {
			fmt.Println("up")
		}
		time.Sleep(10 * time.Millisecond)
	}
	select {}
}

// containmentHostMain is a host for the tests that kill the host: it
// supervises a forktree sidecar (args: the containment mode, then the
// descendants), prints "spawned PID CONTAINMENT" and "up" when the tree is
// up, and runs until it is killed.
func containmentHostMain(args []string) {
	var mode Containment
	if err := mode.UnmarshalText([]byte(args[0])); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	s := &Supervisor{
		Spec: Spec{
			Command:     exe,
			Args:        args[1:],
			Env:         []string{"TETHER_TEST_HELPER=forktree"},
			Containment: mode,
			Restart:     RestartNever,
		},
		OnEvent: func(e Event) {
			switch {
			case e.Kind == EventSpawned:
				fmt.Printf("spawned %d %s\n", e.Pid, e.Containment)
			case e.Kind == EventStdout && string(e.Data) == "up":
				fmt.Println("up")
			case e.Kind == EventError && errors.Is(e.Err, ErrNoWatcher):
				fmt.Printf("no-watcher %s\n", e.Err)
			case e.Kind == EventError:
				fmt.Fprintln(os.Stderr, e.Err)
			}
		},
	}
	err = s.Run(context.Background())
	fmt.Fprintln(os.Stderr, "host: Run returned:", err)
	os.Exit(1)
}

// cgroupWritable reports whether this machine gives cgroup containment (CI
// runs as root with a writable cgroup2); tests of that mode skip otherwise.
func cgroupWritable(t *testing.T) bool {
	t.Helper()
	rec := newRecorder()
	spec := helperSpec(t, "echo")
	spec.Env = append(spec.Env, "GORACE=atexit_sleep_ms=0") // -race: exit at once
	spec.Restart = RestartNever
	spec.Containment = ContainmentCgroup
	err := (&Supervisor{Spec: spec, OnEvent: rec.on}).Run(context.Background())
	return err == nil && len(rec.kinds(EventSpawned)) == 1
}

// The modes that catch every descendant, on Stop and on the host's death.
var fullModes = []Containment{ContainmentCgroup, ContainmentSubreaper}

// After Stop nothing of the tree is left, within a second: background
// children, setsid'd and double-forked ones, one that ignores SIGTERM, and a
// child forking setsid'd children in a loop while it is being stopped.
func TestContainmentStopLeavesNothing(t *testing.T) {
	t.Parallel()
	for _, mode := range append(fullModes, ContainmentGroup) {
		t.Run(mode.String(), func(t *testing.T) {
			t.Parallel()
			if mode == ContainmentCgroup && !cgroupWritable(t) {
				t.Skip("no writable cgroup v2 here")
			}
			descendants, fork := []string{"bg", "setsid", "double", "stubborn"}, "setsid"
			if mode == ContainmentGroup {
				// A process group cannot hold what leaves it: see
				// TestContainmentGroupLimits.
				descendants, fork = []string{"bg", "stubborn", "bg"}, "group"
			}
			t.Cleanup(func() { proctest.KillTagged(proctest.Tag(t)) })
			rec := newRecorder()
			spec := helperSpec(t, "forktree", descendants...)
			spec.Env = append(spec.Env, "TETHER_TEST_FORK="+fork)
			spec.Containment = mode
			spec.Grace = 200 * time.Millisecond
			s := &Supervisor{Spec: spec, OnEvent: rec.on}
			wait := start(t, s)
			rec.waitKind(t, 20*time.Second, EventStdout)
			if got, want := rec.kinds(EventSpawned)[0].Containment, mode.String()+"+watcher"; got != want {
				t.Errorf("spawned with containment %q, want %q", got, want)
			}
			if n := len(proctest.Tagged(proctest.Tag(t))); n < len(descendants)+6 {
				t.Fatalf("%d tagged processes before the stop, want at least %d", n, len(descendants)+6)
			}
			if err := s.Stop(context.Background()); err != nil {
				t.Fatal(err)
			}
			if err := wait(); err != nil {
				t.Fatal(err)
			}
			proctest.NoLeftovers(t, time.Second)
		})
	}
}

// Group mode's documented limit: a descendant that calls setsid leaves the
// group, and a stop does not reach it. (The watcher does, when the host
// dies: it finds it by its tag.)
func TestContainmentGroupLimits(t *testing.T) {
	t.Parallel()
	t.Cleanup(func() { proctest.KillTagged(proctest.Tag(t)) })
	rec := newRecorder()
	spec := helperSpec(t, "tree", "setsid", "bg")
	spec.Containment = ContainmentGroup
	spec.Grace = 100 * time.Millisecond
	s := &Supervisor{Spec: spec, OnEvent: rec.on}
	wait := start(t, s)
	rec.waitKind(t, 20*time.Second, EventStdout)
	s.Stop(context.Background())
	wait()
	if n := len(proctest.Tagged(proctest.Tag(t))); n != 1 {
		t.Errorf("%d processes left after a stop in group mode, want the 1 setsid'd escapee", n)
	}
}

// startHost starts the test binary as a host supervising a forktree sidecar
// in mode, and returns it once the tree is up, with the spawned event's pid
// and containment, and the no-watcher error it reported, if any. Without
// watcher, the host has TETHER_WATCHER=off in its environment. The test's
// cleanup kills whatever is left.
func startHost(t *testing.T, mode Containment, watcher bool, descendants ...string) (host *exec.Cmd, child int, containment, noWatcher string) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	host = exec.Command(exe, append([]string{mode.String()}, descendants...)...)
	host.Env = append(os.Environ(), "TETHER_TEST_HELPER=containment-host", proctest.Env(t), "TETHER_TEST_FORK=setsid")
	if !watcher {
		host.Env = append(host.Env, "TETHER_WATCHER=off")
	}
	host.Stderr = os.Stderr
	out, err := host.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	lines := startHostLines(t, host, out)
	timeout := time.After(20 * time.Second)
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatal("host ended before its tree was up")
			}
			if f := strings.Fields(l); len(f) == 3 && f[0] == "spawned" {
				child, _ = strconv.Atoi(f[1])
				containment = f[2]
			}
			if rest, ok := strings.CutPrefix(l, "no-watcher "); ok {
				noWatcher = rest
			}
			if l == "up" {
				return host, child, containment, noWatcher
			}
		case <-timeout:
			t.Fatal("host's tree not up after 20s")
		}
	}
}

// When the host is killed with SIGKILL, its watcher kills the whole tree —
// setsid'd and double-forked descendants and a fork loop included — and
// goes itself, in every mode (well within a second when the machine is idle).
func TestContainmentHostKilled(t *testing.T) {
	t.Parallel()
	for _, mode := range append(fullModes, ContainmentGroup) {
		t.Run(mode.String(), func(t *testing.T) {
			t.Parallel()
			if mode == ContainmentCgroup && !cgroupWritable(t) {
				t.Skip("no writable cgroup v2 here")
			}
			host, _, containment, noWatcher := startHost(t, mode, true, "bg", "setsid", "double", "stubborn")
			if noWatcher != "" {
				t.Errorf("host reported %q", noWatcher)
			}
			if want := mode.String() + "+watcher"; containment != want {
				t.Errorf("spawned with containment %q, want %q", containment, want)
			}
			// host, watcher, forktree, 4 descendants, 5+ loop children
			if n := len(proctest.Tagged(proctest.Tag(t))); n < 12 {
				t.Fatalf("%d tagged processes before the kill, want at least 12", n)
			}
			host.Process.Signal(syscall.SIGKILL)
			host.Wait()
			// Well under a second on an idle machine; the margin is for
			// a loaded one.
			proctest.NoLeftovers(t, 5*time.Second)
		})
	}
}

// A host that cannot run the watcher (here: TETHER_WATCHER=off in its
// environment) still runs its sidecars, and says so: the spawned event's
// containment ends in "+no-watcher" and an error event names the fix. Its
// death by SIGKILL takes down the direct child only (parent-death signal):
// what the docs promise for such a host.
func TestContainmentHostKilledWithoutWatcher(t *testing.T) {
	t.Parallel()
	host, child, containment, noWatcher := startHost(t, ContainmentGroup, false, "bg")
	if containment != "group+no-watcher" {
		t.Errorf("spawned with containment %q, want group+no-watcher", containment)
	}
	if !strings.Contains(noWatcher, "TETHER_WATCHER=off") || !strings.Contains(noWatcher, "unset TETHER_WATCHER") {
		t.Errorf("no-watcher error %q, want the cause and the fix", noWatcher)
	}
	host.Process.Signal(syscall.SIGKILL)
	host.Wait()
	deadline := time.Now().Add(time.Second)
	for !proctest.Zombie(child) {
		if time.Now().After(deadline) {
			t.Fatalf("the direct child %d outlived the host by 1s despite its parent-death signal", child)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if len(proctest.Tagged(proctest.Tag(t))) == 0 {
		t.Error("no descendant outlived the host: the docs say a host without the watcher leaves them")
	}
}

// python3Shim stands first on PATH for the README's program: the python3
// it runs starts a grandchild and a setsid'd grandchild, then becomes the
// real python3 with the same arguments, so the sidecar has a tree.
const python3Shim = `#!/bin/sh
sleep 600 &
setsid sleep 601 &
exec %q "$@"
`

// A Go program that does what the README's "From Go" section shows, and
// nothing more, leaves nothing behind when it is killed with SIGKILL: the
// watcher is the default, with no call to make. The test builds that
// program and kills it once its sidecar is ready and has started its
// grandchildren.
func TestREADMEHostKilled(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("python3"); err != nil {
		t.Fatal("the README's sidecar needs python3:", err)
	}
	gotool, err := exec.LookPath("go")
	if err != nil {
		t.Fatal("building the README's program needs the go command:", err)
	}
	dir := t.TempDir()
	exe := filepath.Join(dir, "host")
	build := exec.Command(gotool, "build", "-o", exe, "./examples/gohost")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	python3, err := exec.LookPath("python3")
	if err != nil {
		t.Fatal(err)
	}
	shimDir := filepath.Join(dir, "bin")
	if err := os.Mkdir(shimDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(shimDir, "python3"), []byte(fmt.Sprintf(python3Shim, python3)), 0o755); err != nil {
		t.Fatal(err)
	}
	host := exec.Command(exe)
	host.Dir = dir
	host.Env = append(os.Environ(), proctest.Env(t), "PATH="+shimDir+string(os.PathListSeparator)+os.Getenv("PATH"))
	logs, err := host.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	lines := startHostLines(t, host, logs)
	for answered, timeout := false, time.After(60*time.Second); !answered; {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatal("the host ended before its sidecar was ready")
			}
			answered = strings.Contains(l, "the server answered 200 OK")
			if strings.Contains(l, ": error: ") || strings.Contains(l, ": gave_up: ") {
				t.Errorf("host logged %q", l)
			}
		case <-timeout:
			t.Fatal("the README's program did not get an answer from its sidecar within 60s")
		}
	}
	// host, watcher, python3, two sleeps
	if n := len(proctest.Tagged(proctest.Tag(t))); n < 5 {
		t.Fatalf("%d tagged processes before the kill, want at least 5", n)
	}
	host.Process.Signal(syscall.SIGKILL)
	host.Wait()
	proctest.NoLeftovers(t, time.Second)
}

// startHostLines starts host, whose output pipe is out, kills it and what
// is left of its tree when t ends, and returns out's lines as they come
// (closed at its end).
func startHostLines(t *testing.T, host *exec.Cmd, out io.Reader) <-chan string {
	t.Helper()
	if err := host.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		host.Process.Kill()
		host.Wait()
		proctest.KillTagged(proctest.Tag(t))
	})
	lines := make(chan string, 64)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	return lines
}
