//go:build unix

package proc

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// sysGroup on unix is a process group led by the child, plus what the
// containment mode adds to it (a container: on Linux a cgroup, or the
// subreaper's bookkeeping), plus the record the host's watcher keeps of it.
//
// The group id stays reserved while any member (or the unreaped leader)
// exists; once the leader is reaped, a signal to the group is safe as long as
// members remain, and a recycled id would need the kernel to cycle through
// the whole pid space between two of our checks (milliseconds apart).
type sysGroup struct {
	pgid     int
	id       string      // the attempt's tag: see attemptEnv
	c        container   // nil: the process group alone
	watchErr error       // nil: the host's watcher empties the unit if the host dies
	killing  atomic.Bool // a kill was asked for: alive kills stragglers again
	released atomic.Bool
}

// A container is what a containment mode adds to the process group. Its
// methods are safe for concurrent use.
type container interface {
	// mode is the mode it implements.
	mode() Mode
	// prepare sets what the child must be started with.
	prepare(*syscall.SysProcAttr)
	// started is told the child's pid once it runs.
	started(pid int)
	// signal sends sigs, in order, to every member that is not in the
	// child's process group (kill(-pgid) reached those) and reports
	// whether any member is left.
	signal(sigs ...unix.Signal) bool
	// kill kills every member.
	kill() error
	// alive reports whether a member that is not a zombie is left. When
	// killing it kills those it finds again: one may have been forked
	// while the kill was under way.
	alive(killing bool) bool
	// release frees what the container holds. It reports false when
	// members are left (a tree SIGKILL could not empty), and the watcher
	// then keeps its record, so that the host's exit tries again.
	release() bool
	// cgroupDir is the attempt's cgroup directory, or "".
	cgroupDir() string
}

func startSys(g *Group, a Attr) error { return g.sys.start(g, a) }

func (s *sysGroup) start(g *Group, a Attr) error {
	s.id = newAttemptID()
	env := a.Env
	if env == nil {
		env = os.Environ()
	}
	a.Env = withAttemptTag(env, s.id)
	c, err := newContainer(a, s.id)
	if err != nil {
		return err
	}
	for {
		s.c = c
		cmd := newCmd(a)
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		setPlatformAttr(cmd.SysProcAttr)
		cg := ""
		if c != nil {
			c.prepare(cmd.SysProcAttr)
			cg = c.cgroupDir()
		}
		// The watcher hears of the attempt before its child exists:
		// should the host die in between, the tag and the cgroup are
		// enough to find everything.
		s.watchErr = host.watch.watch(s.id, watchEntry{cgroup: cg})
		err := startIn(c, cmd)
		if err != nil && a.Containment == ModeAuto && c != nil && c.mode() == ModeCgroup && a.Limits.IsZero() {
			// Starting into the cgroup may be what failed (clone3
			// without CLONE_INTO_CGROUP before Linux 5.7, a cgroup
			// that refuses processes): try once without it. A
			// program that cannot be run fails the same way again.
			c.release()
			c = fallbackContainer(s.id)
			continue
		}
		if err != nil {
			return err
		}
		g.cmd = cmd
		s.pgid = cmd.Process.Pid
		if c != nil {
			c.started(s.pgid)
		}
		if s.watchErr == nil {
			s.watchErr = host.watch.watch(s.id, watchEntry{pgid: s.pgid, cgroup: cg})
		}
		return nil
	}
}

// A forkWrapper is a container that must act around the fork itself (cgroup
// v1 limits: see v1Limits).
type forkWrapper interface {
	aroundFork(start func() error) error
}

// startIn starts cmd, through c's aroundFork when it has one.
func startIn(c container, cmd *exec.Cmd) error {
	if w, ok := c.(forkWrapper); ok {
		return w.aroundFork(cmd.Start)
	}
	return cmd.Start()
}

func (s *sysGroup) signal(g *Group, sig os.Signal) error {
	ssig, ok := sig.(syscall.Signal)
	if !ok {
		return fmt.Errorf("proc: unsupported signal %v", sig)
	}
	// Like systemd, follow a stop signal with SIGCONT so that stopped
	// members can act on it; not a signal that pauses (it would undo it).
	switch ssig {
	case unix.SIGKILL, unix.SIGCONT, unix.SIGSTOP, unix.SIGTSTP, unix.SIGTTIN, unix.SIGTTOU, syscall.Signal(0):
		return s.sendAll(ssig)
	}
	return s.sendAll(ssig, unix.SIGCONT)
}

