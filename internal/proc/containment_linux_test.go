package proc

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
	"golang.org/x/sys/unix"
)

// The test binary plays the children (helper modes, chosen by
// PROC_TEST_HELPER). Like any program that imports this package, it is also
// its own watcher: the package's init turns it into one when asked.
func init() {
	switch os.Getenv("PROC_TEST_HELPER") {
	case "":
		return
	case "sleep": // wait to be killed
		select {}
	case "exit7":
		os.Exit(7)
	case "tree": // args: "setsid" or "group" per child to start; "fork" loops
		tree(os.Args[1:])
	case "orphaner": // start a setsid'd sleeper, then exit: it is orphaned
		helper("sleep", true).Start()
		os.Exit(0)
	}
	os.Exit(2)
}

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// helper returns an unstarted command running the test binary in mode,
// with this process's environment (and so its tag).
func helper(mode string, setsid bool) *exec.Cmd {
	c := exec.Command("/proc/self/exe")
	c.Env = append(os.Environ(), "PROC_TEST_HELPER="+mode)
	c.SysProcAttr = &syscall.SysProcAttr{Setsid: setsid}
	return c
}

// tree starts the children args name, writes "up" on stdout, and then, with
// a "fork" argument, starts setsid'd sleep(1) children in a loop (60 at most,
// one every 10 ms) while it waits to be killed.
func tree(args []string) {
	fork := false
	for _, a := range args {
		if a == "fork" {
			fork = true
			continue
		}
		if err := helper("sleep", a == "setsid").Start(); err != nil {
			os.Exit(3)
		}
	}
	fmt.Println("up")
	if fork {
		sleep, err := exec.LookPath("sleep")
		if err != nil {
			os.Exit(3)
		}
		for range 60 {
			c := exec.Command(sleep, "1000")
			c.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
			c.Start()
			time.Sleep(10 * time.Millisecond)
		}
	}
	select {}
}

// tagOf is the environment tag of t's processes.
func tagOf(t testing.TB) string {
	return "PROC_TEST_TAG=" + strings.NewReplacer("/", "_", " ", "_").Replace(t.Name()) + "-" + strconv.Itoa(os.Getpid())
}

// taggedAs is t with a suffix to its tag, for processes that are not the
// attempt's.
type taggedAs struct {
	*testing.T
	suffix string
}

func (t *taggedAs) Name() string { return t.T.Name() + t.suffix }

// otherTag is the tag of t's processes that are not the attempt's.
func otherTag(t *testing.T) string { return tagOf(&taggedAs{t, "-other"}) }

// tagged lists live processes (not zombies) carrying t's tag.
func tagged(t testing.TB) []int {
	tag := []byte(tagOf(t) + "\x00")
	procs, err := readProcTable()
	if err != nil {
		t.Fatal(err)
	}
	var pids []int
	for _, p := range procs {
		if p.zombie || p.pid == os.Getpid() {
			continue
		}
		if env, err := procEnviron(p.pid); err == nil && strings.Contains(string(env), string(tag)) {
			pids = append(pids, p.pid)
		}
	}
	return pids
}

