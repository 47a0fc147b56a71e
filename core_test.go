//go:build unix

package tether

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"tether.dev/tether/internal/proctest"
)

func TestEchoAndExit(t *testing.T) {
	t.Parallel()
	rec := newRecorder()
	spec := helperSpec(t, "echo", "hello", "caf\xc3\xa9", "")
	spec.Restart = RestartNever
	s := &Supervisor{Spec: spec, OnEvent: rec.on}
	if err := s.Run(context.Background()); err != nil {
		t.Fatalf("Run: %v", err)
	}
	var lines []string
	var order []string
	for _, e := range rec.all() {
		switch e.Kind {
		case EventStdout:
			lines = append(lines, string(e.Data))
			if e.Partial {
				t.Errorf("line %q partial", e.Data)
			}
		case EventState:
			order = append(order, "state:"+e.State.String())
			continue
		}
		order = append(order, e.Kind.String())
	}
	if got, want := strings.Join(lines, "|"), "hello|café|"; got != want {
		t.Errorf("lines %q, want %q", got, want)
	}
	if order[len(order)-2] != "exited" || order[len(order)-1] != "state:exited" {
		t.Errorf("event order %v: want exited, then state exited, last", order)
	}
	ex := rec.kinds(EventExited)[0]
	if ex.Code != 0 || ex.Signal != "" || ex.Expected || ex.Attempt != 1 || ex.Pid == 0 {
		t.Errorf("exited %+v", ex)
	}
	if s.State() != StateExited {
		t.Errorf("state %v", s.State())
	}
	proctest.NoLeftovers(t, time.Second)
}

func TestExitStatusIsReturned(t *testing.T) {
	t.Parallel()
	spec := helperSpec(t, "exit", "3")
	spec.Restart = RestartNever
	err := (&Supervisor{Spec: spec}).Run(context.Background())
	var ee *ExitError
	if !errors.As(err, &ee) || ee.Code != 3 || ee.ExitStatus() != 3 {
		t.Fatalf("Run = %v, want exit status 3", err)
	}
}

// fidelity: every byte of two hostile 10 MB streams comes back exact.
func TestOutputFidelity(t *testing.T) {
	t.Parallel()
	const seed = 42
	var out, errb bytes.Buffer
	var partialOut, chunks int
	spec := helperSpec(t, "fidelity", "42")
	spec.Restart = RestartNever
	s := &Supervisor{Spec: spec, OnEvent: func(e Event) {
		var b *bytes.Buffer
		switch e.Kind {
		case EventStdout:
			b = &out
		case EventStderr:
			b = &errb
		default:
			return
		}
		if len(e.Data) > MaxChunk {
			t.Errorf("chunk of %d bytes > MaxChunk", len(e.Data))
		}
		chunks++
		b.Write(e.Data)
		if !e.Partial {
			b.WriteByte('\n')
		} else if e.Kind == EventStdout {
			partialOut++
		}
	}}
	if err := s.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name      string
		got, want []byte
	}{{"stdout", out.Bytes(), fidelityStream(seed)}, {"stderr", errb.Bytes(), fidelityStream(seed + 1)}} {
		if !bytes.Equal(c.got, c.want) {
			i := 0
			for i < len(c.got) && i < len(c.want) && c.got[i] == c.want[i] {
				i++
			}
			t.Errorf("%s: %d bytes, want %d; first difference at %d", c.name, len(c.got), len(c.want), i)
		}
	}
	// The 3 MiB line takes at least two partial chunks (where reads end
	// decides whether a third), and the last line is partial.
	if partialOut < 3 {
		t.Errorf("%d partial stdout chunks, want at least 3", partialOut)
	}
}

