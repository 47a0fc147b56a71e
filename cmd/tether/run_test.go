//go:build unix

package main

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"
)

// run in this process, for what needs no binary: usage errors, help,
// version; and a whole supervision ended by its context, after which
// TestMain's goleak check finds no goroutine of the session left.
func TestRunInProcess(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"run", "--grace", "x", "--", "true"}, strings.NewReader(""), &out, &errb); code != 2 ||
		out.Len() != 0 || !strings.Contains(errb.String(), `--grace "x"`) {
		t.Errorf("usage error: %d %q %q", code, out.String(), errb.String())
	}
	out.Reset()
	if code := run(context.Background(), []string{"version"}, nil, &out, &errb); code != 0 || !strings.HasPrefix(out.String(), "tether ") {
		t.Errorf("version: %d %q", code, out.String())
	}
	out.Reset()
	if code := run(context.Background(), []string{"help", "run"}, nil, &out, &errb); code != 0 || !strings.Contains(out.String(), "--ready-timeout DUR") {
		t.Errorf("help run: %d", code)
	}

	var outMu sync.Mutex
	readLocked := func(b *bytes.Buffer) string {
		outMu.Lock()
		defer outMu.Unlock()
		return b.String()
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out.Reset()
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"run", "--exit-with-parent=false", "--grace", "1s", "--", "sh", "-c", "echo up; exec sleep 30"},
			strings.NewReader(`{"cmd":"signal","signal":"CONT"}`+"\n"), &lockedWriter{mu: &outMu, w: &out}, &errb)
	}()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(readLocked(&out), `"line":"up"`) {
		if time.Now().After(deadline) {
			t.Fatalf("no output: %q", readLocked(&out))
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit status %d", code)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("run did not return after its context ended")
	}
	evs := decodeAll(t, readLocked(&out))
	if last := evs[len(evs)-1]; last.kind() != "stopped" || len(ofKind(evs, "stopping")) != 1 {
		t.Errorf("events %v", kinds(evs))
	}
}
