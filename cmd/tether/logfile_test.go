package main

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// errRecorder collects what a log file reports.
type errRecorder struct {
	mu   sync.Mutex
	errs []error
}

func (r *errRecorder) report(err error) {
	r.mu.Lock()
	r.errs = append(r.errs, err)
	r.mu.Unlock()
}

func (r *errRecorder) all() []error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]error(nil), r.errs...)
}

// drained waits until the writer has taken everything queued (the stream
// here comes faster than any sidecar's through tether's pipeline; the test
// is about rotation, not about a disk that falls behind).
func drained(t *testing.T, l *logFile) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		l.mu.Lock()
		n := len(l.buf)
		l.mu.Unlock()
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the log writer did not catch up in 30s")
		}
		time.Sleep(time.Millisecond)
	}
}

// 50 MB of lines through a 1 MiB limit and 3 files: the files, oldest
// first, are exactly the last bytes of the stream, each within the limit,
// each beginning and ending at a line boundary; the directory was created.
func TestLogFileRotation(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "new", "dir", "side.log")
	var rec errRecorder
	l, err := newLogFile(path, 1<<20, 3, rec.report)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	letters := make([]byte, 2<<20)
	for i := range letters {
		letters[i] = byte('a' + i*7%26)
	}
	stream := make([]byte, 0, 51<<20)
	for len(stream) < 50<<20 {
		n := r.IntN(400)
		if r.IntN(500) == 0 {
			n = 1<<20 - r.IntN(100<<10) // now and then a line that nearly fills a file
		}
		off := r.IntN(len(letters) - n)
		line := letters[off : off+n : off+n]
		if r.IntN(50) == 0 {
			line = append(line, "\xff\x00\r"...) // any bytes, as written
		}
		l.add(line, false)
		stream = append(append(stream, line...), '\n')
		if len(stream)%(4<<20) < 500 {
			drained(t, l)
		}
	}
	l.close(30 * time.Second)
	if errs := rec.all(); len(errs) > 0 {
		t.Fatalf("errors: %v", errs)
	}
	var got []byte
	for _, name := range []string{path + ".2", path + ".1", path} {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if len(b) == 0 || len(b) > 1<<20 || b[len(b)-1] != '\n' {
			t.Fatalf("%s: %d bytes, ending %q: want 1 to %d bytes ending in a newline", name, len(b), b[max(0, len(b)-1):], 1<<20)
		}
		got = append(got, b...)
	}
	if _, err := os.Stat(path + ".3"); !os.IsNotExist(err) {
		t.Fatalf("%s.3 exists: more than 3 files kept", path)
	}
	start := len(stream) - len(got)
	if len(got) <= 1<<20 || !bytes.Equal(got, stream[start:]) || stream[start-1] != '\n' {
		t.Fatalf("the files hold %d bytes that are not the last whole lines of the stream", len(got))
	}
}

// A line longer than a whole file is cut at the limit; a partial chunk
// adds no newline.
func TestLogFileLongLineAndPartial(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "side.log")
	l, err := newLogFile(path, 100, 2, func(err error) { t.Errorf("report: %v", err) })
	if err != nil {
		t.Fatal(err)
	}
	l.add([]byte(strings.Repeat("x", 150)), false)
	drained(t, l)
	l.add([]byte("tail"), true)
	l.close(10 * time.Second)
	old, _ := os.ReadFile(path + ".1")
	cur, _ := os.ReadFile(path)
	if string(old) != strings.Repeat("x", 100) || string(cur) != strings.Repeat("x", 50)+"\ntail" {
		t.Fatalf("files %q, %q", old, cur)
	}
}

// A log file that cannot be opened is reported once, however much output
// follows; a directory that cannot be created is an error at once.
func TestLogFileUnwritable(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var rec errRecorder
	l, err := newLogFile(dir, 1<<20, 3, rec.report) // a directory: cannot be opened as a file
	if err != nil {
		t.Fatal(err)
	}
	for range 100 {
		l.add([]byte("line"), false)
		time.Sleep(100 * time.Microsecond)
	}
	l.close(10 * time.Second)
	if errs := rec.all(); len(errs) != 1 || !strings.Contains(errs[0].Error(), dir) {
		t.Fatalf("errors %v, want one naming %s", errs, dir)
	}

	file := filepath.Join(dir, "file")
	os.WriteFile(file, nil, 0o644)
	if _, err := newLogFile(filepath.Join(file, "sub", "x.log"), 1<<20, 3, rec.report); err == nil {
		t.Fatal("a log directory under a file: no error")
	}
}
