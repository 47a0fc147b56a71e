package proc

import (
	"bytes"
	"os"
	"strings"
	"sync"
)

// tableReader shares reads of the process table between the subreapers of
// a host. A subreaper's walk needs a read that began after the walk was
// asked for (an older one could miss a process forked since); a read that
// begins while walks wait serves them all. A thousand attempts stopping at
// once then cost a handful of reads of the table instead of a thousand or
// more (each read is three system calls per process of the system, which
// made the stop of N attempts cost N² of them). Its zero value is ready.
type tableReader struct {
	mu      sync.Mutex
	reading bool          // a read is under way
	wake    chan struct{} // closed when the read under way ends
	done    uint64        // reads completed
	waiting int           // walks waiting for a read under way
	last    *procSnapshot // the last read's result

	// tags is what the host's children carry in attemptEnv, by pid, kept
	// across reads so that each child's environment is read once. Only
	// the goroutine that reads the table touches it.
	tags map[int]hostChildTags

	// scan reads the table: readProcTable; a test may wrap it.
	scan func() ([]procInfo, error)
}

// hostChildTags is the attempt ids a child of the host was tagged with
// (attemptEnv), as read once while it was alive.
type hostChildTags struct {
	start uint64 // with the pid, the process's identity
	ids   []string
}

// procSnapshot is one read of the process table, indexed for the walks of
// every subreaper. It is never changed once built.
type procSnapshot struct {
	err      error
	byPid    map[int]procInfo
	children map[int][]int // parent → children
	byPgrp   map[int][]int // process group → members
	// Of the host's children only:
	hostTagged map[string][]int // attempt id → the host's children tagged with it
	hostBySid  map[int][]int    // session → the host's children in it
}

// read returns a snapshot of the process table whose read began after read
// was called.
func (r *tableReader) read() *procSnapshot {
	r.mu.Lock()
	defer r.mu.Unlock()
	want := r.done + 1
	if r.reading {
		want++ // the read under way began too early
	}
	for r.done < want {
		if r.reading {
			wake := r.wake
			r.waiting++
			r.mu.Unlock()
			<-wake
			r.mu.Lock()
			r.waiting--
			continue
		}
		r.reading = true
		r.wake = make(chan struct{})
		scan := r.scan
		r.mu.Unlock()
		snap := r.build(scan)
		r.mu.Lock()
		r.reading = false
		r.done++
		r.last = snap
		close(r.wake)
	}
	return r.last
}

// reads returns how many reads of the table were made, and how many walks
// wait for the one under way.
func (r *tableReader) reads() (done uint64, waiting int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.done, r.waiting
}

// build reads the table with scan and indexes it. Only one build runs at a
// time.
func (r *tableReader) build(scan func() ([]procInfo, error)) *procSnapshot {
	if scan == nil {
		scan = readProcTable
	}
	procs, err := scan()
	if err != nil {
		return &procSnapshot{err: err}
	}
	self := os.Getpid()
	t := &procSnapshot{
		byPid:      make(map[int]procInfo, len(procs)),
		children:   make(map[int][]int),
		byPgrp:     make(map[int][]int),
		hostTagged: make(map[string][]int),
		hostBySid:  make(map[int][]int),
	}
	tags := make(map[int]hostChildTags)
	for _, p := range procs {
		t.byPid[p.pid] = p
		t.children[p.ppid] = append(t.children[p.ppid], p.pid)
		t.byPgrp[p.pgrp] = append(t.byPgrp[p.pgrp], p.pid)
		if p.ppid != self {
			continue
		}
		t.hostBySid[p.sid] = append(t.hostBySid[p.sid], p.pid)
		tg, ok := r.tags[p.pid]
		if !ok || tg.start != p.start {
			tg = readHostChildTags(p)
		}
		tags[p.pid] = tg
		for _, id := range tg.ids {
			t.hostTagged[id] = append(t.hostTagged[id], p.pid)
		}
	}
	r.tags = tags // the children gone since are forgotten
	return t
}

// readHostChildTags reads which attempts p, a child of the host, is tagged
// with. A zombie's environment is gone: it has none (its tags are kept if
// they were read while it was alive). Each process is read once: a process
// whose tag an exec drops stays the attempt's, and one that was not tagged
// gains a tag only by an exec that adds it on purpose (an attempt's own
// child, found by its pid, not its tag).
func readHostChildTags(p procInfo) hostChildTags {
	tg := hostChildTags{start: p.start}
	if p.zombie {
		return tg
	}
	env, err := procEnviron(p.pid)
	if err != nil {
		return tg
	}
	// Still the same process? (Its pid may have been recycled while its
	// environment was read.)
	if q, ok := readProcStat(p.pid); !ok || q.start != p.start {
		return tg
	}
	key := []byte(attemptEnv + "=")
	for kv := range bytes.SplitSeq(env, []byte{0}) {
		if v, ok := bytes.CutPrefix(kv, key); ok {
			tg.ids = append(tg.ids, strings.Split(string(v), ",")...)
		}
	}
	return tg
}
