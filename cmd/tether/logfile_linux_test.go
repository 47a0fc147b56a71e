package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// A full disk (/dev/full: every write fails with ENOSPC) is reported once;
// add never blocks; the device is never rotated.
func TestLogFileFullDisk(t *testing.T) {
	t.Parallel()
	var rec errRecorder
	l, err := newLogFile("/dev/full", 10, 3, rec.report)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for range 10000 {
		l.add([]byte("a line longer than the limit"), false)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("10000 adds took %v", d)
	}
	l.close(10 * time.Second)
	if errs := rec.all(); len(errs) != 1 || !strings.Contains(errs[0].Error(), "no space") {
		t.Fatalf("errors %v, want one saying no space", errs)
	}
	if _, err := os.Stat("/dev/full.1"); !os.IsNotExist(err) {
		t.Fatal("/dev/full was rotated")
	}
}

// A disk slower than the sidecar, but writing (a FIFO read with pauses): add waits for it, and every byte arrives, in order,
// with no error. A disk that writes nothing (a FIFO nobody opens: the
// writer hangs in open) holds add up for logStall at most; then output is
// left out of the file, and one error says so.
func TestLogFileWaitsForAWritingDisk(t *testing.T) {
	t.Parallel()
	fifo := filepath.Join(t.TempDir(), "slow")
	if err := unix.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	var rec errRecorder
	l, err := newLogFile(fifo, 1<<30, 1, rec.report)
	if err != nil {
		t.Fatal(err)
	}
	const pending = 1 << 20 // logPending is 16 MiB: the test needs less
	l.mu.Lock()
	l.pending = pending
	l.mu.Unlock()
	got := make(chan []byte, 1)
	go func() {
		f, err := os.Open(fifo)
		if err != nil {
			got <- nil
			return
		}
		defer f.Close()
		var all []byte
		buf := make([]byte, 1<<20)
		for reads := 1; ; reads++ {
			n, err := f.Read(buf)
			all = append(all, buf[:n]...)
			if err != nil {
				got <- all
				return
			}
			if reads%4 == 0 {
				time.Sleep(time.Millisecond)
			}
		}
	}()
	chunk := bytes.Repeat([]byte("0123456789abcdef"), 64<<10/16) // 64 KiB
	var want []byte
	for i := range 4*pending/len(chunk) + 1 { // twice the buffer, and more
		c := append([]byte(nil), chunk...)
		c[0] = byte(i)
		l.add(c, true)
		want = append(want, c...)
	}
	l.close(30 * time.Second)
	if b := <-got; !bytes.Equal(b, want) {
		t.Errorf("the FIFO got %d bytes, want the %d added, in order", len(b), len(want))
	}
	if errs := rec.all(); len(errs) != 0 {
		t.Errorf("errors %v from a disk that kept writing", errs)
	}

	hung := filepath.Join(t.TempDir(), "hung")
	if err := unix.Mkfifo(hung, 0o600); err != nil {
		t.Fatal(err)
	}
	var rec2 errRecorder
	l2, err := newLogFile(hung, 1<<30, 1, rec2.report)
	if err != nil {
		t.Fatal(err)
	}
	l2.mu.Lock()
	l2.pending = pending
	l2.mu.Unlock()
	start := time.Now()
	for range 4*pending/len(chunk) + 1 {
		l2.add(chunk, true)
	}
	if d := time.Since(start); d > 2*logStall+5*time.Second {
		t.Errorf("adds to a hung disk took %v, want about logStall (%v)", d, logStall)
	}
	l2.close(100 * time.Millisecond)
	// Free the writer from its open, so that its goroutine ends.
	if f, err := os.OpenFile(hung, os.O_RDONLY|unix.O_NONBLOCK, 0); err == nil {
		defer f.Close()
		io.Copy(io.Discard, f)
	}
	deadline := time.Now().Add(30 * time.Second)
	for len(rec2.all()) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if errs := rec2.all(); len(errs) != 1 || !strings.Contains(errs[0].Error(), "behind") {
		t.Errorf("errors %v, want one saying the disk fell behind", errs)
	}
}
