package tether

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"testing"
)

// A read is cut into lines only when asked (chunksEnd finds where its
// whole chunks end from the end; tailFrom where its last TailLines
// chunks begin): both agree with cutting the whole read from its start,
// for reads of short lines, empty lines, lines longer than MaxChunk (with
// and without their newline in the read) and no newline at all.
func TestLazyCutAgreesWithFullCut(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(7, 7))
	filler := bytes.Repeat([]byte{'x'}, 2*MaxChunk+1000)
	for round := range 100 {
		var buf []byte
		for range rng.IntN(40) {
			n := rng.IntN(200)
			switch rng.IntN(80) {
			case 0, 1, 2, 3, 4, 5, 6, 7:
				n = 0
			case 8:
				n = MaxChunk - 1 + rng.IntN(3) // around the limit
			case 9:
				n = 2*MaxChunk + rng.IntN(1000)
			}
			buf = append(buf, filler[:n]...)
			if rng.IntN(8) > 0 {
				buf = append(buf, '\n')
			}
		}
		// What the reader kept cutting a whole read, up to its unfinished line.
		all := cutChunks(nil, buf)
		for len(all) > 0 {
			last := all[len(all)-1]
			if !last.partial || last.end-last.off == MaxChunk {
				break
			}
			all = all[:len(all)-1] // an unfinished line shorter than MaxChunk: pending
		}
		want := 0
		if len(all) > 0 {
			last := all[len(all)-1]
			want = last.end
			if !last.partial {
				want++
			}
		}
		end := chunksEnd(buf)
		if end != want {
			t.Fatalf("round %d: chunksEnd = %d, want %d", round, end, want)
		}
		if got := cutChunks(nil, buf[:end]); !slices.Equal(got, all) {
			t.Fatalf("round %d: the chunks of buf[:chunksEnd] differ from those of the whole read", round)
		}
		from := tailFrom(buf[:end])
		tail := cutChunks(nil, buf[from:end])
		n := min(len(all), TailLines)
		if len(tail) < n {
			t.Fatalf("round %d: tailFrom leaves %d chunks, want at least %d", round, len(tail), n)
		}
		for i := 1; i <= n; i++ {
			g, w := tail[len(tail)-i], all[len(all)-i]
			if g.off+from != w.off || g.end+from != w.end || g.partial != w.partial {
				t.Fatalf("round %d: tail chunk -%d = %+v (+%d), want %+v", round, i, g, from, w)
			}
		}
	}
}

// A log probe sees a line only once the line's output is queued: the
// ready event it causes is queued after it, so a host never sees an
// attempt ready before the line that made it ready (TestLogReadinessPerAttempt
// failed about once in 40 runs when the probe saw the line first).
func TestLogProbeSeesQueuedLines(t *testing.T) {
	t.Parallel()
	q := newEventQueue(func(q *eventQueue) {}) // nothing is delivered
	var seen, unqueued int
	lr := &lineReader{kind: EventStdout, q: q, onLine: func(line []byte) {
		seen++
		q.mu.Lock()
		queued := 0
		for _, d := range q.items[q.head:] {
			if d.out != nil && bytes.Contains(d.out.buf, line) {
				queued++
			}
		}
		q.mu.Unlock()
		if queued == 0 {
			unqueued++
		}
	}}
	lr.emit([]byte("warming\nREADY now\nhalf a li"))
	lr.emitOwned(append(bytes.Clone(lr.pend), "ne\nlast"...), nil)
	lr.flushPending() // as run ends: the unterminated rest goes out
	if seen != 4 || unqueued != 0 {
		t.Errorf("the probe saw %d lines, %d of them before they were queued; want 4, 0", seen, unqueued)
	}
	q.close()
	q.wait()
}
