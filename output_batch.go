package tether

import "time"

// Output is the output events of one read of an attempt's stdout or stderr,
// handed to an OnOutput hook in one call: every complete line the read
// held, and the pieces of lines longer than MaxChunk (or the last bytes
// before the pipe closed), in order. A flood of short lines then costs one
// call per read rather than one per line.
//
// An Output and its bytes are valid only until the OnOutput call that
// received it returns: the buffer is then read into again. A host that
// keeps it, or hands it to another goroutine, keeps a Clone.
type Output struct {
	Time    time.Time // when the read returned: the Time of each event
	Name    string    // the sidecar's name
	Kind    EventKind // EventStdout or EventStderr
	Pid     int       // the attempt's process id
	Attempt int       // the attempt, as in Event.Attempt

	buf   []byte    // the events' bytes (Bytes), never written again
	lines *lineCuts // the events, cut from buf when first asked for
}

// outputOf returns b as an Output of the sidecar name.
func outputOf(name string, b *outBatch) Output {
	return Output{Time: b.time, Name: name, Kind: b.kind, Pid: b.pid, Attempt: b.attempt, buf: b.buf, lines: &b.lines}
}

// Clone returns a copy of o that is the caller's to keep.
func (o Output) Clone() Output {
	if len(o.buf) == 0 {
		return o
	}
	o.buf = append([]byte(nil), o.buf...)
	o.lines = &lineCuts{}
	return o
}

// chunks returns o's events, cutting them on first use.
func (o *Output) chunks() []chunk {
	if len(o.buf) == 0 {
		return nil
	}
	return o.lines.of(o.buf)
}

// Len returns the number of events.
func (o Output) Len() int { return len(o.chunks()) }

// Chunk returns the Data and Partial of event i, 0 ≤ i < Len(). Appending
// to data never changes the Output.
func (o Output) Chunk(i int) (data []byte, partial bool) {
	c := o.chunks()[i]
	return o.buf[c.off:c.end:c.end], c.partial
}

// Event returns event i, 0 ≤ i < Len(), as OnEvent would have received it
// (with Data valid as long as o is).
func (o Output) Event(i int) Event {
	data, partial := o.Chunk(i)
	return Event{Time: o.Time, Name: o.Name, Kind: o.Kind, Pid: o.Pid, Attempt: o.Attempt, Data: data, Partial: partial}
}

// Bytes returns the events' bytes as the sidecar wrote them: each Data
// followed by its newline, none after a Partial one. It is what a log file
// of the sidecar's output appends, in one copy. Appending to it never
// changes the Output.
func (o Output) Bytes() []byte {
	if len(o.buf) == 0 {
		return nil
	}
	return o.buf[:len(o.buf):len(o.buf)]
}

// giveBack hands b's buffer back to its reader, if it takes it and has
// room; b must not be used afterwards. Only OnOutput's events (valid for
// the call) and events nobody receives are given back: an Event's Data is
// the host's to keep.
func (b *outBatch) giveBack() {
	if b.free != nil {
		chunks := b.lines.chunks // cut, or else the list it would have been cut into
		if chunks == nil {
			chunks = b.lines.room
		}
		b.free.put(spare{buf: b.buf[:cap(b.buf)], chunks: chunks[:0]})
	}
}
