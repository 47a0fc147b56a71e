package main

import (
	"bufio"
	"io"
	"sync"
)

// eventQueue carries records from the supervisors' event goroutines and the
// session to the one goroutine that writes stdout. It is bounded for sidecar
// events (a slow reader of tether's stdout slows the sidecars down, as a
// pipe would: nothing is dropped) and unbounded for the few records the
// session itself adds, so that the session never blocks on a slow reader
// while it handles a signal.
type eventQueue struct {
	mu       sync.Mutex
	room     *sync.Cond // signalled when the writer took records
	items    []record
	bytes    int
	closed   bool
	wake     chan struct{} // one token: records are waiting
	maxItems int
	maxBytes int
}

// newEventQueue returns an empty queue bounded at 4096 records or 8 MiB of
// output, whichever comes first.
func newEventQueue() *eventQueue {
	q := &eventQueue{wake: make(chan struct{}, 1), maxItems: 4096, maxBytes: 8 << 20}
	q.room = sync.NewCond(&q.mu)
	return q
}

// push adds r. Unless force is set, it waits while the queue is full. A
// record pushed after close is dropped.
func (q *eventQueue) push(r record, force bool) {
	q.mu.Lock()
	for !force && !q.closed && len(q.items) > 0 && (len(q.items) >= q.maxItems || q.bytes >= q.maxBytes) {
		q.room.Wait()
	}
	if q.closed {
		q.mu.Unlock()
		return
	}
	first := len(q.items) == 0
	q.items = append(q.items, r)
	q.bytes += r.size()
	q.mu.Unlock()
	if first { // the writer may be waiting: it takes everything at once
		select {
		case q.wake <- struct{}{}:
		default:
		}
	}
}

// take moves every waiting record into dst (reused) and reports whether the
// queue is closed.
func (q *eventQueue) take(dst []record) ([]record, bool) {
	q.mu.Lock()
	dst = append(dst[:0], q.items...)
	clear(q.items)
	q.items = q.items[:0]
	q.bytes = 0
	closed := q.closed
	q.mu.Unlock()
	q.room.Broadcast()
	return dst, closed
}

// close ends the queue: the writer writes what is left and returns.
func (q *eventQueue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.room.Broadcast()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// formatter appends one record in an output format.
type formatter interface {
	format(b []byte, r *record) []byte
}

// writeEvents writes the queue's records to w until the queue is closed and
// empty. Records go through a buffer that is flushed whenever the queue is
// found empty: an event is on stdout as soon as nothing else is waiting, and
// under a flood many events share one write. After the first write error it
// calls broken once and from then on discards records, so that sidecars
// never block on a reader that is gone.
func writeEvents(q *eventQueue, w io.Writer, f formatter, broken func(error)) {
	bw := bufio.NewWriterSize(w, 64<<10)
	var (
		batch  []record
		closed bool
		failed bool
		buf    []byte
	)
	fail := func(err error) {
		if !failed {
			failed = true
			broken(err)
		}
	}
	for {
		batch, closed = q.take(batch)
		if len(batch) == 0 {
			if !failed {
				if err := bw.Flush(); err != nil {
					fail(err)
				}
			}
			if closed {
				return
			}
			<-q.wake
			continue
		}
		if failed {
			continue
		}
		for i := range batch {
			if bw.Available() < 4<<10 {
				buf = f.format(buf[:0], &batch[i])
				if _, err := bw.Write(buf); err != nil {
					fail(err)
					break
				}
				continue
			}
			// Encode straight into the buffer's free space when it fits.
			b := f.format(bw.AvailableBuffer(), &batch[i])
			if _, err := bw.Write(b); err != nil {
				fail(err)
				break
			}
		}
		clear(batch)
	}
}
