//go:build linux

package main

import (
	"bytes"
	"context"
	"os"
	"testing"

	"tether.dev/tether"
	"tether.dev/tether/internal/proctest"
)

// A read's worth of output encoded at once (appendOutput, and
// appendAllOutput, which cuts the lines itself: the path of every stdout
// and stderr event) is byte for byte what encoding each of its
// events alone gives, for hostile streams (invalid UTF-8, NUL, CR, quotes,
// U+2028, long lines, no final newline), whatever limit cuts it into
// writes; and the text format's batch path agrees with its own per-event
// path too.
func TestOutputEncodingMatchesEvents(t *testing.T) {
	t.Parallel()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	var outputs, lines int
	check := func(o tether.Output) {
		outputs++
		lines += o.Len()
		batchEnc, eventEnc := newEncoder(), newEncoder()
		text := newTextFormat([]string{o.Name}, false)
		textEvents := newTextFormat([]string{o.Name}, false)
		for _, limit := range []int{1, 4 << 10, writeSize} {
			var got, want, gotText, wantText []byte
			for i := 0; i < o.Len(); {
				got, i = batchEnc.appendOutput(got, &o, i, len(got)+limit)
			}
			for i := 0; i < o.Len(); {
				gotText, i = text.formatOutput(gotText, &o, i, len(gotText)+limit)
			}
			for i := range o.Len() {
				r := record{ev: o.Event(i)}
				want = eventEnc.append(want, &r)
				wantText = textEvents.format(wantText, &r)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("limit %d: the batch encoding of %d events differs from theirs one by one:\n%.300q\n%.300q", limit, o.Len(), got, want)
			}
			if !bytes.Equal(gotText, wantText) {
				t.Fatalf("limit %d: the text batch of %d events differs from its events one by one", limit, o.Len())
			}
			if all := batchEnc.appendAllOutput(nil, &o); !bytes.Equal(all, want) {
				t.Fatalf("appendAllOutput's %d bytes differ from the %d events one by one (%d bytes):\n%.300q\n%.300q", len(all), o.Len(), len(want), all, want)
			}
			r := record{kind: recOutput, out: o}
			if whole := batchEnc.append(nil, &r); !bytes.Equal(whole, want) {
				t.Fatalf("an output record encodes as %d bytes, its events as %d", len(whole), len(want))
			}
		}
	}
	spec := tether.Spec{Name: "hostile", Command: exe, Args: []string{"11"}, Restart: tether.RestartNever,
		Env: []string{"TETHER_TEST_HELPER=fidelity", proctest.Env(t)}}
	s := &tether.Supervisor{Spec: spec, OnOutput: check}
	if err := s.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if outputs < 2 || lines < 1000 {
		t.Errorf("%d outputs of %d lines in all: the stream did not come", outputs, lines)
	}
}
