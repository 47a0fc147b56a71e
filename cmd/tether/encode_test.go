package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"tether.dev/tether"
)

// randomBytes returns n bytes that are hard on a JSON encoder: control
// characters, quotes, backslashes, multi-byte UTF-8, and (when valid is
// false) bytes that are not UTF-8.
func randomBytes(r *rand.Rand, n int, valid bool) []byte {
	pieces := []string{"a", "\"", "\\", "\n", "\r", "\t", "\x00", "\x01", "\x1f", "\x7f", "é", "\u2028", "😀", "<", ">", "&", "/", " "}
	var b []byte
	for len(b) < n {
		if !valid && r.IntN(8) == 0 {
			b = append(b, byte(0x80+r.IntN(0x80)))
			continue
		}
		b = append(b, pieces[r.IntN(len(pieces))]...)
	}
	return b
}

// The hand-written encoder agrees with encoding/json's decoder on every
// field of every kind, for hostile strings.
func TestEncoderAgainstEncodingJSON(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	enc := newEncoder()
	base := time.Date(2026, 3, 4, 5, 6, 7, 8, time.FixedZone("X", 3600))
	for i := range 1000 {
		valid := i%2 == 0
		ev := tether.Event{
			Time:        base.Add(time.Duration(r.Int64N(1e15))),
			Name:        string(randomBytes(r, r.IntN(12), valid)),
			Kind:        tether.EventKind(1 + i%10),
			Pid:         1 + r.IntN(1<<22),
			Attempt:     1 + r.IntN(100),
			Port:        r.IntN(65536),
			Containment: []string{"", "cgroup+watcher", "job-object"}[i%3],
			Data:        randomBytes(r, r.IntN(200), r.IntN(3) > 0),
			Partial:     r.IntN(2) == 0,
			Code:        r.IntN(257) - 1,
			Uptime:      time.Duration(r.Int64N(1e12)),
			After:       time.Duration(r.Int64N(1e12)),
			Delay:       time.Duration(r.Int64N(1e12)),
			Failures:    1 + r.IntN(10),
			Restarts:    r.IntN(10),
			Expected:    r.IntN(2) == 0,
			OOM:         r.IntN(4) == 0,
			State:       tether.State(r.IntN(7)),
			Prev:        tether.State(r.IntN(7)),
			Err:         errors.New(string(randomBytes(r, r.IntN(50), valid))),
		}
		if r.IntN(3) == 0 || ev.Code < 0 {
			ev.Signal = "KILL"
		}
		switch ev.Kind { // as the library fills them in
		case tether.EventRestarting, tether.EventGaveUp:
			ev.Pid = 0
		case tether.EventError, tether.EventState:
			if r.IntN(2) == 0 {
				ev.Pid, ev.Attempt = 0, 0
			}
		}
		rec := record{ev: ev}
		switch i % 13 {
		case 11:
			rec.kind, rec.reason = recStopping, "signal"
		case 12:
			rec.kind = recStopped
			rec.ev.Code = max(ev.Code, 0)
			ev.Code = rec.ev.Code
		}
		line := enc.append(nil, &rec)
		if !bytes.HasSuffix(line, []byte("}\n")) || bytes.Count(line, []byte("\n")) != 1 {
			t.Fatalf("not one line: %q", line)
		}
		var m map[string]any
		if err := json.Unmarshal(line, &m); err != nil {
			t.Fatalf("encoding/json cannot read %q: %v", line, err)
		}
		var e event
		if err := checkEvent(line, &e); err != nil {
			t.Errorf("%v: %q", err, line)
		}
		wantName := strings.ToValidUTF8(ev.Name, "\uFFFD")
		tm, err := time.Parse(time.RFC3339Nano, m["time"].(string))
		if err != nil || !tm.Equal(ev.Time) || m["name"] != wantName {
			t.Fatalf("time/name of %q: %v %v", line, tm, err)
		}
		num := func(k string) int64 { f, _ := m[k].(float64); return int64(f) }
		switch rec.kind {
		case recStopping:
			if m["event"] != "stopping" || m["reason"] != "signal" || len(m) != 4 {
				t.Errorf("stopping: %q", line)
			}
			continue
		case recStopped:
			if m["event"] != "stopped" || num("code") != int64(ev.Code) || len(m) != 4 {
				t.Errorf("stopped: %q", line)
			}
			continue
		}
		if m["event"] != ev.Kind.String() {
			t.Errorf("event %v, want %v", m["event"], ev.Kind)
		}
		if (ev.Pid != 0) != (m["pid"] != nil) || num("pid") != int64(ev.Pid) || num("attempt") != int64(ev.Attempt) {
			t.Errorf("pid/attempt of %q", line)
		}
		errText := strings.ToValidUTF8(ev.Err.Error(), "\uFFFD")
		switch ev.Kind {
		case tether.EventStdout, tether.EventStderr:
			var got []byte
			if s, ok := m["line"].(string); ok {
				got = []byte(s)
				if !utf8.Valid(ev.Data) {
					t.Errorf("invalid UTF-8 sent as line: %q", line)
				}
			} else {
				got, err = base64.StdEncoding.DecodeString(m["data"].(string))
				if err != nil || utf8.Valid(ev.Data) {
					t.Errorf("data of %q: %v", line, err)
				}
			}
			if !bytes.Equal(got, ev.Data) {
				t.Errorf("chunk %q came back as %q", ev.Data, got)
			}
			if (m["partial"] == true) != ev.Partial {
				t.Errorf("partial of %q", line)
			}
		case tether.EventExited:
			if ev.Signal != "" {
				if m["code"] != nil || m["signal"] != "KILL" {
					t.Errorf("exited by signal: %q", line)
				}
			} else if ev.Code >= 0 && (num("code") != int64(ev.Code) || m["signal"] != nil) {
				t.Errorf("exited: %q", line)
			}
			if num("uptime_ms") != ev.Uptime.Milliseconds() || m["expected"] != ev.Expected {
				t.Errorf("exited: %q", line)
			}
			if oom, present := m["oom"]; (oom == true) != ev.OOM || (present && oom != true) {
				t.Errorf("exited: oom %v of %q, want present (true) exactly when OOM", oom, line)
			}
		case tether.EventReady:
			if num("after_ms") != ev.After.Milliseconds() {
				t.Errorf("ready: %q", line)
			}
		case tether.EventRestarting:
			if num("delay_ms") != ev.Delay.Milliseconds() {
				t.Errorf("restarting: %q", line)
			}
		case tether.EventGaveUp:
			if num("restarts") != int64(ev.Restarts) || m["error"] != errText {
				t.Errorf("gave_up: %q", line)
			}
		case tether.EventUnhealthy:
			if num("failures") != int64(ev.Failures) || m["error"] != errText {
				t.Errorf("unhealthy: %q", line)
			}
		case tether.EventError:
			if m["error"] != errText {
				t.Errorf("error: %q", line)
			}
		case tether.EventState:
			if m["state"] != ev.State.String() || m["from"] != ev.Prev.String() {
				t.Errorf("state: %q", line)
			}
		case tether.EventSpawned:
			if c, _ := m["containment"].(string); c != ev.Containment {
				t.Errorf("containment of %q", line)
			}
			if (ev.Port != 0) != (m["port"] != nil) || num("port") != int64(ev.Port) {
				t.Errorf("spawned: %q", line)
			}
		}
	}
}

