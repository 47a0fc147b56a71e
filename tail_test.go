package tether

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

// addLines feeds lines to t as one read of a reader would.
func addLines(t *tailRing, lines ...string) {
	var buf []byte
	var chunks []chunk
	for _, l := range lines {
		chunks = append(chunks, chunk{off: len(buf), end: len(buf) + len(l)})
		buf = append(buf, l...)
		buf = append(buf, '\n')
	}
	t.add(buf, chunks)
}

func TestTailRingKeepsLastLinesWithinBytes(t *testing.T) {
	var r tailRing
	if got := r.strings(); got == nil || len(got) != 0 {
		t.Fatalf("empty ring: %#v, want an empty, non-nil list", got)
	}
	var many []string
	for i := range 50 {
		many = append(many, fmt.Sprintf("line %d", i))
	}
	addLines(&r, many[:7]...)
	addLines(&r, many[7:]...)
	got := r.strings()
	if len(got) != TailLines || got[0] != "line 30" || got[TailLines-1] != "line 49" {
		t.Fatalf("tail = %q, want line 30 … line 49", got)
	}

	// Bytes: three 3 KiB lines come to 9 KiB, so the oldest goes.
	var b tailRing
	big := strings.Repeat("x", 3<<10)
	addLines(&b, "a"+big, "b"+big, "c"+big)
	got = b.strings()
	if len(got) != 2 || got[0][0] != 'b' || got[1][0] != 'c' {
		t.Fatalf("tail of 3 KiB lines: %d lines starting %q, want b, c", len(got), firsts(got))
	}

	// One line longer than TailBytes keeps its end; invalid UTF-8 and a
	// CR before the newline are cleaned.
	var c tailRing
	addLines(&c, strings.Repeat("y", 20<<10)+"END")
	addLines(&c, "caf\xc3\xa9 \xff\r")
	got = c.strings()
	total := 0
	for _, s := range got {
		total += len(s)
		if !utf8.ValidString(s) {
			t.Fatalf("invalid UTF-8 in tail: %q", s)
		}
	}
	if total > TailBytes || got[len(got)-1] != "café \uFFFD" {
		t.Fatalf("tail = %d bytes, last %q; want ≤ %d, \"café \uFFFD\"", total, got[len(got)-1], TailBytes)
	}
	var d tailRing
	addLines(&d, strings.Repeat("y", 20<<10)+"END")
	if got = d.strings(); len(got) != 1 || len(got[0]) != TailBytes || !strings.HasSuffix(got[0], "END") {
		t.Fatalf("an over-long line should keep its last %d bytes; got %d lines", TailBytes, len(got))
	}
}

func firsts(ss []string) string {
	var b strings.Builder
	for _, s := range ss {
		b.WriteByte(s[0])
	}
	return b.String()
}
