//go:build linux

package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// BenchmarkRunFlood is `tether run` in this process with a sidecar that
// prints 20 MB of 100-byte lines as fast as it can, its NDJSON going to a
// writer that counts lines (no kernel write): the time and the heap
// allocations of tether's own output path, per line of the sidecar's
// (reading, cutting, delivering, encoding, writing). The sidecar is another
// process: its allocations are not counted.
func BenchmarkRunFlood(b *testing.B) {
	exe, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	const size, lineSize = 20_000_000, 100
	args := []string{"run", "--exit-with-parent=false", "--restart", "never", "--env", "TETHER_TEST_HELPER=flood",
		"--", exe, strconv.Itoa(size)}
	b.SetBytes(size)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	runs := 0
	for b.Loop() {
		var errb bytes.Buffer
		w := &lineCounter{}
		if code := run(context.Background(), args, strings.NewReader(""), w, &errb); code != 0 {
			b.Fatalf("exit status %d: %s", code, errb.String())
		}
		if w.lines < size/lineSize {
			b.Fatalf("%d lines of NDJSON for %d lines of output", w.lines, size/lineSize)
		}
		runs++
	}
	runtime.ReadMemStats(&after)
	lines := float64(runs) * size / lineSize
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/lines, "allocs/line")
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/lines, "B/line")
}

// lineCounter is a writer that counts the lines written to it.
type lineCounter struct{ lines int }

func (w *lineCounter) Write(p []byte) (int, error) {
	w.lines += bytes.Count(p, []byte{'\n'})
	return len(p), nil
}

var _ io.Writer = (*lineCounter)(nil)
