// Package proc is tether's operating-system layer: it starts a child in a
// containment unit of its own (on Linux a cgroup, or a process group watched
// by a child subreaper, or a process group alone; a process group on other
// unix systems; a job object on Windows), signals and kills the whole unit,
// and says when it is empty. A watcher process (see RunWatcherIfRequested)
// empties the units of a host that dies without stopping them.
//
// Shared code never branches on the operating system: every OS implements the
// same unexported functions, selected by file name.
package proc

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"sync/atomic"
	"time"
)

// Attr describes the child to start.
type Attr struct {
	Path   string   // resolved program path
	Args   []string // argv, Args[0] included
	Dir    string   // working directory; empty: inherit
	Env    []string // full environment
	Stdin  *os.File // read end handed to the child
	Stdout *os.File // write end handed to the child
	Stderr *os.File // write end handed to the child

	// Containment is the containment asked for; the zero value, ModeAuto,
	// picks the strongest available. A mode the system cannot give makes
	// Start fail with an error matching ErrUnavailable.
	Containment Mode

	// Limits bound the whole tree's memory, CPU and processes; the zero
	// value bounds nothing.
	Limits Limits

	// Test knobs, zero in production.
	noCgroupKill    bool   // act as if the kernel had no cgroup.kill (before 5.14)
	cgroupParent    string // create attempt cgroups here instead of in the host's
	noV2Controllers bool   // act as if cgroup v2 gave no memory, cpu or pids controller (a hybrid layout)
	noCgroupV1      bool   // act as if no cgroup v1 hierarchy could be used (v1 is not delegated to users)
}

// ErrGroupGone reports that a signal found no process left to deliver to.
var ErrGroupGone = errors.New("proc: no process left in the group")

// Group is one started child and the containment unit around it and its
// descendants. Its methods are safe for concurrent use.
type Group struct {
	cmd    *exec.Cmd
	sys    sysGroup // OS-specific part
	done   chan struct{}
	exited atomic.Bool // OnExit saw the child exit: Wait need not wait
}

// start starts the child described by a inside a new containment unit. It
// runs on the goroutine a Launcher provides.
func start(a Attr) (*Group, error) {
	g := &Group{done: make(chan struct{})}
	if err := startSys(g, a); err != nil {
		g.sys.release()
		return nil, err
	}
	return g, nil
}

// newCmd returns a fresh, unstarted command for a.
func newCmd(a Attr) *exec.Cmd {
	return &exec.Cmd{
		Path:   a.Path,
		Args:   a.Args,
		Dir:    a.Dir,
		Env:    a.Env,
		Stdin:  a.Stdin,
		Stdout: a.Stdout,
		Stderr: a.Stderr,
	}
}

// Pid returns the child's process id.
func (g *Group) Pid() int { return g.cmd.Process.Pid }

// Wait waits for the child itself to exit and reaps it. Descendants may
// still be alive afterwards: see Alive, Signal and Kill. Wait must be called
// exactly once.
func (g *Group) Wait() (*os.ProcessState, error) {
	// Wait for the exit without holding a thread where the system allows
	// (a thousand children blocked in wait would hold a thousand threads),
	// then reap, which no longer blocks.
	if !g.exited.Load() {
		waitExit(g.cmd.Process)
	}
	err := g.cmd.Wait()
	close(g.done)
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		err = nil
	}
	return g.cmd.ProcessState, err
}

// OnExit arranges for fn to run, on a goroutine of its own, once the child
// itself has exited (Wait then returns at once), and reports true. Where
// that cannot be had without a goroutine or a thread per child (only Linux
// 5.3+ can), it does nothing and returns false: wait in Wait instead.
// A thousand children waited for this way cost one parked thread.
func (g *Group) OnExit(fn func()) bool {
	return onExit(g.cmd.Process, func() {
		g.exited.Store(true)
		fn()
	})
}

// Signal sends sig to every process of the unit, followed on Unix by SIGCONT
// (as systemd does with a stop signal) unless sig is one that pauses
// (STOP, TSTP, TTIN, TTOU) or KILL. It returns ErrGroupGone when no process
// is left.
func (g *Group) Signal(sig os.Signal) error { return g.sys.signal(g, sig) }

// Send sends sig alone to every process of the unit: a tree paused by STOP
// stays paused until it gets CONT. It returns ErrGroupGone when no process
// is left.
func (g *Group) Send(sig os.Signal) error { return g.sys.send(g, sig) }

// Kill kills every process of the unit at once. Killing an empty unit is not
// an error.
func (g *Group) Kill() error {
	err := g.sys.kill(g)
	if errors.Is(err, ErrGroupGone) {
		return nil
	}
	return err
}

// Alive reports whether any live process of the unit remains (zombies do not
// count). Before Wait has returned the child itself counts.
func (g *Group) Alive() bool {
	select {
	case <-g.done:
		return g.sys.alive(g)
	default:
		return true
	}
}

// Release frees what the unit holds (a job handle, a cgroup, the host's
// subreaper flag, the watcher's record of it). Call it once the unit is
// empty.
func (g *Group) Release() { g.sys.release() }

// OOMKilled reports whether the kernel (or the job object) killed a process
// of the unit for passing its memory limit. Ask before Release.
func (g *Group) OOMKilled() bool { return g.sys.oomKilled() }

// Mode names the containment in use for this group: "cgroup", "subreaper"
// or "group" on unix, then "+v1:" and the controllers when limits are
// enforced through cgroup v1 ("cgroup+v1:memory,pids"), followed by
// "+watcher" when a watcher process will
// empty the unit should the host die ("cgroup+watcher"), or by "+no-watcher"
// when none will (WatcherErr says why); "job-object" on Windows.
func (g *Group) Mode() string { return g.sys.mode() }

// WatcherErr returns nil when the unit needs no watcher (Windows) or one
// covers it, and otherwise a *NoWatcherError (matching ErrNoWatcher) that
// says why none does and what would fix it.
func (g *Group) WatcherErr() error { return g.sys.watcherErr() }

// InterruptRead unblocks a pending or future Read on the read end r of a
// pipe that a lingering descendant holds open. On unix the read is
// interrupted by a deadline and what the pipe already holds can still be
// read with DrainNonblocking; on Windows the file is closed.
func InterruptRead(r *os.File) { interruptRead(r) }

// DrainNonblocking reads what r holds right now, without waiting, calling fn
// for each piece, up to limit bytes. It returns at once on systems where a
// pipe cannot be read without blocking.
func DrainNonblocking(r *os.File, buf []byte, limit int, fn func([]byte)) {
	drainNonblocking(r, buf, limit, fn)
}

// WaitGone waits until the unit is empty or ctx is done, and reports
// whether it is empty. It polls, starting at a millisecond and backing off to
// 20 ms: an empty unit is found within a millisecond, a lingering one costs
// little.
func (g *Group) WaitGone(ctx context.Context) bool {
	wait := time.Millisecond
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		if !g.Alive() {
			return true
		}
		t.Reset(wait)
		select {
		case <-ctx.Done():
			return !g.Alive()
		case <-t.C:
		}
		if wait < 20*time.Millisecond {
			wait *= 2
		}
	}
}

// TunePipe enlarges a pipe's buffer where the system allows it (Linux:
// 1 MiB), which doubles throughput for chatty children. Failure is harmless.
func TunePipe(f *os.File) { tunePipe(f) }
