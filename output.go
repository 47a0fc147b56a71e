package tether

import (
	"bytes"
	"errors"
	"os"
	"time"

	"tether.dev/tether/internal/proc"
)

// Reads go into a scratch buffer that starts at firstRead bytes (what an
// idle reader holds while it waits: a thousand sidecars' readers hold 1 MB,
// not 128) and doubles up to maxRead while reads keep filling it; what was
// read is then copied into an allocation of exactly its size, so a quiet
// sidecar's lines cost a few bytes each, and a flood costs one syscall and
// one copy per read. minRead is the room a drain reads into.
const (
	firstRead = 512
	minRead   = 64 << 10
	maxRead   = 256 << 10
)

// chunk is one output event's bytes inside a batch's buffer.
type chunk struct {
	off, end int
	partial  bool
}

// outBatch is what one read produced: a buffer that is never written again
// once sent, and the chunks cut from it. Sending batches rather than single
// lines keeps the channel off the per-line path.
type outBatch struct {
	kind    EventKind
	pid     int
	attempt int
	time    time.Time
	buf     []byte
	chunks  []chunk
}

// delivery is one item on the event queue: a single event, or a batch of
// output events. st, when set, is the status right after ev, which Status
// reports once ev is delivered.
type delivery struct {
	ev  Event
	out *outBatch
	st  *Status
}

// lineReader drains one output pipe of one attempt. It owns the read end.
type lineReader struct {
	r       *os.File
	kind    EventKind
	pid     int
	attempt int
	q       *eventQueue
	onLine  func([]byte) // optional; sees every complete or partial chunk
	tail    *tailRing    // optional; keeps the last chunks
	pend    []byte       // the start of a line not yet ended
}

// run reads until EOF, or until an interrupt (proc.InterruptRead) after
// which it takes what the pipe already holds, then delivers the last
// unterminated line as a partial chunk. Every byte read is delivered.
func (lr *lineReader) run() {
	scratch := make([]byte, firstRead)
	for {
		// The pending start of a line goes first, then the read.
		if need := len(lr.pend) + firstRead; need > len(scratch) {
			scratch = make([]byte, max(need, 2*len(scratch)))
		}
		p := copy(scratch, lr.pend)
		room := scratch[p:]
		if len(room) > maxRead {
			room = room[:maxRead]
		}
		n, err := lr.r.Read(room)
		if n > 0 {
			lr.emit(bytes.Clone(scratch[:p+n]))
			if n == len(room) && len(scratch) < maxRead {
				scratch = make([]byte, 2*len(scratch))
			}
		}
		if err == nil {
			continue
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			// Interrupted after the tree was gone: what the pipe
			// holds now is still delivered, then we stop.
			proc.DrainNonblocking(lr.r, make([]byte, minRead), 16*maxRead, func(b []byte) {
				lr.emit(append(bytes.Clone(lr.pend), b...))
			})
		}
		break
	}
	if len(lr.pend) > 0 {
		b := &outBatch{kind: lr.kind, pid: lr.pid, attempt: lr.attempt, time: time.Now(), buf: lr.pend,
			chunks: []chunk{{off: 0, end: len(lr.pend), partial: true}}}
		lr.q.pushOutput(b)
		lr.see(lr.pend)
		if lr.tail != nil {
			lr.tail.addLine(lr.pend)
		}
		lr.pend = nil
	}
}

// emit cuts buf into chunks, sends those it can, and keeps the rest
// (an unfinished line shorter than MaxChunk) as pending.
func (lr *lineReader) emit(buf []byte) {
	chunks := make([]chunk, 0, 1+len(buf)/128)
	start := 0
	for {
		i := bytes.IndexByte(buf[start:], '\n')
		if i < 0 {
			break
		}
		end := start + i
		for end-start > MaxChunk { // a long line whose newline came in this read
			chunks = append(chunks, chunk{off: start, end: start + MaxChunk, partial: true})
			start += MaxChunk
		}
		chunks = append(chunks, chunk{off: start, end: end})
		start = end + 1
	}
	for len(buf)-start >= MaxChunk {
		chunks = append(chunks, chunk{off: start, end: start + MaxChunk, partial: true})
		start += MaxChunk
	}
	lr.pend = buf[start:]
	if len(chunks) == 0 {
		return
	}
	lr.q.pushOutput(&outBatch{kind: lr.kind, pid: lr.pid, attempt: lr.attempt, time: time.Now(), buf: buf, chunks: chunks})
	if lr.tail != nil {
		lr.tail.add(buf, chunks)
	}
	if lr.onLine != nil {
		for _, c := range chunks {
			lr.see(buf[c.off:c.end])
		}
	}
}

func (lr *lineReader) see(p []byte) {
	if lr.onLine != nil {
		lr.onLine(p)
	}
}
