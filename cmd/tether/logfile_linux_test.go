package main

import (
	"os"
	"strings"
	"testing"
	"time"
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
