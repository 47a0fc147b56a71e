package main

import (
	"bufio"
	"io"

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
		batch, closed = q.Take(batch)
		if len(batch) == 0 {
			if !failed {
				if err := bw.Flush(); err != nil {
					fail(err)
				}
			}
			if closed {
				return
			}
			<-q.Ready()
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