// waitNoneTagged fails t if t's processes are not all gone within d, and
// kills them.
func waitNoneTagged(t testing.TB, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		pids := tagged(t)
		if len(pids) == 0 {
			return
		}
		if time.Now().After(deadline) {
			killTagged(t)
			t.Fatalf("processes left after %v: %v", d, pids)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func killTagged(t testing.TB) {
	for range 50 {
		pids := tagged(t)
		if len(pids) == 0 {
			return
		}
		for _, p := range pids {
			unix.Kill(p, unix.SIGKILL)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// startTree starts a tree helper through l in mode and waits for its "up".
// Its cleanup kills and reaps it, whatever happens.
func startTree(t *testing.T, l *Launcher, a Attr, args ...string) *Group {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	a.Path = "/proc/self/exe"
	a.Args = append([]string{"tree"}, args...)
	a.Env = append(os.Environ(), "PROC_TEST_HELPER=tree", tagOf(t))
	a.Stdout = w
	g, err := l.Start(a)
	w.Close()
	if err != nil {
		t.Fatal(err)
	}
	waited := make(chan struct{})
	go func() { g.Wait(); close(waited) }()
	t.Cleanup(func() {
		g.Kill()
		<-waited
		killTagged(t)
		g.Release()
	})
	r.SetReadDeadline(time.Now().Add(20 * time.Second))
	if line, err := bufio.NewReader(r).ReadString('\n'); line != "up\n" {
		t.Fatalf("tree said %q, %v", line, err)
	}
	return g
}

// onDoomedThread runs f on a goroutine locked to an OS thread that exits
// when f returns (a goroutine that ends locked takes its thread along), and
// returns that thread's id. The main thread is never terminated that way
// (the runtime wedges it instead), so a goroutine that lands on it tries
// again.
func onDoomedThread(f func()) (tid int) {
	for {
		done := make(chan int)
		go func() {
			runtime.LockOSThread() // never unlocked on the doomed thread
			id := unix.Gettid()
			if id == unix.Getpid() {
				runtime.UnlockOSThread()
				done <- 0
				return
			}
			f()
			done <- id
		}()
		if tid = <-done; tid != 0 {
			return tid
		}
	}
}

// The parent-death signal follows the thread that forked (golang/go#27505):
// a child started from a goroutine whose locked thread then exits is killed
// at once. This control shows the pitfall is real here, and that Pdeathsig
// is armed.
func TestPdeathsigFollowsTheThread(t *testing.T) {
	t.Parallel()
	cmd := helper("sleep", false)
	cmd.Env = append(cmd.Env, tagOf(t))
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	var err error
	onDoomedThread(func() { err = cmd.Start() })
	if err != nil {
		t.Fatal(err)
	}
	defer killTagged(t)
	err = cmd.Wait()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("child ended with %v, want killed by its parent-death signal", err)
	}
}

// Through a Launcher the child survives the exit of the thread that asked
// for it: the fork happens on the launcher's own thread, which lives as long
// as the Launcher.
func TestLauncherChildOutlivesCallersThread(t *testing.T) {
	t.Parallel()
	l := NewLauncher()
	defer l.Close()
	var g *Group
	var err error
	tid := onDoomedThread(func() {
		g, err = l.Start(Attr{
			Path: "/proc/self/exe", Args: []string{"sleep"},
			Env: append(os.Environ(), "PROC_TEST_HELPER=sleep", tagOf(t)),
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { g.Wait(); close(exited) }()
	defer func() {
		g.Kill()
		<-exited
		g.Release()
	}()
	// Wait for the caller's thread to be gone for good.
	task := "/proc/self/task/" + strconv.Itoa(tid)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		if _, err := os.Stat(task); errors.Is(err, os.ErrNotExist) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the caller's locked thread did not exit")
		}
	}
	select {
	case <-exited:
		t.Fatal("the child died with the thread that asked for it")
	case <-time.After(100 * time.Millisecond):
	}
	if !g.Alive() {
		t.Fatal("child not alive")
	}
}

// Without cgroup.kill (Linux before 5.14) a cgroup is emptied member by
// member, again at every check, which wins against a fork loop.
func TestCgroupKillWithoutKillFile(t *testing.T) {
	t.Parallel()
	if !cgroupAvailable() {
		t.Skip("no writable cgroup v2 here")
	}
	l := NewLauncher()
	defer l.Close()
	g := startTree(t, l, Attr{Containment: ModeCgroup, noCgroupKill: true}, "setsid", "group", "fork")
	if !strings.HasPrefix(g.Mode(), "cgroup") {
		t.Fatalf("mode %q", g.Mode())
	}
	time.Sleep(50 * time.Millisecond) // let the loop fork
	if err := g.Kill(); err != nil {
		t.Fatal(err)
	}
	waitGone(t, g)
	waitNoneTagged(t, time.Second)
}

func cgroupAvailable() bool {
	c, err := newCgroup(Attr{}, newAttemptID())
	if err != nil {
		return false
	}
	c.release()
	return true
}

func waitGone(t *testing.T, g *Group) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for g.Alive() {
		if time.Now().After(deadline) {
			t.Fatal("unit not empty 5s after the kill")
		}
		time.Sleep(time.Millisecond)
	}
}

// A mode asked for by name that the system cannot give fails the start
// with ErrUnavailable, and not with an errno that would read as "cannot
// execute"; auto falls back to the next mode.
func TestCgroupUnavailable(t *testing.T) {
	t.Parallel()
	notCgroup := t.TempDir()
	l := NewLauncher()
	defer l.Close()
	_, err := l.Start(Attr{Path: "/proc/self/exe", Containment: ModeCgroup, cgroupParent: notCgroup})
	if !errors.Is(err, ErrUnavailable) || errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.EACCES) {
		t.Fatalf("start = %v, want ErrUnavailable without an errno in its chain", err)
	}
	if ents, _ := os.ReadDir(notCgroup); len(ents) != 0 {
		t.Errorf("left %v behind", ents)
	}
	g := startTree(t, l, Attr{cgroupParent: notCgroup})
	if !strings.HasPrefix(g.Mode(), "subreaper") {
		t.Errorf("auto without a cgroup gave %q, want subreaper", g.Mode())
	}
}

// The subreaper never takes another child's exit status, nor touches an
// orphan that is not the attempt's, while it walks and kills an attempt
// whose escapees it must find.
func TestSubreaperLeavesOtherChildrenAlone(t *testing.T) {
	t.Parallel()
	l := NewLauncher()
	defer l.Close()
	g := startTree(t, l, Attr{Containment: ModeSubreaper}, "setsid", "group", "setsid")
	if !strings.HasPrefix(g.Mode(), "subreaper") {
		t.Fatalf("mode %q", g.Mode())
	}
	// An orphan that is not the attempt's: re-parented to us, since we are
	// a subreaper now.
	orphaner := helper("orphaner", false)
	orphaner.Env = append(orphaner.Env, otherTag(t))
	if err := orphaner.Run(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { killTagged(&taggedAs{t, "-other"}) })
	// Children of ours that exit while the attempt is walked.
	var others []*exec.Cmd
	for range 5 {
		c := helper("exit7", false)
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		others = append(others, c)
	}
	for range 20 {
		g.Alive()
		g.Signal(syscall.Signal(0))
	}
	if err := g.Kill(); err != nil {
		t.Fatal(err)
	}
	waitGone(t, g)
	for _, c := range others {
		if err := c.Wait(); c.ProcessState == nil || c.ProcessState.ExitCode() != 7 {
			t.Errorf("another child's Wait = %v, want exit status 7", err)
		}
	}
	var orphan []int
	procs, _ := readProcTable()
	for _, p := range procs {
		env, _ := procEnviron(p.pid)
		if p.ppid == os.Getpid() && strings.Contains(string(env), otherTag(t)+"\x00") {
			orphan = append(orphan, p.pid)
		}
	}
	if len(orphan) != 1 {
		t.Errorf("found %d live orphans of another tree re-parented to us, want 1 untouched", len(orphan))
	}
	for _, pid := range orphan {
		unix.Kill(pid, unix.SIGKILL)
		var info unix.Siginfo
		unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED, nil)
	}
}

// The subreaper reaps the attempt's escapees it adopted: none is left a
// zombie child of the host.
func TestSubreaperReapsWhatItAdopts(t *testing.T) {
	t.Parallel()
	l := NewLauncher()
	defer l.Close()
	g := startTree(t, l, Attr{Containment: ModeSubreaper}, "setsid", "group", "setsid", "fork")
	time.Sleep(50 * time.Millisecond)
	members := tagged(t)
	if err := g.Kill(); err != nil {
		t.Fatal(err)
	}
	waitGone(t, g)
	g.Release()
	for _, pid := range members {
		if p, ok := readProcStat(pid); ok && p.zombie && p.ppid == os.Getpid() && pid != g.Pid() {
			t.Errorf("process %d of the attempt is left a zombie child of the host: %+v (leader %d)", pid, p, g.Pid())
		}
	}
}

// When the last Launcher closes with a unit not released, the watcher
// empties it — its setsid'd escapees too, found by their tag. A watcher
// killed by hand is replaced, with every record, at the next start. Not
// parallel: the watcher is shared by every Launcher of the process.
func TestWatcherEmptiesWhatIsLeft(t *testing.T) {
	l := NewLauncher()
	closed := false
	defer func() {
		if !closed {
			l.Close()
		}
	}()
	a := startTree(t, l, Attr{Containment: ModeGroup}, "setsid", "setsid")
	if a.Mode() != "group+watcher" {
		t.Fatalf("mode %q, want group+watcher", a.Mode())
	}
	host.watch.mu.Lock()
	w := host.watch.w
	host.watch.mu.Unlock()
	w.cmd.Process.Kill()
	// Gone for good (its end of the lifeline closed) once its last thread
	// has exited: a killed Go program's main thread shows Z while the
	// others are still on their way out.
	task := fmt.Sprintf("/proc/%d/task", w.cmd.Process.Pid)
	for ts, err := os.ReadDir(task); err == nil && (len(ts) > 1 || processLive(w.cmd.Process.Pid)); ts, err = os.ReadDir(task) {
		time.Sleep(time.Millisecond)
	}
	b := startTree(t, l, Attr{Containment: ModeGroup}, "setsid")
	if b.Mode() != "group+watcher" {
		t.Fatalf("mode after the watcher was killed %q, want group+watcher", b.Mode())
	}
	if n := len(tagged(t)); n != 5 {
		t.Fatalf("%d tagged processes, want 5", n)
	}
	// Neither unit is released: closing the last Launcher leaves them to
	// the watcher (and the children to their parent-death signal).
	l.Close()
	closed = true
	waitNoneTagged(t, time.Second)
}

// processLive reports whether pid names a process that is not a zombie.
func processLive(pid int) bool {
	p, ok := readProcStat(pid)
	return ok && !p.zombie
}

func TestAttemptTag(t *testing.T) {
	t.Parallel()
	env := withAttemptTag([]string{"A=1", attemptEnv + "=outer", "B=2"}, "inner")
	if got := strings.Join(env, " "); got != "A=1 B=2 "+attemptEnv+"=outer,inner" {
		t.Errorf("env %q", got)
	}
	block := []byte("A=1\x00" + attemptEnv + "=outer,inner\x00B=2\x00")
	for id, want := range map[string]string{"inner": "inner", "outer": "outer", "inn": "", "outer,inner": ""} {
		if got := taggedWith(block, func(s string) bool { return s == id }); got != want {
			t.Errorf("taggedWith %q = %q, want %q", id, got, want)
		}
	}
	if id := newAttemptID(); strings.ContainsAny(id, ", \x00") {
		t.Errorf("attempt id %q", id)
	}
}

func TestWatchRecords(t *testing.T) {
	t.Parallel()
	entries := map[string]watchEntry{}
	for _, r := range []string{
		addRecord("a", watchEntry{cgroup: "/sys/fs/cgroup/x y\"z"}),
		addRecord("a", watchEntry{pgid: 42, cgroup: "/sys/fs/cgroup/x y\"z"}),
		addRecord("b", watchEntry{pgid: 7}),
		addRecord("c", watchEntry{pgid: 8}),
		"- c\n",
		"+ broken\n",
	} {
		parseRecord(strings.TrimSuffix(r, "\n"), entries)
	}
	want := map[string]watchEntry{"a": {pgid: 42, cgroup: "/sys/fs/cgroup/x y\"z"}, "b": {pgid: 7}}
	if fmt.Sprint(entries) != fmt.Sprint(want) {
		t.Errorf("entries %v, want %v", entries, want)
	}
}

func TestProcStatAndMountinfo(t *testing.T) {
	t.Parallel()
	stat := "12 (a) b (c)) S 1 12 12 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 777 0 0"
	p, ok := parseProcStat(12, []byte(stat))
	if !ok || p.ppid != 1 || p.pgrp != 12 || p.sid != 12 || p.start != 777 || p.zombie {
		t.Errorf("parsed %+v, %v", p, ok)
	}
	if got := unescapeMountinfo(`/sys/fs/cgroup/with\040space\134x`); got != `/sys/fs/cgroup/with space\x` {
		t.Errorf("unescaped %q", got)
	}
}

// BenchmarkProcTable is the cost of one walk of the process table, which
// the subreaper pays at every check while it stops an attempt.
func BenchmarkProcTable(b *testing.B) {
	for b.Loop() {
		if _, err := readProcTable(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCgroupPopulated is the cost of one emptiness check in cgroup
// mode.
func BenchmarkCgroupPopulated(b *testing.B) {
	c, err := newCgroup(Attr{}, newAttemptID())
	if err != nil {
		b.Skip("no writable cgroup v2 here")
	}
	defer c.release()
	for b.Loop() {
		cgroupPopulated(c.dir)
	}
}

// BenchmarkStartTrue is one attempt of /bin/true from start to release, per
// mode: what each containment adds to a restart.
func BenchmarkStartTrue(b *testing.B) {
	l := NewLauncher()
	defer l.Close()
	for _, m := range []Mode{ModeGroup, ModeSubreaper, ModeCgroup} {
		b.Run(m.String(), func(b *testing.B) {
			if m == ModeCgroup && !cgroupAvailable() {
				b.Skip("no writable cgroup v2 here")
			}
			for b.Loop() {
				g, err := l.Start(Attr{Path: "/bin/true", Args: []string{"true"}, Containment: m})
				if err != nil {
					b.Fatal(err)
				}
				g.Wait()
				for g.Alive() {
				}
				g.Release()
			}
		})
	}
}

// Empty cgroups left by a host that died without a watcher are removed by
// the next host; a populated one, or a live host's, is left alone.
func TestStaleCgroupsRemoved(t *testing.T) {
	t.Parallel()
	parent := testCgroup(t, "stale")
	dead := exec.Command("/bin/true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	stale := parent + "/tether-" + strconv.Itoa(dead.Process.Pid) + ".gone"
	live := parent + "/tether-" + strconv.Itoa(os.Getppid()) + ".alive"
	for _, d := range []string{stale, stale + "/tether-1.nested", live} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	l := NewLauncher()
	defer l.Close()
	startTree(t, l, Attr{Containment: ModeCgroup, cgroupParent: parent})
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stale cgroup %s not removed: %v", stale, err)
	}
	if _, err := os.Stat(live); err != nil {
		t.Errorf("a live host's cgroup was removed: %v", err)
	}
}

// Limits need a cgroup: auto without a writable cgroup v2 or v1 does not
// fall back to an unbounded subreaper, and the forced non-cgroup modes
// refuse them. The error names the limits and why.
func TestLimitsNeedCgroup(t *testing.T) {
	t.Parallel()
	notCgroup := t.TempDir()
	l := NewLauncher()
	defer l.Close()
	lim := Limits{MemoryBytes: 64 << 20, Pids: 20}
	for _, a := range []Attr{
		{Path: "/proc/self/exe", Limits: lim, cgroupParent: notCgroup, noCgroupV1: true},
		{Path: "/proc/self/exe", Limits: lim, Containment: ModeCgroup, cgroupParent: notCgroup},
		{Path: "/proc/self/exe", Limits: lim, Containment: ModeSubreaper},
		{Path: "/proc/self/exe", Limits: lim, Containment: ModeGroup},
	} {
		g, err := l.Start(a)
		if err == nil {
			g.Kill()
			g.Wait()
			g.Release()
			t.Errorf("%v: started without its limits", a.Containment)
			continue
		}
		if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "memory 67108864 bytes, pids 20") {
			t.Errorf("%v: start = %v, want ErrUnavailable naming the limits", a.Containment, err)
		}
	}
	if ents, _ := os.ReadDir(notCgroup); len(ents) != 0 {
		t.Errorf("left %v behind", ents)
	}
}

// v1Available reports whether this machine has cgroup v1 hierarchies for
// memory, cpu and pids that we may write (root on a hybrid or v1 layout).
func v1Available() bool {
	hier, err := v1Hierarchies()
	if err != nil || os.Geteuid() != 0 {
		return false
	}
	for _, ctl := range []string{"memory", "cpu", "pids"} {
		if !slices.ContainsFunc(hier, func(h v1Hierarchy) bool { return slices.Contains(h.controllers, ctl) }) {
			return false
		}
	}
	return true
}

// needHybrid skips t unless this machine has a writable cgroup v2 and, as
// root, cgroup v1 hierarchies for memory, cpu and pids: a hybrid layout.
func needHybrid(t *testing.T) {
	t.Helper()
	if !cgroupAvailable() || !v1Available() {
		skipOrFailInCI(t, "needs a writable cgroup v2 and cgroup v1 hierarchies for memory, cpu and pids (root on a hybrid layout)")
	}
}

// skipOrFailInCI skips t, or fails it in CI, which runs as root on a
// machine with a hybrid layout: there these tests must run, not pass by
// skipping.
func skipOrFailInCI(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatal("CI: " + why)
	}
	t.Skip(why)
}

// v1CgroupOf returns the cgroup v1 path of process or thread file
// (/proc/PID/cgroup) for controller.
func v1CgroupOf(t *testing.T, file, controller string) string {
	t.Helper()
	paths, err := v1Paths(file)
	if err != nil {
		t.Fatal(err)
	}
	return paths[controller]
}

// launcherThreadsOutside fails t if a thread of this process is still in
// an attempt's cgroup v1: the launcher threads must go back after a fork.
func launcherThreadsOutside(t *testing.T) {
	t.Helper()
	tasks, _ := os.ReadDir("/proc/self/task")
	for _, task := range tasks {
		b, _ := os.ReadFile("/proc/self/task/" + task.Name() + "/cgroup")
		for line := range strings.SplitSeq(string(b), "\n") {
			if !strings.HasPrefix(line, "0::") && strings.Contains(line, "tether-") {
				t.Errorf("thread %s stayed in an attempt's cgroup: %s", task.Name(), line)
			}
		}
	}
}

// Where the attempt's cgroup v2 cannot take a limit (a hybrid layout, here
// forced), the limit goes to cgroup v1: the child is born in the attempt's
// v1 cgroups (the launcher thread enters them around the fork and leaves),
// the limits are written there, the containment says so, and the v1
// cgroups are removed with the attempt.
func TestLimitsCgroupV1(t *testing.T) {
	t.Parallel()
	needHybrid(t)
	l := NewLauncher()
	defer l.Close()
	lim := Limits{MemoryBytes: 64 << 20, CPUPercent: 150, Pids: 30}
	g := startTree(t, l, Attr{Limits: lim, noV2Controllers: true}, "group", "setsid")
	if m := g.Mode(); !strings.HasPrefix(m, "cgroup+v1:memory,cpu,pids+") {
		t.Errorf("mode %q, want cgroup+v1:memory,cpu,pids+…", m)
	}
	launcherThreadsOutside(t)
	c := g.sys.c.(*cgroup)
	want := map[string]map[string]string{
		"memory": {"memory.limit_in_bytes": "67108864"},
		"cpu":    {"cpu.cfs_quota_us": "150000", "cpu.cfs_period_us": "100000"},
		"pids":   {"pids.max": "30"},
	}
	var dirs []string
	for _, d := range c.v1.dirs {
		dirs = append(dirs, d.dir)
		for _, ctl := range d.hierarchy.controllers {
			for file, value := range want[ctl] {
				if b, err := os.ReadFile(d.dir + "/" + file); strings.TrimSpace(string(b)) != value {
					t.Errorf("%s/%s = %q, %v; want %s", d.dir, file, b, err, value)
				}
			}
		}
	}
	for _, pid := range append(tagged(t), g.Pid()) {
		for _, ctl := range []string{"memory", "cpu", "pids"} {
			if p := v1CgroupOf(t, "/proc/"+strconv.Itoa(pid)+"/cgroup", ctl); !strings.HasSuffix(p, "/tether-"+g.sys.id) {
				t.Errorf("process %d is in %s cgroup %q, want the attempt's", pid, ctl, p)
			}
		}
	}
	if err := g.Kill(); err != nil {
		t.Fatal(err)
	}
	waitGone(t, g)
	g.Release()
	for _, d := range dirs {
		if _, err := os.Stat(d); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s left after release: %v", d, err)
		}
	}
}

// Through cgroup v1, pids.max holds a fork loop at the limit (the child was
// born inside: no fork escaped in a race), and a limit of one process is
// two only while the launcher thread forks from inside.
func TestPidsMaxCgroupV1(t *testing.T) {
	t.Parallel()
	needHybrid(t)
	l := NewLauncher()
	defer l.Close()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	sh, _ := exec.LookPath("sh")
	g, err := l.Start(Attr{Path: sh, Args: []string{"sh", "-c", `echo up; b() { sleep 30 & b; }; b`}, Env: append(os.Environ(), tagOf(t)),
		Stderr: w, Stdout: w, Limits: Limits{Pids: 12}, noV2Controllers: true})
	w.Close()
	if err != nil {
		t.Fatal(err)
	}
	go g.Wait()
	t.Cleanup(func() { g.Kill(); waitGone(t, g); g.Release(); killTagged(t) })
	r.SetReadDeadline(time.Now().Add(20 * time.Second))
	br := bufio.NewReader(r)
	if line, err := br.ReadString('\n'); line != "up\n" {
		t.Fatalf("said %q, %v", line, err)
	}
	peak := 0
	for end := time.Now().Add(time.Second); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		peak = max(peak, len(tagged(t)))
	}
	if peak > 12 || peak < 6 {
		t.Errorf("peak %d processes, want at most 12 (and the loop to have reached near it)", peak)
	}
	if line, _ := br.ReadString('\n'); !strings.Contains(line, "fork") {
		t.Errorf("the shell said %q, want that it cannot fork", line)
	}

	one, err := l.Start(Attr{Path: sh, Args: []string{"sh", "-c", "exit 7"}, Limits: Limits{Pids: 1}, noV2Controllers: true})
	if err != nil {
		t.Fatalf("pids 1: %v", err)
	}
	if b, _ := os.ReadFile(one.sys.c.(*cgroup).v1.dirs[0].dir + "/pids.max"); strings.TrimSpace(string(b)) != "1" {
		t.Errorf("pids 1: pids.max %q after the fork", b)
	}
	st, err := one.Wait()
	if err != nil || st.ExitCode() != 7 {
		t.Errorf("pids 1: %v, %v; want exit 7", st, err)
	}
	one.Release()
	launcherThreadsOutside(t)
}

// Where neither cgroup v2 nor v1 can take a limit (a user's hybrid layout:
// v1 is not delegated; both forced here), the attempt does not start: the
// error names the limits and why, and nothing is left behind.
func TestLimitsWithoutCgroupV1(t *testing.T) {
	t.Parallel()
	if !cgroupAvailable() {
		t.Skip("no writable cgroup v2 here (TestLimitsNeedCgroup covers that)")
	}
	parentDir, _, err := hostCgroup()
	if err != nil {
		t.Fatal(err)
	}
	parent := parentDir + "/tether-test-" + strconv.Itoa(os.Getpid()) + "-nov1"
	if err := os.Mkdir(parent, 0o755); err != nil {
		t.Fatal(err)
	}
	defer removeCgroup(parent)
	l := NewLauncher()
	defer l.Close()
	g, err := l.Start(Attr{Path: "/proc/self/exe", Limits: Limits{MemoryBytes: 64 << 20, Pids: 20}, cgroupParent: parent, noV2Controllers: true, noCgroupV1: true})
	if err == nil {
		g.Kill()
		g.Wait()
		g.Release()
		t.Fatal("started without its limits")
	}
	for _, want := range []string{"memory 67108864 bytes, pids 20", "does not give its cgroups the memory, pids controllers", "nor can cgroup v1"} {
		if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), want) {
			t.Errorf("start = %v, want ErrUnavailable saying %q", err, want)
		}
	}
	ents, _ := os.ReadDir(parent)
	if slices.ContainsFunc(ents, os.DirEntry.IsDir) {
		t.Errorf("left a cgroup behind: %v", ents)
	}
	launcherThreadsOutside(t)
}

