//go:build unix

package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"tether.dev/tether/internal/proctest"
)

// Issue 11 item 16: background use is deterministic. A tether whose starter
// is gone — before tether could look (sh -c 'tether … &': init adopted it)
// or later (sh -c 'tether … & sleep 2') — does not keep running under
// --exit-with-parent; with --exit-with-parent=false it runs on until it is
// stopped.
func TestBackgroundUse(t *testing.T) {
	t.Parallel()
	bg := func(t *testing.T, tail string, flags ...string) *exec.Cmd {
		line := fmt.Sprintf("%q run %s -- sleep 1000 >/dev/null 2>>%q &%s", tetherBin, strings.Join(flags, " "), filepath.Join(t.TempDir(), "stderr"), tail)
		sh := exec.Command("sh", "-c", line)
		sh.Env = append(os.Environ(), proctest.Env(t))
		return sh
	}
	t.Run("gone-at-start", func(t *testing.T) {
		t.Parallel()
		// Five times: whether sh is gone before tether reads its parent's
		// pid or just after, nothing keeps running.
		for i := range 5 {
			if out, err := bg(t, "").CombinedOutput(); err != nil {
				t.Fatalf("round %d: sh: %v %s", i, err, out)
			}
			proctest.NoLeftovers(t, 15*time.Second)
		}
	})
	t.Run("refusal", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		// The subshell waits until sh ($$ there too) is gone, so init has
		// adopted it before it becomes tether: the refusal is certain.
		line := fmt.Sprintf("(while kill -0 $$ 2>/dev/null; do sleep 0.05; done; exec %q run -- sleep 1000 >/dev/null 2>%q) &", tetherBin, filepath.Join(dir, "stderr"))
		sh := exec.Command("sh", "-c", line)
		sh.Env = append(os.Environ(), proctest.Env(t))
		if out, err := sh.CombinedOutput(); err != nil {
			t.Fatalf("sh: %v %s", err, out)
		}
		proctest.NoLeftovers(t, 15*time.Second)
		b, _ := os.ReadFile(filepath.Join(dir, "stderr"))
		if !strings.Contains(string(b), "already gone") || !strings.Contains(string(b), "--exit-with-parent=false") || strings.Count(string(b), "\n") != 1 {
			t.Errorf("stderr %q: want one line saying the parent is gone and naming --exit-with-parent=false", b)
		}
	})
	t.Run("gone-later", func(t *testing.T) {
		t.Parallel()
		sh := bg(t, " sleep 2")
		start := time.Now()
		if out, err := sh.CombinedOutput(); err != nil {
			t.Fatalf("sh: %v %s", err, out)
		}
		if d := time.Since(start); d < 2*time.Second {
			t.Fatalf("sh ended after %v, before its sleep 2", d)
		}
		proctest.NoLeftovers(t, 15*time.Second)
	})
	t.Run("exit-with-parent-false", func(t *testing.T) {
		t.Parallel()
		if out, err := bg(t, "", "--exit-with-parent=false").CombinedOutput(); err != nil {
			t.Fatalf("sh: %v %s", err, out)
		}
		keepsRunningUntilTERM(t, func() string { return fmt.Sprint("tagged ", proctest.Tagged(proctest.Tag(t))) })
	})
}

// A parent pid of 1 at start means adopted by init, except on Windows.
func TestAdoptedAtStart(t *testing.T) {
	for _, c := range []struct {
		ppid int
		goos string
		want bool
	}{{1, "linux", true}, {1, "darwin", true}, {1, "windows", false}, {0, "linux", false}, {4242, "linux", false}} {
		if got := adoptedAtStart(c.ppid, c.goos); got != c.want {
			t.Errorf("adoptedAtStart(%d, %s) = %v, want %v", c.ppid, c.goos, got, c.want)
		}
	}
}

// keepsRunningUntilTERM waits for a tether tagged for t with its sleep
// sidecar running, checks that both still run two seconds later (long
// enough for an exit-with-parent stop to have acted), then sends tether
// SIGTERM and requires that nothing is left. describe adds to a failure.
func keepsRunningUntilTERM(t *testing.T, describe func() string) {
	t.Helper()
	defer proctest.KillTagged(proctest.Tag(t))
	tetherPid := 0
	for deadline := time.Now().Add(20 * time.Second); tetherPid == 0 || !hasSleep(t); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no tether with a running sleep sidecar; %s", describe())
		}
		tetherPid = pidWithComm(t, "tether")
	}
	time.Sleep(2 * time.Second)
	if proctest.Zombie(tetherPid) || !hasSleep(t) {
		t.Fatalf("tether stopped although nothing asked it to; %s", describe())
	}
	syscall.Kill(tetherPid, syscall.SIGTERM)
	proctest.NoLeftovers(t, 15*time.Second)
}

func hasSleep(t *testing.T) bool { return pidWithComm(t, "sleep") != 0 }

// pidWithComm returns a process tagged for t whose name is comm, or 0.
func pidWithComm(t *testing.T, comm string) int {
	if pids := proctest.Named(proctest.Tag(t), comm); len(pids) > 0 {
		return pids[0]
	}
	return 0
}

func quoteAll(args []string) []string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = fmt.Sprintf("%q", a)
	}
	return q
}