// A child that writes 100 MB and never reads stdin, with a slow consumer
// and with none: no deadlock, nothing lost.
func TestFloodSlowAndNoConsumer(t *testing.T) {
	t.Parallel()
	for _, slow := range []bool{true, false} {
		spec := helperSpec(t, "flood", "100")
		spec.Restart = RestartNever
		var n, lines int
		s := &Supervisor{Spec: spec}
		if slow {
			s.OnEvent = func(e Event) {
				if e.Kind != EventStdout {
					return
				}
				lines++
				n += len(e.Data) + 1
				if lines%20000 == 0 {
					time.Sleep(time.Millisecond)
				}
			}
		}
		done := make(chan error, 1)
		go func() { done <- s.Run(context.Background()) }()
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(60 * time.Second):
			s.Kill()
			<-done
			t.Fatal("flood did not finish in 60s")
		}
		if slow && (n != 100e6 || lines != 1e6) {
			t.Errorf("got %d bytes in %d lines, want 100e6 in 1e6", n, lines)
		}
	}
}

func TestStopCooperative(t *testing.T) {
	t.Parallel()
	rec := newRecorder()
	s := &Supervisor{Spec: helperSpec(t, "cooperative"), OnEvent: rec.on}
	wait := start(t, s)
	rec.waitKind(t, 10*time.Second, EventStdout)
	t0 := time.Now()
	if err := s.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(t0); d > 2*time.Second {
		t.Errorf("stop took %v", d)
	}
	if err := wait(); err != nil {
		t.Fatalf("Run = %v, want nil after Stop", err)
	}
	ex := rec.kinds(EventExited)[0]
	if ex.Code != 0 || !ex.Expected {
		t.Errorf("exited %+v, want code 0, expected", ex)
	}
	if got := rec.kinds(EventStdout); string(got[len(got)-1].Data) != "bye" {
		t.Errorf("last line %q: output after TERM must come before exited", got[len(got)-1].Data)
	}
	if len(rec.kinds(EventRestarting)) != 0 {
		t.Error("a requested stop was followed by a restart")
	}
	if s.State() != StateStopped {
		t.Errorf("state %v", s.State())
	}
}

func TestStopStubbornKilledAtGrace(t *testing.T) {
	t.Parallel()
	rec := newRecorder()
	spec := helperSpec(t, "stubborn")
	spec.Grace = 500 * time.Millisecond
	s := &Supervisor{Spec: spec, OnEvent: rec.on}
	wait := start(t, s)
	rec.waitKind(t, 10*time.Second, EventStdout)
	t0 := time.Now()
	s.Stop(context.Background())
	d := time.Since(t0)
	if d < 450*time.Millisecond || d > 3*time.Second {
		t.Errorf("stop took %v, want about the 500ms grace", d)
	}
	if err := wait(); err != nil {
		t.Fatal(err)
	}
	ex := rec.kinds(EventExited)[0]
	if ex.Signal != "KILL" || ex.Code != -1 || !ex.Expected {
		t.Errorf("exited %+v, want KILL, expected", ex)
	}
}

func TestStopContextKillsAtOnce(t *testing.T) {
	t.Parallel()
	rec := newRecorder()
	s := &Supervisor{Spec: helperSpec(t, "stubborn"), OnEvent: rec.on}
	wait := start(t, s)
	rec.waitKind(t, 10*time.Second, EventStdout)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	t0 := time.Now()
	if err := s.Stop(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Stop = %v, want DeadlineExceeded", err)
	}
	if d := time.Since(t0); d > 2*time.Second {
		t.Errorf("stop took %v despite its context", d)
	}
	wait()
}

func TestTreeLeavesNothingAfterStop(t *testing.T) {
	t.Parallel()
	rec := newRecorder()
	spec := helperSpec(t, "tree", "bg", "stubborn", "bg")
	spec.Grace = 300 * time.Millisecond
	s := &Supervisor{Spec: spec, OnEvent: rec.on}
	wait := start(t, s)
	rec.waitKind(t, 10*time.Second, EventStdout)
	if n := len(proctest.Tagged(proctest.Tag(t))); n != 4 {
		t.Fatalf("%d tagged processes before stop, want 4", n)
	}
	s.Stop(context.Background())
	wait()
	proctest.NoLeftovers(t, time.Second)
}

