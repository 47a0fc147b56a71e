package tether

import (
	"bytes"
	"errors"
	"os"
	"sync"
	"time"

	"tether.dev/tether/internal/proc"
)

// Reads go into a scratch buffer that starts at firstRead bytes (what an
// idle reader holds while it waits: a thousand sidecars' readers hold 1 MB,
// not 128) and doubles up to maxRead while reads keep filling it; what was
// read is then copied into an allocation of exactly its size, so a quiet
// sidecar's lines cost a few bytes each, and a flood costs one syscall and
// one copy per read. minRead is the room a drain reads into.
//
// maxRead is 64 KiB, not more: under a 200 MB flood of 100-byte lines,
// reads of up to 64 KiB took 20 % less of tether's CPU than reads of up to
// 256 KiB (and 1 MiB reads 50 % more) on the raw log file path: a read's
// bytes are copied again (into the log file's buffer, or encoded) while
// they are still in the CPU's cache.
const (
	firstRead = 512
	minRead   = 64 << 10
	maxRead   = 64 << 10
)

// A read of at least handOver bytes (a flood) is not copied when its
// buffer will come back (lineReader.reuse), or when it fills at least half
// the scratch buffer: the scratch buffer itself becomes the batch's, and
// the reader reads on into another, one that OnOutput is done with when
// there is one (see lineReader.free), else a new one.
const handOver = 32 << 10

// freeBuffers is how many buffers OnOutput is done with a reader keeps for
// its next reads while reads are large: as many as can be in flight.
const freeBuffers = maxQueuedOutput + 2

// spare is a batch's scratch buffer and list of chunks, given back to its
// reader once delivered, for its next reads.
type spare struct {
	buf    []byte
	chunks []chunk
}

// chunk is one output event's bytes inside a batch's buffer.
type chunk struct {
	off, end int
	partial  bool
}

// lineCuts are the chunks of a batch's buffer, cut on first use, by
// whichever goroutine asks first (the Output may be read from several
// while OnOutput runs).
type lineCuts struct {
	once   sync.Once
	room   []chunk // a list to cut into (given back by an earlier batch), or nil
	chunks []chunk
}

// of returns the chunks of buf, the buffer they belong to.
func (c *lineCuts) of(buf []byte) []chunk {
	c.once.Do(func() {
		if c.room == nil {
			c.room = make([]chunk, 0, 1+len(buf)/128)
		}
		c.chunks, c.room = cutChunks(c.room, buf), nil
	})
	return c.chunks
}

// outBatch is what one read produced: a buffer that is never written again
// once sent, holding whole chunks, and the chunks cut from it when first
// asked for. Sending batches rather than single lines keeps the queue off
// the per-line path.
type outBatch struct {
	kind    EventKind
	pid     int
	attempt int
	time    time.Time
	buf     []byte   // the chunks' bytes, each followed by its newline unless partial
	lines   lineCuts // the chunks of buf
	// free, when set, takes buf back once its events are delivered to
	// OnOutput (or to nobody): buf was a reader's scratch buffer.
	free *spares
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
	// tailChunks is the list the last chunks of a read are cut into for
	// the tail, reused.
	tailChunks []chunk
	// free holds scratch buffers handed over with a batch and given back
	// by the delivery goroutine; nil until the first is handed over.
	free   *spares
	chunks []chunk // a list of chunks from free, not in use, or nil
	// reuse says that batches come back (OnOutput, or nobody, receives
	// them): a large read is handed over even if it fills little of the
	// scratch buffer, which comes back for the next reads.
	reuse bool
}

// spares are the buffers a reader's batches gave back, kept only while
// its reads are large (a flood): the delivery goroutine puts them, the
// reader takes them. Once reads are small again it holds none, and takes
// none back: an idle sidecar holds no more than its scratch buffer.
type spares struct {
	mu       sync.Mutex
	flooding bool
	list     []spare
}

// put keeps sp if the reader is flooding and there is room.
func (f *spares) put(sp spare) {
	f.mu.Lock()
	if f.flooding && len(f.list) < freeBuffers {
		f.list = append(f.list, sp)
	}
	f.mu.Unlock()
}

// take returns a spare, if one is kept, and marks the reader flooding.
func (f *spares) take() (spare, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.flooding = true
	if len(f.list) == 0 {
		return spare{}, false
	}
	sp := f.list[len(f.list)-1]
	f.list[len(f.list)-1] = spare{}
	f.list = f.list[:len(f.list)-1]
	return sp, true
}

// calm lets go of every spare: the reader's reads are small again.
func (f *spares) calm() {
	f.mu.Lock()
	f.flooding = false
	clear(f.list)
	f.list = f.list[:0]
	f.mu.Unlock()
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
			filled := n == len(room)
			if read := p + n; read >= handOver && (lr.reuse || 2*read >= len(scratch)) {
				// The next scratch is taken before this one is sent, so
				// it is never the one lr.pend is left pointing into.
				next := lr.nextScratch(len(scratch))
				lr.emitOwned(scratch[:read], lr.free)
				scratch = next
			} else {
				lr.dropFree()
				lr.emit(bytes.Clone(scratch[:read]))
			}
			if filled && len(scratch) < maxRead {
				scratch = make([]byte, 2*len(scratch))
			}
		}
		if err == nil {
			continue
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			// Interrupted after the tree was gone: what the pipe
			// holds now is still delivered, then we stop.
			proc.DrainNonblocking(lr.r, make([]byte, minRead), 4<<20, func(b []byte) {
				lr.emit(append(bytes.Clone(lr.pend), b...))
			})
		}
		break
	}
	lr.flushPending()
}

