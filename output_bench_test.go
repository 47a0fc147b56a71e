package tether

import (
	"bytes"
	"testing"
)

// BenchmarkOutputTail measures the output path's cutting of reads into
// events with the crash tail kept (tail=on, as every attempt does) against
// the same path without it (tail=off, as before the tail existed): reads of
// 256 KiB of 100-byte lines (a flood), and reads of one line (a quiet
// sidecar, where the tail's fixed cost per read weighs most).
func BenchmarkOutputTail(b *testing.B) {
	line := append(bytes.Repeat([]byte("x"), 99), '\n')
	for _, shape := range []struct {
		name  string
		lines int
	}{{"read=256KiB", 256 << 10 / len(line)}, {"read=1line", 1}} {
		read := bytes.Repeat(line, shape.lines)
		for _, tail := range []bool{false, true} {
			name := shape.name + "/tail=off"
			if tail {
				name = shape.name + "/tail=on"
			}
			b.Run(name, func(b *testing.B) {
				q := newEventQueue(func(q *eventQueue) {
					for {
						if _, ok := q.pop(); !ok {
							return
						}
					}
				})
				lr := &lineReader{kind: EventStdout, q: q}
				if tail {
					lr.tail = &tailRing{}
				}
				b.SetBytes(int64(len(read)))
				b.ReportAllocs()
				for b.Loop() {
					lr.emit(bytes.Clone(read)) // as run does with each read
				}
				q.close()
				q.wait()
			})
		}
	}
}
