package main

import (
	"io"
	"sync"
	"time"

	"tether.dev/tether"
	"tether.dev/tether/internal/queue"
)

// eventQueue carries records from the group's goroutines and the session
// to the one goroutine that writes stdout. It is bounded for sidecar events
// (Push: a slow reader of tether's stdout slows the sidecars down, as a
// pipe would: nothing is dropped); the few records the session and the
// group's stop add go past the bound (Force), so that a stop never waits
// for a slow reader.
type eventQueue = queue.Queue[record]

// newEventQueue returns an empty queue bounded at 4096 records or 8 MiB of
// output, whichever comes first.
func newEventQueue() *eventQueue {
	return queue.New(4096, 8<<20, func(r record) int { return r.size() })
}

// formatter appends records in an output format.
type formatter interface {
	// format appends one record.
	format(b []byte, r *record) []byte
	// formatOutput appends the events of o from event i on, and stops
	// once b holds limit bytes or more (after one event at least, when
	// one is left); it returns b and the first event not appended.
	formatOutput(b []byte, o *tether.Output, i, limit int) ([]byte, int)
}

// writeSize is how many bytes of events the writer gathers before it
// writes them, while more wait.
const writeSize = 256 << 10

// outputBuffers keeps the buffers that output events are encoded into
// (by the sidecars' delivery goroutines, see session.onOutput) for reuse
// once the writer has written them: a flood allocates none. It keeps as
// many as the event queue holds under a flood of 100-byte lines, none of
// them large, and only a couple once the writer is idle: the rest are left
// to the collector. It also lends out encoders, one to each goroutine
// encoding at the time.
type outputBuffers struct {
	free     chan []byte
	encoders sync.Pool
}

// newOutputBuffers returns an empty pool.
func newOutputBuffers() *outputBuffers { return &outputBuffers{free: make(chan []byte, 16)} }

// get returns an empty buffer, reused when one is free, else nil (the
// encoder allocates one of the size it needs).
func (p *outputBuffers) get() []byte {
	select {
	case b := <-p.free:
		return b[:0]
	default:
		return nil
	}
}

// encode appends o's events to b as NDJSON lines.
func (p *outputBuffers) encode(b []byte, o *tether.Output) []byte {
	e, _ := p.encoders.Get().(*encoder)
	if e == nil {
		e = newEncoder()
	}
	b = e.appendAllOutput(b, o)
	p.encoders.Put(e)
	return b
}

// idleKeep is how many free buffers are kept once the writer has been
// idle for idleTrim: a flood is over.
const (
	idleKeep = 2
	idleTrim = time.Second
)

// idle waits for ready while the writer has nothing to write, and lets go
// of all but idleKeep free buffers if that takes idleTrim.
func (p *outputBuffers) idle(ready <-chan struct{}) {
	if p == nil || len(p.free) <= idleKeep {
		<-ready
		return
	}
	t := time.NewTimer(idleTrim)
	defer t.Stop()
	select {
	case <-ready:
		return
	case <-t.C:
	}
	for len(p.free) > idleKeep {
		select {
		case <-p.free:
		default:
		}
	}
	<-ready
}

// put gives b back for reuse; nil p, or a large b, is let go.
func (p *outputBuffers) put(b []byte) {
	if p == nil || cap(b) > 4*writeSize {
		return
	}
	select {
	case p.free <- b:
	default:
	}
}

// writeEvents writes the queue's records to w until the queue is closed and
// empty. Records are encoded into one buffer, written whenever it holds
// writeSize bytes and whenever the queue is found empty: an event is on
// stdout as soon as nothing else is waiting, and under a flood a read's
// worth of lines goes out in one write (already encoded: the buffer goes
// back to bufs). After the first write error it calls broken once and from
// then on discards records, so that sidecars never block on a reader that
// is gone.
func writeEvents(q *eventQueue, w io.Writer, f formatter, bufs *outputBuffers, broken func(error)) {
	ew := &eventWriter{w: w, broken: broken}
	var (
		batch  []record
		closed bool
	)
	for {
		batch, closed = q.Take(batch)
		if len(batch) == 0 {
			ew.flush()
			if closed {
				return
			}
			bufs.idle(q.Ready())
			continue
		}
		for i := range batch {
			ew.add(f, &batch[i])
			if batch[i].kind == recEncoded {
				bufs.put(batch[i].encoded)
			}
		}
		clear(batch)
	}
}

// eventWriter is writeEvents' buffer and the state of its writes.
type eventWriter struct {
	w      io.Writer
	broken func(error)
	buf    []byte
	failed bool // a write failed: records are discarded
}

// add encodes r into the buffer, writing it out whenever it is full. Bytes
// encoded already that would fill it are written as they are, after it.
func (ew *eventWriter) add(f formatter, r *record) {
	switch {
	case ew.failed:
	case r.kind == recEncoded && len(ew.buf)+len(r.encoded) >= writeSize:
		ew.flush()
		ew.write(r.encoded)
	case r.kind == recOutput:
		for i, n := 0, r.out.Len(); i < n && !ew.failed; {
			ew.buf, i = f.formatOutput(ew.buf, &r.out, i, writeSize)
			if len(ew.buf) >= writeSize {
				ew.flush()
			}
		}
	default:
		ew.buf = f.format(ew.buf, r)
		if len(ew.buf) >= writeSize {
			ew.flush()
		}
	}
}

// flush writes the buffer out. A buffer grown past a few writes' worth
// (for one huge chunk, escaped) is let go.
func (ew *eventWriter) flush() {
	ew.write(ew.buf)
	ew.buf = ew.buf[:0]
	if cap(ew.buf) > 4*writeSize {
		ew.buf = nil
	}
}

// write writes b unless a write failed before; the first failure is
// reported to broken.
func (ew *eventWriter) write(b []byte) {
	if len(b) == 0 || ew.failed {
		return
	}
	if _, err := ew.w.Write(b); err != nil {
		ew.failed = true
		ew.broken(err)
	}
}