// flushPending delivers the last unterminated line, if any, as a partial
// chunk: the pipe is closed.
func (lr *lineReader) flushPending() {
	if len(lr.pend) == 0 {
		return
	}
	b := &outBatch{kind: lr.kind, pid: lr.pid, attempt: lr.attempt, time: time.Now(), buf: lr.pend}
	lr.q.pushOutput(b)
	lr.see(lr.pend)
	if lr.tail != nil {
		lr.tail.addLine(lr.pend)
	}
	lr.pend = nil
}

// nextScratch returns a scratch buffer of size bytes: one given back, or
// a new one. A list of chunks given back with it is kept in lr.chunks.
func (lr *lineReader) nextScratch(size int) []byte {
	if lr.free == nil {
		lr.free = &spares{}
	}
	for {
		sp, ok := lr.free.take()
		if !ok {
			return make([]byte, size)
		}
		if lr.chunks == nil {
			lr.chunks = sp.chunks
		}
		if cap(sp.buf) >= size {
			return sp.buf[:size]
		}
	}
}

// dropFree lets go of the buffers given back: reads are small again, and
// an idle sidecar holds no more than its scratch buffer.
func (lr *lineReader) dropFree() {
	if lr.free != nil {
		lr.free.calm()
	}
}

// emit sends buf, the reader's own copy, up to its last complete chunk,
// and keeps the rest (an unfinished line shorter than MaxChunk) as pending.
func (lr *lineReader) emit(buf []byte) { lr.emitOwned(buf, nil) }

// emitOwned is emit for a buf that free takes back, if not nil, once the
// batch is delivered. lr.pend may be left pointing into buf: the reader
// copies it out before it reads into a buffer taken from free again.
//
// The read is not cut into lines here: only where its last complete chunk
// ends is found (from the end), and the lines are cut when someone asks
// for them (Output.Len, OnEvent's events, a log probe). A host that takes
// a read's bytes whole (a log file) then never pays for its lines, and the
// crash tail cuts only the last few.
func (lr *lineReader) emitOwned(buf []byte, free *spares) {
	end := chunksEnd(buf)
	lr.pend = buf[end:]
	if end == 0 {
		return
	}
	b := &outBatch{kind: lr.kind, pid: lr.pid, attempt: lr.attempt, time: time.Now(), buf: buf[:end], free: free}
	if free != nil && lr.chunks != nil {
		b.lines.room, lr.chunks = lr.chunks[:0], nil
	}
	var probed []chunk
	if lr.onLine != nil { // a log probe reads every line: cut them now
		probed = b.lines.of(b.buf)
	}
	// The probe sees the lines once they are queued, so the ready event
	// it causes is queued after them. buf and its chunks are not reused
	// before this reader's next read.
	lr.q.pushOutput(b)
	for _, c := range probed {
		lr.see(b.buf[c.off:c.end])
	}
	if lr.tail != nil {
		from := tailFrom(b.buf)
		lr.tailChunks = cutChunks(lr.tailChunks[:0], b.buf[from:])
		lr.tail.add(b.buf[from:], lr.tailChunks)
	}
}

// chunksEnd returns where the last complete chunk of buf ends: after its
// last newline, and after as many MaxChunk pieces of the line that follows
// as it holds. What follows is the start of a line, shorter than MaxChunk.
func chunksEnd(buf []byte) int {
	start := bytes.LastIndexByte(buf, '\n') + 1
	return start + (len(buf)-start)/MaxChunk*MaxChunk
}

// cutChunks appends to chunks the events of buf, which starts at the start
// of a line (or of a MaxChunk piece of one): one per line, without its
// newline, lines longer than MaxChunk cut into partial MaxChunk pieces, and
// bytes after the last newline (MaxChunk pieces, or the last bytes before
// the pipe closed) partial.
func cutChunks(chunks []chunk, buf []byte) []chunk {
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
	for start < len(buf) {
		end := min(start+MaxChunk, len(buf))
		chunks = append(chunks, chunk{off: start, end: end, partial: true})
		start = end
	}
	return chunks
}

// tailFrom returns where, in buf (whole chunks), the line begins from
// which on buf holds its last TailLines chunks, or more: all the crash
// tail can want of it.
func tailFrom(buf []byte) int {
	p := len(buf)
	if p > 0 && buf[p-1] == '\n' {
		p-- // the last line's own newline
	}
	for range TailLines {
		i := bytes.LastIndexByte(buf[:p], '\n')
		if i < 0 {
			return 0
		}
		p = i
	}
	return p + 1
}

func (lr *lineReader) see(p []byte) {
	if lr.onLine != nil {
		lr.onLine(p)
	}
}
