package tether

import (
	"bytes"
	"context"
	"slices"
	"testing"
)

// OnOutput sees the same bytes as OnEvent, a read at a time: two hostile
// 10 MB streams (invalid UTF-8, NUL, CR, a 3 MiB line, no final newline)
// rebuilt exactly from Bytes, each Output's Bytes agreeing with its
// chunks, and OnEvent still receiving every other event.
func TestOnOutputFidelity(t *testing.T) {
	t.Parallel()
	const seed = 42
	var (
		got      [2]bytes.Buffer
		kept     []Output // clones, read after Run
		kinds    []EventKind
		partials int
		outputs  int
	)
	spec := helperSpec(t, "fidelity", "42")
	spec.Restart = RestartNever
	s := &Supervisor{Spec: spec}
	s.OnEvent = func(e Event) {
		if e.Kind == EventStdout || e.Kind == EventStderr {
			t.Errorf("OnEvent got a %v event with OnOutput set", e.Kind)
		}
		kinds = append(kinds, e.Kind)
	}
	s.OnOutput = func(o Output) {
		outputs++
		if o.Name != spec.Name || o.Pid == 0 || o.Attempt != 1 || o.Time.IsZero() || o.Len() == 0 {
			t.Errorf("output %+v", o)
		}
		var rebuilt []byte
		for i := range o.Len() {
			data, partial := o.Chunk(i)
			if ev := o.Event(i); !bytes.Equal(ev.Data, data) || ev.Partial != partial || ev.Kind != o.Kind || ev.Name != o.Name {
				t.Errorf("Event(%d) = %+v, disagrees with Chunk", i, ev)
			}
			if len(data) > MaxChunk {
				t.Errorf("chunk of %d bytes > MaxChunk", len(data))
			}
			rebuilt = append(rebuilt, data...)
			if partial {
				partials++
			} else {
				rebuilt = append(rebuilt, '\n')
			}
		}
		if !bytes.Equal(o.Bytes(), rebuilt) {
			t.Errorf("Bytes() of %d bytes disagrees with the %d chunks (%d bytes)", len(o.Bytes()), o.Len(), len(rebuilt))
		}
		b := o.Bytes()
		_ = append(b, 'X') // must not write into the Output
		i := 0
		if o.Kind == EventStderr {
			i = 1
		}
		got[i].Write(o.Bytes())
		c := o.Clone()
		for i := range o.Len() {
			d1, p1 := o.Chunk(i)
			d2, p2 := c.Chunk(i)
			if !bytes.Equal(d1, d2) || p1 != p2 || c.Event(i).Time != o.Time {
				t.Fatalf("Clone's chunk %d differs", i)
			}
		}
		kept = append(kept, c)
	}
	if err := s.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	for i, want := range [][]byte{fidelityStream(seed), fidelityStream(seed + 1)} {
		if g := got[i].Bytes(); !bytes.Equal(g, want) {
			n := 0
			for n < len(g) && n < len(want) && g[n] == want[n] {
				n++
			}
			t.Errorf("stream %d: %d bytes, want %d; first difference at %d", i, len(g), len(want), n)
		}
	}
	// The clones still hold what was read, once every buffer was reused.
	var fromClones [2]bytes.Buffer
	for _, o := range kept {
		fromClones[o.Kind-EventStdout].Write(o.Bytes())
	}
	for i := range got {
		if !bytes.Equal(fromClones[i].Bytes(), got[i].Bytes()) {
			t.Errorf("stream %d: the clones hold %d bytes that differ from the %d read", i, fromClones[i].Len(), got[i].Len())
		}
	}
	if partials < 3 || outputs < 2 {
		t.Errorf("%d partial chunks in %d outputs, want at least 3 partials", partials, outputs)
	}
	if !slices.Contains(kinds, EventSpawned) || !slices.Contains(kinds, EventExited) {
		t.Errorf("OnEvent saw %v, want spawned and exited among them", kinds)
	}
}

// A reader keeps the buffers its batches give back only while its reads
// are large, at most freeBuffers of them; once a small read calms it, it
// holds none and takes none back, so an idle sidecar holds no more than
// its scratch buffer.
func TestSparesKeptOnlyWhileFlooding(t *testing.T) {
	t.Parallel()
	f := &spares{}
	sp := spare{buf: make([]byte, 8)}
	f.put(sp)
	if _, ok := f.take(); ok {
		t.Fatal("a spare given back before any flood was kept")
	}
	for range freeBuffers + 3 { // take marked the reader flooding
		f.put(sp)
	}
	n := 0
	for {
		if _, ok := f.take(); !ok {
			break
		}
		n++
	}
	if n != freeBuffers {
		t.Errorf("%d spares kept, want freeBuffers (%d)", n, freeBuffers)
	}
	f.put(sp)
	f.calm()
	f.put(sp)
	if len(f.list) != 0 {
		t.Errorf("%d spares held after calm", len(f.list))
	}
}
