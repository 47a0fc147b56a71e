package proc

import (
	"fmt"
	"os"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// subreaperFlag is the host process's PR_SET_CHILD_SUBREAPER attribute,
// which is one per process: it is set while any attempt in ModeSubreaper is
// alive and cleared after the last one ends, unless the host was a subreaper
// before (then it is left alone).
type subreaperFlag struct {
	mu    sync.Mutex
	users int
	own   bool // the host set it itself: never clear it
}

func (f *subreaperFlag) acquire() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.users == 0 {
		var was int32
		if _, _, e := syscall.Syscall6(syscall.SYS_PRCTL, unix.PR_GET_CHILD_SUBREAPER, uintptr(unsafe.Pointer(&was)), 0, 0, 0, 0); e != 0 {
			return fmt.Errorf("prctl(PR_GET_CHILD_SUBREAPER): %w", e)
		}
		f.own = was != 0
		if !f.own {
			if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
				return fmt.Errorf("prctl(PR_SET_CHILD_SUBREAPER): %w", err)
			}
		}
	}
	f.users++
	return nil
}

func (f *subreaperFlag) release() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.users--
	if f.users == 0 && !f.own {
		_ = unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0)
	}
}

// subreaper is ModeSubreaper's container. While it lives the host is a child
// subreaper, so a descendant of the attempt whose parent dies is re-parented
// to the host instead of to init, and stays findable. The attempt's members
// are found by a walk of the process table: every descendant of the child
// while the child lives, and every descendant of the host's children that
// are positively the attempt's:
//   - a live process tagged with the attempt's id (attemptEnv), or
//   - a process seen as a member before (same pid and start time), or
//   - a process in the child's process group, or in a session that a member
//     started (not as its leader: a recycled id would be the leader).
//
// Only those are ever reaped, each by its own pid (waitid P_PID), so exec.Cmd
// keeps the exit status of every other child of the host; nothing here ever
// waits for "any child". The leader is left to exec.Cmd.Wait.
//
// What it cannot see: a descendant that clears its environment, leaves the
// group and session, and whose parent dies before any walk saw it. And while
// the flag is set, orphans of the host's other children are re-parented to
// the host too; tether leaves them alone, so they stay zombies until the host
// reaps them or exits.
type subreaper struct {
	id      string // the attempt's tag
	self    int    // the host's pid
	selfSid int    // the host's session

	mu          sync.Mutex
	leader      int              // the child: its pid, which is also the group id
	leaderStart uint64           // its start time, so that a recycled pid is not taken for it
	known       map[int]uint64   // members seen by the last walk: pid → start time
	sids        map[int]struct{} // sessions started by members
	empty       bool             // a walk found the attempt gone for good
	released    bool
}

func newSubreaper(id string) (*subreaper, error) {
	if err := host.subreaper.acquire(); err != nil {
		return nil, unavailable(ModeSubreaper, "become a child subreaper", err)
	}
	sid, _ := unix.Getsid(0)
	return &subreaper{
		id: id, self: os.Getpid(), selfSid: sid,
		known: map[int]uint64{}, sids: map[int]struct{}{},
	}, nil
}

func (s *subreaper) mode() Mode { return ModeSubreaper }

func (s *subreaper) cgroupDir() string { return "" }

func (s *subreaper) prepare(*syscall.SysProcAttr) {}

func (s *subreaper) started(pid int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.leader = pid
	if p, ok := readProcStat(pid); ok {
		s.leaderStart = p.start
	}
}