// Empty v1 cgroups left by a host that died are removed by the next host
// that uses the hierarchy; a live host's are left alone.
func TestStaleCgroupsV1Removed(t *testing.T) {
	t.Parallel()
	needHybrid(t)
	hier, _ := v1Hierarchies()
	h := hier[slices.IndexFunc(hier, func(h v1Hierarchy) bool { return slices.Contains(h.controllers, "pids") })]
	parent, err := h.dirOf(v1CgroupOf(t, "/proc/self/cgroup", "pids"))
	if err != nil {
		t.Fatal(err)
	}
	dead := exec.Command("/bin/true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	stale := parent + "/tether-" + strconv.Itoa(dead.Process.Pid) + ".gone"
	live := parent + "/tether-" + strconv.Itoa(os.Getppid()) + ".alive"
	for _, d := range []string{stale, live} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	defer unix.Rmdir(live)
	defer unix.Rmdir(stale)
	staleSweeps.mu.Lock()
	delete(staleSweeps.last, parent) // another test may have swept it just now
	staleSweeps.mu.Unlock()
	l := NewLauncher()
	defer l.Close()
	startTree(t, l, Attr{Limits: Limits{Pids: 50}, noV2Controllers: true})
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stale cgroup %s not removed: %v", stale, err)
	}
	if _, err := os.Stat(live); err != nil {
		t.Errorf("a live host's cgroup was removed: %v", err)
	}
}