// The time is always nine digits of fraction, in UTC, also at a whole
// second and across the year boundary of the fast path.
func TestAppendTime(t *testing.T) {
	t.Parallel()
	for _, tm := range []time.Time{
		time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		time.Date(1999, 12, 31, 23, 59, 59, 999999999, time.FixedZone("", -7*3600)),
		time.Date(0, 1, 1, 0, 0, 0, 1, time.UTC),
		time.Date(12345, 1, 1, 0, 0, 0, 1, time.UTC),
	} {
		got := string(appendTime(nil, tm))
		want := tm.UTC().Format("2006-01-02T15:04:05.000000000Z07:00")
		if got != want {
			t.Errorf("appendTime(%v) = %s, want %s", tm, got, want)
		}
	}
}

// Under a flood, events share writes; each line stays whole, and nothing
// is lost when the reader is slow.
func TestWriterFlushesWhenIdle(t *testing.T) {
	t.Parallel()
	q := newEventQueue()
	w := &countingWriter{}
	done := make(chan struct{})
	go func() {
		writeEvents(q, w, jsonFormat{enc: newEncoder()}, nil, func(error) {})
		close(done)
	}()
	// One event alone is flushed at once.
	q.Push(record{ev: tether.Event{Time: time.Now(), Name: "a", Kind: tether.EventReady, Pid: 1, Attempt: 1}})
	deadline := time.Now().Add(10 * time.Second)
	for w.writes() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("a lone event was not flushed")
		}
		time.Sleep(time.Millisecond)
	}
	const n = 20000
	for i := range n {
		q.Push(record{ev: tether.Event{Time: time.Now(), Name: "a", Kind: tether.EventStdout, Pid: 1, Attempt: 1, Data: []byte(strings.Repeat("x", i%100))}})
	}
	q.Close()
	<-done
	lines := bytes.Count(w.data(), []byte("\n"))
	if lines != n+1 {
		t.Errorf("%d lines, want %d", lines, n+1)
	}
	if w.writes() > n/10 {
		t.Errorf("%d writes for %d events: not batched", w.writes(), n)
	}
}

