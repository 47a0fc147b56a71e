package tether

import (
	"fmt"
	"slices"
	"sync"
	"time"
)

// groupMaxWrites bounds the number of writes waiting for one member (an
// empty write counts too): Write refuses more.
const groupMaxWrites = 1 << 16

// groupWriteWait is how long a StopMember, RestartMember or Signal waits for
// the writes to the same member queued before it to be written to its
// stdin pipe: commands for one member take effect in order, but a member
// that does not read its input cannot be waited for.
const groupWriteWait = 5 * time.Second

// inItem is one entry of an inbox: data to write, or a request that waits
// for the writes before it (a barrier).
type inItem struct {
	data    []byte
	barrier *deferredRequest
	epoch   int // the inbox's epoch when it was queued
}

// inbox holds the data of Write calls on their way to a member's standard
// input, in order, so that a member that does not read its input holds up
// nobody. Its bounds count the write being carried out too.
//
// A writeLoop runs only while the inbox holds something: the put that finds
// none running starts one, and it returns once the inbox is empty (a
// thousand members that are never written to cost no goroutine).
type inbox struct {
	mu       sync.Mutex
	items    []inItem
	inFlight *inItem // taken by writeLoop, not written yet
	bytes    int     // of items and inFlight
	epoch    int     // bumped when writes are given up
	closed   bool
	writing  bool // a writeLoop runs
}

func newInbox() *inbox { return &inbox{} }

// put queues p, reporting false when the inbox is closed or full, and
// whether the caller must start a writeLoop (none runs).
func (b *inbox) put(p []byte) (ok, startWriter bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed || b.bytes+len(p) > groupMaxWriteBytes || len(b.items) >= groupMaxWrites {
		return false, false
	}
	b.items = append(b.items, inItem{data: p, epoch: b.epoch})
	b.bytes += len(p)
	startWriter = !b.writing
	b.writing = true
	return true, startWriter
}

// putBarrier queues d behind the writes waiting now, reporting false when
// none waits (d can act at once). When one waits, a writeLoop runs, and
// it reaches d.
func (b *inbox) putBarrier(d *deferredRequest) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed || len(b.items) == 0 && b.inFlight == nil {
		return false
	}
	b.items = append(b.items, inItem{barrier: d, epoch: b.epoch})
	return true
}

// next takes the next item for the writeLoop; ok is false, and the
// writeLoop must return, once the inbox is empty or closed.
func (b *inbox) next() (it inItem, ok bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed || len(b.items) == 0 {
		b.writing = false
		return inItem{}, false
	}
	it = b.items[0]
	b.items[0] = inItem{}
	b.items = b.items[1:]
	b.inFlight = &it
	return it, true
}

// done ends the write of it. When it failed, and was not given up
// meanwhile, the writes queued behind it are given up too, and report is
// called with their number and bytes under the inbox's lock: a failure is
// told once, and never after discard told it.
func (b *inbox) done(it inItem, failed bool, report func(n, bytes int)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.inFlight = nil
	b.bytes -= len(it.data)
	if !failed || it.epoch != b.epoch {
		return
	}
	n, bytes := b.dropQueued()
	report(n, bytes)
}

// discard gives up the writes waiting and the one being carried out and,
// when there was any, calls report with their number and bytes under the
// inbox's lock. Barriers stay: the requests behind the writes still act.
func (b *inbox) discard(report func(n, bytes int)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	n, bytes := b.dropQueued()
	if b.inFlight != nil && b.inFlight.barrier == nil && b.inFlight.epoch+1 == b.epoch {
		n++
		bytes += len(b.inFlight.data)
	}
	if n > 0 {
		report(n, bytes)
	}
}

// dropQueued drops the queued writes (not the barriers), counts them, and
// begins a new epoch. b.mu is held.
func (b *inbox) dropQueued() (n, bytes int) {
	keep := b.items[:0]
	for _, it := range b.items {
		if it.barrier != nil {
			keep = append(keep, it)
			continue
		}
		n++
		bytes += len(it.data)
		b.bytes -= len(it.data)
	}
	clear(b.items[len(keep):])
	b.items = keep
	b.epoch++
	return n, bytes
}

// close ends the inbox: writeLoop returns, queued writes are dropped.
func (b *inbox) close() {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
}

// deferredRequest is a StopMember, RestartMember or Signal that waits for
// the writes queued before it; it acts once, when they are written or
// after groupWriteWait.
type deferredRequest struct {
	req   memberRequest
	timer *time.Timer
	done  bool // owned by Run's goroutine
}

// deferredDue: the writes before a deferred request are written, or it
// waited long enough.
type deferredDue struct {
	m *member
	d *deferredRequest
}

func (msg deferredDue) apply(r *groupRun) {
	d := msg.d
	if d.done {
		return
	}
	d.done = true
	d.timer.Stop()
	d.req.now = true
	if err := r.request(d.req); err != nil {
		r.emitError(msg.m.name, err)
	}
}

// deferBehindWrites queues req behind the writes waiting for m, reporting
// false when none waits (req acts now).
func (r *groupRun) deferBehindWrites(m *member, req memberRequest) bool {
	if req.now {
		return false
	}
	d := &deferredRequest{req: req}
	if !m.writes.putBarrier(d) {
		return false
	}
	d.timer = time.AfterFunc(groupWriteWait, func() { r.group.msgs.Force(deferredDue{m: m, d: d}) })
	r.deferred = append(slices.DeleteFunc(r.deferred, func(d *deferredRequest) bool { return d.done }), d)
	return true
}

// startWriter starts m's writeLoop, which put asked for. Only Run's
// goroutine calls it, before shutDown waits for the run's goroutines.
func (r *groupRun) startWriter(m *member) {
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		r.writeLoop(m)
	}()
}

// writeLoop writes m's queued writes to its current attempt's stdin, in
// order, until the inbox is empty or closed. A failed write gives up the
// writes queued behind it, with one error.
func (r *groupRun) writeLoop(m *member) {
	for {
		it, ok := m.writes.next()
		if !ok {
			return
		}
		if it.barrier != nil {
			m.writes.done(it, false, nil)
			r.group.msgs.Force(deferredDue{m: m, d: it.barrier})
			continue
		}
		sup := m.sup.Load()
		err := error(notRunningError(m.name))
		var st Status
		if sup != nil {
			st = sup.Status() // the attempt the bytes are for
			_, err = sup.Write(it.data)
		}
		m.writes.done(it, err != nil, func(n, bytes int) {
			err := writeError(m.name, err)
			if n > 0 {
				err = fmt.Errorf("%w; the %d writes queued after it (%d bytes) were dropped", err, n, bytes)
			}
			r.group.emit(Event{Time: time.Now(), Name: m.name, Kind: EventError, Pid: st.Pid, Attempt: st.Attempt, Err: err})
		})
	}
}

// dropWrites gives up the writes waiting for m when its supervision ends,
// with one error, so that none is reported after its EventStopped.
func (r *groupRun) dropWrites(m *member) {
	m.writes.discard(func(n, bytes int) {
		r.group.emit(Event{Time: time.Now(), Name: m.name, Kind: EventError,
			Err: fmt.Errorf("tether: write: %s is not running: %d writes (%d bytes) were not written to it, or not completely: %w", m.name, n, bytes, ErrNotRunning)})
	})
}
