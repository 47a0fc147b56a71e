package proctest

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// WaitBlockedWriting waits until pid, a process that writes without end,
// has written nothing for a second: then it is blocked on a full pipe, and
// everything between it and a stalled reader is full too. It reads the
// bytes written from /proc/PID/io, so it is Linux's alone.
func WaitBlockedWriting(t testing.TB, pid int) {
	t.Helper()
	written := func() string {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/io", pid))
		if err != nil {
			t.Fatalf("pid %d: %v", pid, err)
		}
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "wchar:") {
				return l
			}
		}
		t.Fatalf("pid %d: no wchar in /proc/PID/io", pid)
		return ""
	}
	deadline := time.Now().Add(30 * time.Second)
	for last, still := "", 0; still < 10; time.Sleep(100 * time.Millisecond) {
		if w := written(); w == last {
			still++
		} else {
			last, still = w, 0
		}
		if time.Now().After(deadline) {
			t.Fatalf("pid %d kept writing for 30s: nothing stalls", pid)
		}
	}
}