// The child exits by itself, leaving background children: they are stopped
// too (as systemd does with a control group) before exited is reported.
func TestTreeRemainderStoppedOnExit(t *testing.T) {
	t.Parallel()
	rec := newRecorder()
	spec := helperSpec(t, "tree", "bg", "bg")
	spec.Env = append(spec.Env, "TETHER_TEST_TREE_EXIT=1")
	spec.Restart = RestartNever
	s := &Supervisor{Spec: spec, OnEvent: rec.on}
	if err := s.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	proctest.NoLeftovers(t, 200*time.Millisecond)
	if ex := rec.kinds(EventExited)[0]; ex.Expected {
		t.Errorf("exited by itself but expected=true")
	}
}

// A setsid'd grandchild escapes the process group and holds the pipes:
// Run must still return, bounded by DrainTimeout.
func TestEscapedPipeHolderDoesNotHang(t *testing.T) {
	t.Parallel()
	spec := helperSpec(t, "tree", "setsid")
	spec.Env = append(spec.Env, "TETHER_TEST_TREE_EXIT=1")
	spec.Restart = RestartNever
	spec.DrainTimeout = 300 * time.Millisecond
	s := &Supervisor{Spec: spec}
	t0 := time.Now()
	if err := s.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(t0); d > 5*time.Second {
		t.Errorf("Run took %v with a pipe held open", d)
	}
	for _, p := range proctest.Tagged(proctest.Tag(t)) { // the escapee is the containment issue's
		syscall.Kill(p, syscall.SIGKILL)
	}
}