// countingWriter keeps what is written and counts the writes.
type countingWriter struct {
	mu  sync.Mutex
	buf bytes.Buffer
	n   int
}

func (w *countingWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.n++
	return w.buf.Write(p)
}

func (w *countingWriter) writes() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.n
}

func (w *countingWriter) data() []byte {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Bytes()
}

// appendLine and appendLineTo skip plain bytes eight at a time and jump to
// the first byte that is not plain within a word: every kind of such byte,
// alone or after another in the same word, at every offset in and after
// the first two words, comes back as it was (or is refused, when not
// UTF-8), and appendLineTo stops at the first newline.
func TestAppendLineEveryOffset(t *testing.T) {
	t.Parallel()
	specials := []string{"\"", "\\", "\n", "\r", "\t", "\x00", "\x1f", "\x7f", "é", "\u2028", "😀", "\xff", "\xc3", "\x01\"", "\"\\", "\x80a"}
	for _, sp := range specials {
		for off := range 20 {
			for _, tail := range []int{0, 1, 7, 8, 9, 17} {
				data := []byte(strings.Repeat("p", off) + sp + strings.Repeat("q", tail))
				got, ok := appendLine([]byte("x"), data)
				if ok != utf8.Valid(data) {
					t.Fatalf("%q: ok %v, want %v", data, ok, !ok)
				}
				if !ok {
					if string(got) != "x" {
						t.Fatalf("%q refused, but appended %q", data, got[1:])
					}
					continue
				}
				var back string
				if err := json.Unmarshal([]byte("{"+string(got[1:])+"}"), &struct{ Line *string }{&back}); err != nil || back != string(data) {
					t.Fatalf("%q encoded as %q, which reads back as %q (%v)", data, got[1:], back, err)
				}
				withNL := append(append([]byte{}, data...), "\nrest"...)
				_, end, ok := appendLineTo(nil, withNL)
				if want := bytes.IndexByte(withNL, '\n'); ok && end != want {
					t.Fatalf("appendLineTo(%q) stopped at %d, want the newline at %d", withNL, end, want)
				}
			}
		}
	}
}

// BenchmarkEncodeLine is the cost of one 100-byte stdout line.
func BenchmarkEncodeLine(b *testing.B) {
	enc := newEncoder()
	rec := record{ev: tether.Event{Time: time.Now(), Name: "api", Kind: tether.EventStdout, Pid: 1234, Attempt: 1,
		Data: []byte(strings.Repeat("GET /api/v1/items 200 12ms ", 4)[:99])}}
	buf := make([]byte, 0, 512)
	b.SetBytes(100)
	for b.Loop() {
		buf = enc.append(buf[:0], &rec)
	}
}

// Text for people: names padded to one width and coloured, stderr's bar
// red, sentences for lifecycle events, state changes left out.
func TestTextFormat(t *testing.T) {
	t.Parallel()
	f := newTextFormat([]string{"a", "longer"}, true)
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.Local)
	line := string(f.format(nil, &record{ev: tether.Event{Time: at, Name: "a", Kind: tether.EventStderr, Data: []byte("bad \xff")}}))
	if !strings.HasPrefix(line, ansiDim+"03:04:05.000"+ansiReset+" "+nameColor(0)+"a"+ansiReset+"     "+ansiRed+" | "+ansiReset+"bad \uFFFD\n") {
		t.Errorf("stderr line %q", line)
	}
	line = string(f.format(nil, &record{ev: tether.Event{Time: at, Name: "longer", Kind: tether.EventReady, Pid: 7, After: 1500 * time.Microsecond}}))
	if !strings.Contains(line, nameColor(1)+"longer") || !strings.Contains(line, "ready after 2ms (pid 7)") {
		t.Errorf("ready line %q", line)
	}
	if s := f.format(nil, &record{ev: tether.Event{Time: at, Name: "a", Kind: tether.EventState}}); len(s) != 0 {
		t.Errorf("state shown: %q", s)
	}
	plain := newTextFormat([]string{"a"}, false)
	if s := string(plain.format(nil, &record{kind: recStopping, reason: "stdin", ev: tether.Event{Time: at, Name: "a"}})); strings.Contains(s, "\x1b") || !strings.Contains(s, "a * stopping because standard input ended") {
		t.Errorf("stopping line %q", s)
	}
}