// members walks the process table and returns the attempt's live members.
// It reaps the attempt's zombies that are the host's children, and says how
// many could not be reaped yet. The table is a read shared with the walks
// of every other attempt asked for meanwhile (tableReader), and the walk
// looks only at the attempt's own processes in it.
func (s *subreaper) members() (live []procInfo, unreaped int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.empty {
		return nil, 0
	}
	t := host.walks.read()
	if t.err != nil {
		return nil, 0
	}
	var roots []int
	leader := false
	if l, ok := t.byPid[s.leader]; ok && s.leader != 0 && l.start == s.leaderStart {
		roots = append(roots, s.leader)
		leader = true
	}
	var zombies []int
	for _, pid := range s.adopted(t) {
		if t.byPid[pid].zombie {
			zombies = append(zombies, pid)
			continue
		}
		roots = append(roots, pid)
	}
	seen := make(map[int]uint64)
	for len(roots) > 0 {
		pid := roots[len(roots)-1]
		roots = roots[:len(roots)-1]
		p := t.byPid[pid]
		if _, dup := seen[pid]; dup {
			continue
		}
		seen[pid] = p.start
		if p.sid != 0 && p.sid != s.selfSid {
			s.sids[p.sid] = struct{}{}
		}
		if !p.zombie {
			live = append(live, p)
		}
		roots = append(roots, t.children[pid]...)
	}
	// Belt and braces: a live member of the group outside the walk.
	if s.leader != 0 {
		for _, pid := range t.byPgrp[s.leader] {
			if p := t.byPid[pid]; !p.zombie && pid != s.leader {
				if _, dup := seen[pid]; !dup {
					seen[pid] = p.start
					live = append(live, p)
				}
			}
		}
	}
	for _, pid := range zombies {
		// A zombie group leader whose other threads are still exiting
		// shows Z but cannot be reaped yet: it stays known, for the next
		// walk.
		var info unix.Siginfo
		if err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOHANG, nil); err == nil && info.Signo == int32(unix.SIGCHLD) {
			continue
		}
		seen[pid] = t.byPid[pid].start
		unreaped++
	}
	s.known = seen
	// With the leader reaped and nothing of the attempt left, live or
	// zombie, nothing of it can appear any more: later walks are skipped.
	s.empty = !leader && s.leader != 0 && len(live) == 0 && unreaped == 0
	return live, unreaped
}

// adopted returns the host's children, other than the attempt's leader, that
// are positively the attempt's processes:
//   - seen as a member before (same pid and start time), or
//   - tagged with the attempt's id (read while alive), or
//   - in the leader's process group, or
//   - in a session that a member started (not as its leader: a recycled id
//     would be the leader).
//
// It looks them up in t's indexes, never at the host's other children. The
// caller holds s.mu.
func (s *subreaper) adopted(t *procSnapshot) []int {
	var out []int
	added := map[int]bool{}
	add := func(pid int) {
		if p, ok := t.byPid[pid]; ok && p.ppid == s.self && pid != s.leader && !added[pid] {
			added[pid] = true
			out = append(out, pid)
		}
	}
	for pid, start := range s.known {
		if t.byPid[pid].start == start {
			add(pid)
		}
	}
	for _, pid := range t.hostTagged[s.id] {
		add(pid)
	}
	if s.leader != 0 {
		for _, pid := range t.byPgrp[s.leader] {
			add(pid)
		}
	}
	for sid := range s.sids {
		for _, pid := range t.hostBySid[sid] {
			if pid != sid {
				add(pid)
			}
		}
	}
	return out
}

// signalMembers sends sigs, in order, to live, skipping the child's group
// when skipGroup (kill(-pgid) reached it), each pinned by pid and start
// time.
func (s *subreaper) signalMembers(live []procInfo, sigs []unix.Signal, skipGroup bool) {
	for _, p := range live {
		if skipGroup && p.pgrp == s.leader {
			continue
		}
		signalPinned(p.pid, sigs, func() bool {
			q, ok := readProcStat(p.pid)
			return ok && q.start == p.start
		})
	}
}

func (s *subreaper) signal(sigs ...unix.Signal) bool {
	live, _ := s.members()
	s.signalMembers(live, sigs, true)
	return len(live) > 0
}

func (s *subreaper) kill() error {
	// A member may fork between the walk and its kill: walk again until
	// a walk finds nobody new, a few times at most; alive keeps killing
	// after that.
	killed := map[int]uint64{}
	for range 8 {
		fresh := 0
		live, _ := s.members()
		for _, p := range live {
			if st, ok := killed[p.pid]; ok && st == p.start {
				continue
			}
			killed[p.pid] = p.start
			fresh++
		}
		if fresh == 0 {
			return nil
		}
		s.signalMembers(live, []unix.Signal{unix.SIGKILL}, false)
	}
	return nil
}

func (s *subreaper) alive(killing bool) bool {
	live, _ := s.members()
	if killing {
		s.signalMembers(live, []unix.Signal{unix.SIGKILL}, false)
	}
	return len(live) > 0
}

func (s *subreaper) release() bool {
	// Reap what is left to reap: a zombie whose threads are still exiting
	// becomes reapable within moments.
	var live []procInfo
	for deadline := time.Now().Add(200 * time.Millisecond); ; time.Sleep(time.Millisecond) {
		var n int
		if live, n = s.members(); n == 0 || time.Now().After(deadline) {
			break
		}
	}
	s.mu.Lock()
	done := s.released
	s.released = true
	s.mu.Unlock()
	if !done {
		host.subreaper.release()
	}
	return len(live) == 0
}