// send sends sig alone to every process of the unit.
func (s *sysGroup) send(g *Group, sig os.Signal) error {
	ssig, ok := sig.(syscall.Signal)
	if !ok {
		return fmt.Errorf("proc: unsupported signal %v", sig)
	}
	return s.sendAll(ssig)
}

// sendAll sends sigs, in order, to every process of the unit: to the
// process group, then to the container's other members, found once for
// all of them. It returns ErrGroupGone when no process is left.
func (s *sysGroup) sendAll(sigs ...syscall.Signal) error {
	err := unix.Kill(-s.pgid, sigs[0])
	gone := errors.Is(err, unix.ESRCH)
	if err != nil && !gone {
		return fmt.Errorf("proc: signal %v to process group %d: %w", sigs[0], s.pgid, err)
	}
	if !gone {
		for _, sig := range sigs[1:] {
			_ = unix.Kill(-s.pgid, sig)
		}
	}
	if s.c != nil && s.c.signal(sigs...) {
		gone = false
	}
	if gone {
		return ErrGroupGone
	}
	return nil
}

func (s *sysGroup) kill(g *Group) error {
	s.killing.Store(true)
	err := unix.Kill(-s.pgid, unix.SIGKILL)
	if s.c != nil {
		return s.c.kill()
	}
	if errors.Is(err, unix.ESRCH) {
		return ErrGroupGone
	}
	if err != nil {
		return fmt.Errorf("proc: kill process group %d: %w", s.pgid, err)
	}
	return nil
}

func (s *sysGroup) alive(g *Group) bool {
	killing := s.killing.Load()
	if s.c != nil {
		return s.c.alive(killing)
	}
	if killing {
		_ = unix.Kill(-s.pgid, unix.SIGKILL)
	}
	if err := unix.Kill(-s.pgid, 0); errors.Is(err, unix.ESRCH) {
		return false
	}
	return GroupHasLiveMember(s.pgid)
}

func (s *sysGroup) release() {
	if s.released.Swap(true) {
		return
	}
	// Survivors (a tree that SIGKILL could not empty) stay recorded with
	// the watcher, which tries again when the host goes.
	var kept bool
	if s.c != nil {
		kept = !s.c.release()
	} else if s.pgid != 0 {
		kept = unix.Kill(-s.pgid, 0) == nil && GroupHasLiveMember(s.pgid)
	}
	if !kept && s.id != "" {
		host.watch.forget(s.id)
	}
}

func (s *sysGroup) mode() string {
	m := ModeGroup
	if s.c != nil {
		m = s.c.mode()
	}
	name := m.String()
	if l, ok := s.c.(interface{ limitsVia() string }); ok && l.limitsVia() != "" {
		name += "+" + l.limitsVia()
	}
	if s.watchErr != nil {
		return name + "+no-watcher"
	}
	return name + "+watcher"
}

func (s *sysGroup) watcherErr() error { return s.watchErr }

func interruptRead(r *os.File) {
	_ = r.SetReadDeadline(time.Now())
}

func drainNonblocking(r *os.File, buf []byte, limit int, fn func([]byte)) {
	_ = r.SetReadDeadline(time.Time{})
	rc, err := r.SyscallConn()
	if err != nil {
		return
	}
	for limit > 0 {
		var n int
		var rerr error
		err := rc.Read(func(fd uintptr) bool {
			n, rerr = unix.Read(int(fd), buf)
			return true // never wait for more
		})
		if err != nil || rerr != nil || n <= 0 {
			return
		}
		fn(buf[:n])
		limit -= n
	}
}

// oomKiller is a container that can tell an OOM kill (a cgroup).
type oomKiller interface{ oomKilled() bool }

func (s *sysGroup) oomKilled() bool {
	if o, ok := s.c.(oomKiller); ok {
		return o.oomKilled()
	}
	return false
}
