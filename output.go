package tether

import (
	"bytes"
	"errors"
	"os"
	"time"

	"tether.dev/tether/internal/proc"
)

// readSize is the size of one read from an output pipe: the default pipe
// capacity on Linux, so one read usually empties the pipe.
const readSize = 64 << 10

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
// output events.
type delivery struct {
	ev  Event
	out *outBatch
}

// lineReader drains one output pipe of one attempt. It owns the read end.
type lineReader struct {
	r       *os.File
	kind    EventKind
	pid     int
	attempt int
	q       chan<- delivery
	onLine  func([]byte) // optional; sees every complete or partial chunk
	pend    []byte       // the start of a line not yet ended
}

// run reads until EOF, or until an interrupt (proc.InterruptRead) after
// which it takes what the pipe already holds, then delivers the last
// unterminated line as a partial chunk. Every byte read is delivered.
func (lr *lineReader) run() {
	for {
		buf := lr.nextBuf()
		n, err := lr.r.Read(buf[len(buf):cap(buf)])
		lr.emit(buf[:len(buf)+n])
		if err == nil {
			continue
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			// Interrupted after the tree was gone: what the pipe
			// holds now is still delivered, then we stop.
			tmp := make([]byte, readSize)
			proc.DrainNonblocking(lr.r, tmp, 16*readSize, func(p []byte) {
				b := lr.nextBuf()
				lr.emit(append(b, p...))
			})
		}
		break
	}
	if len(lr.pend) > 0 {
		b := &outBatch{kind: lr.kind, pid: lr.pid, attempt: lr.attempt, time: time.Now(), buf: lr.pend,
			chunks: []chunk{{off: 0, end: len(lr.pend), partial: true}}}
		lr.see(lr.pend)
		lr.q <- delivery{out: b}
		lr.pend = nil
	}
}

// nextBuf returns a fresh buffer that starts with the pending bytes and has
// room for a read: at least readSize, and twice the pending length, so a long
// line is copied O(log n) times rather than once per read.
func (lr *lineReader) nextBuf() []byte {
	room := readSize
	if len(lr.pend) > room {
		room = len(lr.pend)
	}
	if len(lr.pend)+room > MaxChunk+readSize {
		room = max(readSize, MaxChunk+readSize-len(lr.pend))
	}
	buf := make([]byte, len(lr.pend), len(lr.pend)+room)
	copy(buf, lr.pend)
	return buf
}

// emit cuts buf into chunks, sends those it can, and keeps the rest
// (an unfinished line shorter than MaxChunk) as pending.
func (lr *lineReader) emit(buf []byte) {
	var chunks []chunk
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
	if lr.onLine != nil {
		for _, c := range chunks {
			lr.see(buf[c.off:c.end])
		}
	}
	lr.q <- delivery{out: &outBatch{kind: lr.kind, pid: lr.pid, attempt: lr.attempt, time: time.Now(), buf: buf, chunks: chunks}}
}

func (lr *lineReader) see(p []byte) {
	if lr.onLine != nil {
		lr.onLine(p)
	}
}
