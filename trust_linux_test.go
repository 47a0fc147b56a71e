package tether

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"tether.dev/tether/internal/proctest"
)

// A host that stops reading events (OnEvent blocks) must not keep Stop or
// Kill from acting on the sidecar: events may wait, the stop may not
// (issue 11 item 3). Once OnEvent goes on, every event is delivered and Run
// returns.
func TestStalledHostDoesNotBlockStop(t *testing.T) {
	t.Parallel()
	for _, how := range []string{"Stop", "Kill", "ctx"} {
		t.Run(how, func(t *testing.T) {
			t.Parallel()
			release := make(chan struct{})
			first := make(chan struct{})
			var once sync.Once
			var last Event
			s := &Supervisor{Spec: helperSpec(t, "flood", "100000"), OnEvent: func(ev Event) {
				if ev.Kind == EventStdout {
					once.Do(func() { close(first) })
					<-release
				}
				last = ev
			}}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var runErr error
			done := make(chan struct{})
			go func() { runErr = s.Run(ctx); close(done) }()
			defer func() {
				select {
				case <-release:
				default:
					close(release)
				}
				s.Kill()
				<-done
			}()
			select {
			case <-first:
			case <-time.After(20 * time.Second):
				t.Fatal("no output")
			}
			pid := s.Pid()
			proctest.WaitBlockedWriting(t, pid)
			stopped := make(chan error, 1)
			switch how {
			case "Stop":
				go func() { stopped <- s.Stop(context.Background()) }()
			case "Kill":
				s.Kill()
			case "ctx":
				cancel()
			}
			if !proctest.WaitGone(pid, 10*time.Second) {
				t.Fatalf("%s did not reach the sidecar while OnEvent was stalled", how)
			}
			close(release)
			select {
			case <-done:
				if runErr != nil {
					t.Errorf("Run = %v", runErr)
				}
			case <-time.After(30 * time.Second):
				t.Fatal("Run did not return once OnEvent went on")
			}
			if how == "Stop" {
				if err := <-stopped; err != nil {
					t.Errorf("Stop = %v", err)
				}
			}
			if last.Kind != EventState || last.State != StateStopped {
				t.Errorf("last event %v %v, want the state change to stopped", last.Kind, last.State)
			}
		})
	}
}

// procState is the state letter of pid in /proc/PID/stat ("T": stopped).
func procState(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	s := string(b)
	if f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:]); len(f) > 0 {
		return f[0]
	}
	return ""
}

// Issue 11 item 11: Signal STOP or TSTP pauses the tree (no SIGCONT follows
// it); only CONT resumes it.
func TestSignalStopPauses(t *testing.T) {
	t.Parallel()
	rec := newRecorder()
	s := &Supervisor{Spec: Spec{Command: "sleep", Args: []string{"1000"}, Env: []string{proctest.Env(t)}}, OnEvent: rec.on}
	start(t, s)
	pid := rec.waitKind(t, 10*time.Second, EventSpawned).Pid
	waitState := func(want bool, what string) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); (procState(pid) == "T") != want; time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: state %q", what, procState(pid))
			}
		}
	}
	for _, sig := range []syscall.Signal{syscall.SIGSTOP, syscall.SIGTSTP} {
		if err := s.Signal(sig); err != nil {
			t.Fatal(err)
		}
		waitState(true, sig.String()+" did not pause the sidecar")
		time.Sleep(300 * time.Millisecond) // long enough for a SIGCONT to land
		if st := procState(pid); st != "T" {
			t.Fatalf("after %v the sidecar is %q, not paused: something resumed it", sig, st)
		}
		if err := s.Signal(syscall.SIGCONT); err != nil {
			t.Fatal(err)
		}
		waitState(false, "CONT did not resume the sidecar")
	}
	// A stop still acts on a paused tree.
	s.Signal(syscall.SIGSTOP)
	waitState(true, "STOP did not pause the sidecar")
	if err := s.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if ex := rec.waitKind(t, 10*time.Second, EventExited); ex.Signal != "TERM" {
		t.Errorf("a paused sidecar stopped by %q, want TERM", ex.Signal)
	}
}

// Issue 11 item 8: an argument too large for exec (E2BIG) gives up at
// once, with status 126 and a message that says what to do, like a command
// that is not found; it used to be retried forever.
func TestArgumentTooLargeGivesUp(t *testing.T) {
	t.Parallel()
	rec := newRecorder()
	s := &Supervisor{Spec: Spec{Command: "true", Args: []string{strings.Repeat("x", 256<<10)}, Env: []string{proctest.Env(t)}}, OnEvent: rec.on}
	done := make(chan error, 1)
	go func() { done <- s.Run(context.Background()) }()
	var err error
	select {
	case err = <-done:
	case <-time.After(20 * time.Second):
		s.Kill()
		<-done
		t.Fatalf("Run still retrying after 20s: %d error events", len(rec.kinds(EventError)))
	}
	if !errors.Is(err, ErrGaveUp) || !errors.Is(err, ErrNotExecutable) || ExitStatus(err) != 126 {
		t.Errorf("Run = %v (status %d), want gave up, not executable, 126", err, ExitStatus(err))
	}
	if !strings.Contains(err.Error(), "larger than the system allows") {
		t.Errorf("message %q does not say what is wrong", err)
	}
	if n := len(rec.kinds(EventError)); n != 1 {
		t.Errorf("%d attempts, want 1", n)
	}
}
