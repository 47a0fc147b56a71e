package tether

import (
	"bytes"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"
)

// The crash tail: how much of an attempt's last output Event.Tail and
// ExitError.Tail carry.
const (
	TailLines = 20      // at most this many lines
	TailBytes = 8 << 10 // of at most this many bytes in all
)

// tailRing keeps the last TailLines chunks an attempt printed, stdout and
// stderr together in the order their readers saw them. The readers add to it
// once per read (a lock and a copy of at most TailLines short lines, into
// buffers it reuses); it is turned into strings only when the attempt ends.
type tailRing struct {
	mu    sync.Mutex
	lines [TailLines][]byte // a ring; each entry at most TailBytes
	next  int               // where the next line goes
	held  int               // lines held, up to TailLines
}

// add keeps the chunks of one read, of which only the last TailLines can
// matter.
func (t *tailRing) add(buf []byte, chunks []chunk) {
	if len(chunks) > TailLines {
		chunks = chunks[len(chunks)-TailLines:]
	}
	t.mu.Lock()
	for _, c := range chunks {
		t.put(buf[c.off:c.end])
	}
	t.mu.Unlock()
}

// addLine keeps one chunk.
func (t *tailRing) addLine(p []byte) {
	t.mu.Lock()
	t.put(p)
	t.mu.Unlock()
}

// put stores p (its last TailBytes when longer); t.mu is held.
func (t *tailRing) put(p []byte) {
	if len(p) > TailBytes {
		p = p[len(p)-TailBytes:]
	}
	t.lines[t.next] = append(t.lines[t.next][:0], p...)
	t.next = (t.next + 1) % TailLines
	t.held = min(t.held+1, TailLines)
}

// strings returns the lines held, oldest first, as text (invalid UTF-8
// replaced by U+FFFD, a line's ending \r dropped), without the oldest lines
// that would take the text past TailBytes. It never returns nil, so that
// "no output" is an empty list.
func (t *tailRing) strings() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]string, 0, t.held)
	size := 0
	for i := range t.held { // newest first
		p := t.lines[(t.next-1-i+2*TailLines)%TailLines]
		p = bytes.TrimSuffix(p, []byte{'\r'})
		s := string(p)
		if !utf8.Valid(p) {
			s = strings.ToValidUTF8(s, "\uFFFD")
		}
		if size+len(s) > TailBytes {
			if i > 0 {
				break
			}
			s = s[len(s)-TailBytes:] // replacement characters made it longer
			s = strings.ToValidUTF8(s, "")
		}
		size += len(s)
		out = append(out, s)
	}
	slices.Reverse(out)
	return out
}
