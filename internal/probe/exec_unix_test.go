//go:build unix

package probe

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
	"tether.dev/tether/internal/proctest"
)

// tagged returns an environment with a tag unique to this test, by which
// leftover processes can be found.
func tagged(t *testing.T) (env []string, tag string) {
	return append(os.Environ(), proctest.Env(t)), proctest.Tag(t)
}

// leftovers reports whether a live process carries tag, or belongs to group
// pgid. Zombies do not count: the machine's init may not reap the orphans.
func leftovers(tag string, pgid int) bool {
	return len(proctest.Tagged(tag)) > 0 || unix.Kill(-pgid, 0) == nil && proctest.GroupHasLiveMember(pgid)
}

// readPid reads a pid a test command wrote to file.
func readPid(t *testing.T, file string) int {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("the command did not write its pid: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	return pid
}

// requireGone fails unless every process of group pgid and every process
// tagged with tag is gone within a few seconds (the kill is delivered at once,
// but dying takes a moment on a loaded machine).
func requireGone(t *testing.T, tag string, pgid int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for leftovers(tag, pgid) {
		if time.Now().After(deadline) {
			t.Fatalf("processes of the probe are still alive (tag %s, group %d)", tag, pgid)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestExecExitZero(t *testing.T) {
	t.Parallel()
	if err := Exec(t.Context(), []string{"sh", "-c", "echo fine; exit 0"}, nil, ""); err != nil {
		t.Fatal(err)
	}
}

func TestExecFailureQuotesStatusAndOutput(t *testing.T) {
	t.Parallel()
	err := Exec(t.Context(), []string{"sh", "-c", `echo starting; echo "db not ready" >&2; exit 3`}, nil, "")
	if err == nil {
		t.Fatal("exit 3 passed")
	}
	want := `probe: exec sh: exit status 3; output: "starting\ndb not ready"`
	if err.Error() != want {
		t.Errorf("error\n got %s\nwant %s", err, want)
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 3 {
		t.Errorf("error %v does not wrap an *exec.ExitError with code 3", err)
	}
}

func TestExecNoOutput(t *testing.T) {
	t.Parallel()
	err := Exec(t.Context(), []string{"sh", "-c", "exit 2"}, nil, "")
	if want := "probe: exec sh: exit status 2 (no output)"; err == nil || err.Error() != want {
		t.Errorf("error %v, want %s", err, want)
	}
}

func TestExecKeepsOnlyTheOutputTail(t *testing.T) {
	t.Parallel()
	script := `i=0; while [ $i -lt 3000 ]; do echo "line $i"; i=$((i+1)); done; exit 1`
	err := Exec(t.Context(), []string{"sh", "-c", script}, nil, "")
	if err == nil {
		t.Fatal("exit 1 passed")
	}
	msg := err.Error()
	if !strings.Contains(msg, `line 2999"`) || !strings.Contains(msg, "output (last ") {
		t.Errorf("error does not end with the output's tail: %.200s...", msg)
	}
	if strings.Contains(msg, `\nline 100\n`) {
		t.Error("error holds the start of the output")
	}
	// 4 KiB of output, quoted (each "\n" takes two bytes), plus the message.
	if len(msg) > outputTail*12/10+100 {
		t.Errorf("error is %d bytes long", len(msg))
	}
}

func TestExecNotFound(t *testing.T) {
	t.Parallel()
	err := Exec(t.Context(), []string{"tether-no-such-program"}, nil, "")
	if !errors.Is(err, exec.ErrNotFound) {
		t.Errorf("error %v, want exec.ErrNotFound", err)
	}
	if err == nil || !strings.HasPrefix(err.Error(), "probe: ") {
		t.Errorf("error %v lacks the probe: prefix", err)
	}
}

func TestExecNoCommand(t *testing.T) {
	t.Parallel()
	for _, argv := range [][]string{nil, {}, {""}} {
		if err := Exec(t.Context(), argv, nil, ""); err == nil || err.Error() != "probe: exec: no command" {
			t.Errorf("Exec(%q) = %v", argv, err)
		}
	}
}

func TestExecDoneContext(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	err := Exec(ctx, []string{"sh", "-c", "exit 0"}, nil, "")
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want context.Canceled", err)
	}
}

// A command that hangs, with a grandchild, is killed with its whole group when
// ctx ends, and Exec returns soon after.
func TestExecTimeoutKillsWholeGroup(t *testing.T) {
	t.Parallel()
	env, tag := tagged(t)
	pidFile := filepath.Join(t.TempDir(), "pid")
	const timeout = 500 * time.Millisecond
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	defer cancel()
	start := time.Now()
	err := Exec(ctx, []string{"sh", "-c", `echo $$ > "$0"; echo started; sleep 100 & sleep 100`, pidFile}, env, "")
	took := time.Since(start)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error %v, want a deadline", err)
	}
	if !regexp.MustCompile(`^probe: exec sh: timeout after [0-9.]+m?s; output: "started"$`).MatchString(err.Error()) {
		t.Errorf("error %q", err)
	}
	if took > timeout+3*time.Second {
		t.Errorf("Exec took %v with a %v timeout", took, timeout)
	}
	pgid := readPid(t, pidFile)
	t.Cleanup(func() { _ = unix.Kill(-pgid, unix.SIGKILL) })
	requireGone(t, tag, pgid)
}

// What a command leaves running in its group is killed once it exits: the
// grandchild holding the pipe neither survives nor delays Exec.
func TestExecSweepsGroupAfterExit(t *testing.T) {
	t.Parallel()
	env, tag := tagged(t)
	pidFile := filepath.Join(t.TempDir(), "pid")
	start := time.Now()
	err := Exec(t.Context(), []string{"sh", "-c", `echo $$ > "$0"; sleep 100 & exit 0`, pidFile}, env, "")
	took := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("Exec took %v", took)
	if took > 3*time.Second {
		t.Errorf("Exec took %v", took)
	}
	pgid := readPid(t, pidFile)
	t.Cleanup(func() { _ = unix.Kill(-pgid, unix.SIGKILL) })
	requireGone(t, tag, pgid)
}

// A process that left the group (setsid) and holds the pipe cannot hang Exec:
// reading stops drainBound after the command exits.
func TestExecEscapedHolderCannotHang(t *testing.T) {
	t.Parallel()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	env, _ := tagged(t)
	env = append(env, helperEnv+"=escape")
	pidFile := filepath.Join(t.TempDir(), "pid")
	start := time.Now()
	err = Exec(t.Context(), []string{self, pidFile}, env, "")
	took := time.Since(start)
	if b, rerr := os.ReadFile(pidFile); rerr == nil {
		if pid, _ := strconv.Atoi(string(b)); pid > 0 {
			_ = unix.Kill(pid, unix.SIGKILL)
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("Exec took %v (drain bound %v)", took, drainBound)
	// The holder sleeps 100s: anything well short of that proves Exec did
	// not wait for it. The upper bound is wide because starting two
	// processes on a loaded machine can take seconds.
	if took < drainBound || took > drainBound+20*time.Second {
		t.Errorf("Exec took %v, want about %v (the holder lives 100s)", took, drainBound)
	}
}

// The command's output goes to its pipe only: nothing reaches this process's
// file descriptors 1 and 2. Not parallel: it borrows both.
func TestExecOutputNeverReachesOurStdout(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	captured := make(chan []byte)
	go func() {
		b, _ := io.ReadAll(r)
		captured <- b
	}()
	var saved [3]int
	for _, fd := range []int{1, 2} {
		if saved[fd], err = unix.Dup(fd); err != nil {
			t.Fatal(err)
		}
		if err := unix.Dup2(int(w.Fd()), fd); err != nil {
			t.Fatal(err)
		}
	}
	perr := Exec(t.Context(), []string{"sh", "-c", "echo MARK-out; echo MARK-err >&2; exit 1"}, nil, "")
	for _, fd := range []int{1, 2} {
		if err := unix.Dup2(saved[fd], fd); err != nil {
			t.Fatal(err)
		}
		_ = unix.Close(saved[fd])
	}
	_ = w.Close()
	if out := <-captured; strings.Contains(string(out), "MARK") {
		t.Errorf("the command's output reached our fd 1 or 2: %q", out)
	}
	if perr == nil || !strings.Contains(perr.Error(), `"MARK-out\nMARK-err"`) {
		t.Errorf("error %v does not quote the output", perr)
	}
}

func TestTail(t *testing.T) {
	t.Parallel()
	var tl tail
	tl.Write([]byte("abc\n"))
	if got := tl.quote(); got != `; output: "abc"` {
		t.Errorf("quote = %s", got)
	}
	// 4097 bytes in one write: the cut goes through the é, which is dropped.
	var cut tail
	cut.Write([]byte("é" + strings.Repeat("x", outputTail-1)))
	if len(cut.buf) != outputTail || !cut.truncated {
		t.Fatalf("kept %d bytes, truncated %v", len(cut.buf), cut.truncated)
	}
	want := fmt.Sprintf("; output (last %d bytes): %q", outputTail-1, strings.Repeat("x", outputTail-1))
	if got := cut.quote(); got != want {
		t.Errorf("quote = %.60s..., want %.60s...", got, want)
	}
	// Many small writes keep the last bytes.
	var many tail
	for i := range 2 * outputTail {
		many.Write([]byte{byte('a' + i%26)})
	}
	if len(many.buf) != outputTail || many.buf[outputTail-1] != byte('a'+(2*outputTail-1)%26) {
		t.Errorf("kept %d bytes ending in %q", len(many.buf), many.buf[len(many.buf)-1])
	}
	var exact tail
	exact.Write([]byte(strings.Repeat("a", outputTail)))
	if exact.truncated {
		t.Error("exactly outputTail bytes counted as truncated")
	}
	var empty tail
	empty.Write([]byte(" \n\t"))
	if got := empty.quote(); got != " (no output)" {
		t.Errorf("quote of blank output = %s", got)
	}
}
