package probe

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"time"
	"unicode/utf8"
)

const (
	// outputTail is how much of an exec check's output is kept: the last
	// bytes, quoted in the error.
	outputTail = 4 << 10

	// drainBound is how long Exec keeps reading output after the command
	// has exited and its group was killed. Only a process that left the
	// group can still hold the pipe then.
	drainBound = 250 * time.Millisecond
)

// Exec runs argv (no shell: argv[0] is looked up in PATH as os/exec does) and
// reports nil when it exits with status 0. env is its whole environment, as
// in exec.Cmd.Env: nil means the current process's. dir is its working
// directory; empty means the current process's.
//
// The command runs in a process group of its own (see the package doc for
// Windows) with stdin from the null device; its stdout and stderr go to one
// pipe of which the last 4 KiB are kept, never to this process's output.
// When ctx ends, the whole group is killed and reaped; once the command has
// exited, whatever it left running in its group is killed too. Output is
// then read for at most a short bound (a process that escaped the group and
// holds the pipe cannot hang Exec) before the pipe is closed.
//
// A failure quotes the exit status, or the timeout, and the tail of the
// output: `probe: exec check.sh: exit status 3; output: "db not ready"`. The
// error wraps the *exec.ExitError, or the context's error.
func Exec(ctx context.Context, argv []string, env []string, dir string) error {
	if len(argv) == 0 || argv[0] == "" {
		return errors.New("probe: exec: no command")
	}
	start := time.Now()
	name := argv[0]
	if ctx.Err() != nil {
		return fmt.Errorf("probe: exec %s: %w", name, doneError(ctx, start))
	}
	r, w, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("probe: exec %s: output pipe: %w", name, err)
	}
	cmd := exec.CommandContext(ctx, name, argv[1:]...)
	cmd.Env = env
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = w, w // Stdin nil: the null device
	setGroup(cmd)
	cmd.Cancel = func() error { return killGroup(cmd.Process) }
	// Only if the group kill failed: then kill the command itself.
	cmd.WaitDelay = drainBound

	err = cmd.Start()
	_ = w.Close() // the child has its copy
	if err != nil {
		_ = r.Close()
		return fmt.Errorf("probe: %w", err)
	}
	var out tail
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		_, _ = io.Copy(&out, r)
	}()

	waitErr := cmd.Wait()
	// Sweep what the command left running in its group. The leader is
	// reaped, but its group id stays reserved while any member lives.
	_ = killGroup(cmd.Process)
	drain := time.NewTimer(drainBound)
	select {
	case <-copied:
	case <-drain.C:
		_ = r.Close() // unblocks the copy on every OS
		<-copied
	}
	drain.Stop()
	_ = r.Close()

	switch {
	case waitErr == nil:
		return nil
	case ctx.Err() != nil:
		return fmt.Errorf("probe: exec %s: %w%s", name, doneError(ctx, start), out.quote())
	default:
		return fmt.Errorf("probe: exec %s: %w%s", name, waitErr, out.quote())
	}
}

// tail keeps the last outputTail bytes written to it. It is written by one
// goroutine and read only after that goroutine is done.
type tail struct {
	buf       []byte
	truncated bool
}

func (t *tail) Write(p []byte) (int, error) {
	n := len(p)
	if over := len(t.buf) + len(p) - outputTail; over > 0 {
		t.truncated = true
		if over >= len(t.buf) {
			p = p[over-len(t.buf):]
			t.buf = t.buf[:0]
		} else {
			t.buf = t.buf[over:]
		}
	}
	t.buf = append(t.buf, p...)
	return n, nil
}

// quote returns "; output: ..." with the kept output, quoted, or " (no
// output)".
func (t *tail) quote() string {
	b := bytes.TrimSpace(t.buf)
	if t.truncated {
		// Skip a rune the cut went through.
		for i := 0; i < utf8.UTFMax-1 && len(b) > 0 && !utf8.RuneStart(b[0]); i++ {
			b = b[1:]
		}
	}
	if len(b) == 0 {
		return " (no output)"
	}
	if t.truncated {
		return fmt.Sprintf("; output (last %d bytes): %q", len(b), b)
	}
	return fmt.Sprintf("; output: %q", b)
}