func TestStopBeforeRunAndTwice(t *testing.T) {
	t.Parallel()
	s := &Supervisor{Spec: helperSpec(t, "sleep")}
	if err := s.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := s.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := s.Run(context.Background()); err != nil {
		t.Fatalf("Run after Stop = %v, want nil", err)
	}
	if err := s.Run(context.Background()); !errors.Is(err, ErrAlreadyRunning) {
		t.Fatalf("second Run = %v", err)
	}
	proctest.NoLeftovers(t, 100*time.Millisecond)

	rec := newRecorder()
	s = &Supervisor{Spec: helperSpec(t, "sleep"), OnEvent: rec.on}
	wait := start(t, s)
	rec.waitKind(t, 10*time.Second, EventStdout)
	errs := make(chan error, 2)
	for range 2 {
		go func() { errs <- s.Stop(context.Background()) }()
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	wait()
	if err := s.Stop(context.Background()); err != nil {
		t.Errorf("Stop after Run = %v", err)
	}
	if err := s.Kill(); err != nil {
		t.Errorf("Kill after Run = %v", err)
	}
	proctest.NoLeftovers(t, time.Second)
}

// Stop racing with Run's start, at random points of the spawn.
func TestStopDuringSpawn(t *testing.T) {
	t.Parallel()
	for i := range 30 {
		s := &Supervisor{Spec: helperSpec(t, "sleep")}
		done := make(chan error, 1)
		go func() { done <- s.Run(context.Background()) }()
		time.Sleep(time.Duration(i) * 200 * time.Microsecond)
		if err := s.Stop(context.Background()); err != nil {
			t.Fatal(err)
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	proctest.NoLeftovers(t, time.Second)
}

func TestContextCancelStops(t *testing.T) {
	t.Parallel()
	rec := newRecorder()
	ctx, cancel := context.WithCancel(context.Background())
	s := &Supervisor{Spec: helperSpec(t, "cooperative"), OnEvent: rec.on}
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	rec.waitKind(t, 10*time.Second, EventStdout)
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	if !rec.kinds(EventExited)[0].Expected {
		t.Error("exit after cancel not expected")
	}
	proctest.NoLeftovers(t, time.Second)
}

func TestWriteStdinAndPid(t *testing.T) {
	t.Parallel()
	rec := newRecorder()
	spec := helperSpec(t, "cat")
	spec.Restart = RestartNever
	s := &Supervisor{Spec: spec, OnEvent: rec.on}
	if _, err := s.Write([]byte("x")); !errors.Is(err, ErrNotRunning) {
		t.Errorf("Write before Run = %v", err)
	}
	wait := start(t, s)
	sp := rec.waitKind(t, 10*time.Second, EventSpawned)
	if s.Pid() != sp.Pid || sp.Pid == 0 {
		t.Errorf("Pid %d, spawned %d", s.Pid(), sp.Pid)
	}
	if _, err := s.Write([]byte("ping\n")); err != nil {
		t.Fatal(err)
	}
	if e := rec.waitKind(t, 10*time.Second, EventStdout); string(e.Data) != "ping" {
		t.Errorf("echoed %q", e.Data)
	}
	if err := s.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	var ee *ExitError
	if err := wait(); !errors.As(err, &ee) || ee.Signal != "KILL" || ee.ExitStatus() != 137 {
		t.Errorf("Run = %v, want killed by KILL", err)
	}
	if s.Pid() != 0 {
		t.Errorf("Pid after exit %d", s.Pid())
	}
}

func TestBadInput(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	noexec := filepath.Join(dir, "noexec")
	os.WriteFile(noexec, []byte("#!/bin/sh\n"), 0o644)
	cases := []struct {
		name   string
		spec   Spec
		is     error
		status int
		msg    string
	}{
		{"empty", Spec{}, ErrInvalidSpec, 0, "Command"},
		{"not found", Spec{Command: "tether-no-such-program"}, ErrCommandNotFound, 127, "PATH="},
		{"not found path", Spec{Command: filepath.Join(dir, "missing")}, ErrCommandNotFound, 127, filepath.Join(dir, "missing")},
		{"not executable", Spec{Command: noexec}, ErrNotExecutable, 126, "no execute permission"},
		{"directory", Spec{Command: dir}, ErrNotExecutable, 126, "is a directory"},
		{"bad dir", Spec{Command: "/bin/true", Dir: filepath.Join(dir, "nope")}, ErrNotExecutable, 126, "working directory"},
		{"bad env", Spec{Command: "/bin/true", Env: []string{"NOEQUALS"}}, ErrInvalidSpec, 0, "Env[0]"},
		{"bad factor", Spec{Command: "/bin/true", Backoff: Backoff{Factor: 0.5}}, ErrInvalidSpec, 0, "Backoff.Factor"},
		{"bad probe", Spec{Command: "/bin/true", Live: TCPProbe("127.0.0.1")}, ErrInvalidSpec, 0, `invalid Live "tcp://127.0.0.1": missing port`},
		{"log liveness", Spec{Command: "/bin/true", Live: NotifyProbe()}, ErrInvalidSpec, 0, "readiness only"},
		{"bad port", Spec{Command: "/bin/true", Port: 70000}, ErrInvalidSpec, 0, "Port"},
	}
	for _, c := range cases {
		rec := newRecorder()
		err := (&Supervisor{Spec: c.spec, OnEvent: rec.on}).Run(context.Background())
		if !errors.Is(err, c.is) {
			t.Errorf("%s: Run = %v, want %v", c.name, err, c.is)
			continue
		}
		if !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: error %q does not mention %q", c.name, err, c.msg)
		}
		if c.status != 0 {
			var se *SpawnError
			if !errors.As(err, &se) || se.ExitStatus() != c.status || !errors.Is(err, ErrGaveUp) {
				t.Errorf("%s: %v: want a SpawnError with status %d, gave up", c.name, err, c.status)
			}
			if len(rec.kinds(EventSpawned)) != 0 || len(rec.kinds(EventGaveUp)) != 1 {
				t.Errorf("%s: events %v", c.name, summarize(rec.all()))
			}
		} else if len(rec.all()) != 0 {
			t.Errorf("%s: events for an invalid spec: %v", c.name, summarize(rec.all()))
		}
	}
}