// Auto without a writable cgroup v2 (a system with no cgroup2 mounted, here
// a cgroup parent that is not a cgroup) but with cgroup v1 as root: the
// subreaper holds the tree and cgroup v1 the limits; a fork loop stays at
// pids.max, and the v1 cgroups go with the attempt.
func TestLimitsSubreaperCgroupV1(t *testing.T) {
	t.Parallel()
	if !v1Available() {
		skipOrFailInCI(t, "needs cgroup v1 hierarchies for memory, cpu and pids (root on a hybrid or legacy layout)")
	}
	l := NewLauncher()
	defer l.Close()
	g := startTree(t, l, Attr{Limits: Limits{MemoryBytes: 256 << 20, Pids: 12}, cgroupParent: t.TempDir()}, "setsid", "fork")
	if m := g.Mode(); !strings.HasPrefix(m, "subreaper+v1:memory,pids+") {
		t.Fatalf("mode %q, want subreaper+v1:memory,pids+…", m)
	}
	held := g.sys.c.(v1Held)
	current := ""
	for _, d := range held.v1.dirs {
		if slices.Contains(d.hierarchy.controllers, "pids") {
			current = d.dir + "/pids.current"
		}
	}
	// The tree (Go processes: threads count) forks setsid'd sleepers every
	// 10 ms, 60 of them, ignoring failures.
	peak := 0
	for end := time.Now().Add(time.Second); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
		b, _ := os.ReadFile(current)
		n, _ := strconv.Atoi(strings.TrimSpace(string(b)))
		peak = max(peak, n)
	}
	if peak != 12 {
		t.Errorf("peak %d tasks in the tree, want pids.max 12 reached and held", peak)
	}
	for _, pid := range tagged(t) {
		if p := v1CgroupOf(t, "/proc/"+strconv.Itoa(pid)+"/cgroup", "pids"); !strings.HasSuffix(p, "/tether-"+g.sys.id) {
			t.Errorf("process %d is in pids cgroup %q, want the attempt's", pid, p)
		}
	}
	launcherThreadsOutside(t)
	if err := g.Kill(); err != nil {
		t.Fatal(err)
	}
	waitGone(t, g)
	waitNoneTagged(t, 5*time.Second)
	g.Release()
	for _, d := range held.v1.dirs {
		if _, err := os.Stat(d.dir); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s left after release: %v", d.dir, err)
		}
	}
}

// testCgroup makes a cgroup v2 for test t under the host's own, named for
// this process and what, and removes it (with anything below) when t ends.
// It skips t where no cgroup v2 is writable.
func testCgroup(t *testing.T, what string) string {
	t.Helper()
	if !cgroupAvailable() {
		t.Skip("no writable cgroup v2 here")
	}
	parentDir, _, err := hostCgroup()
	if err != nil {
		t.Fatal(err)
	}
	dir := parentDir + "/tether-test-" + strconv.Itoa(os.Getpid()) + "-" + what
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { removeCgroup(dir) })
	return dir
}
