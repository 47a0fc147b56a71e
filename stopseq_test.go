package tether

import (
	"errors"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"tether.dev/tether/internal/signame"
)

// fakeClock is a clock whose time moves only when the test says so.
type fakeClock struct {
	now    time.Time
	timers []*fakeTimer
}

type fakeTimer struct {
	c       chan time.Time
	at      time.Time
	stopped bool
}

func (c *fakeClock) Now() time.Time { return c.now }

func (c *fakeClock) NewTimer(d time.Duration) clockTimer {
	t := &fakeTimer{c: make(chan time.Time, 1), at: c.now.Add(d)}
	c.timers = append(c.timers, t)
	return t
}

func (t *fakeTimer) C() <-chan time.Time { return t.c }
func (t *fakeTimer) Stop() bool {
	was := !t.stopped
	t.stopped = true
	return was
}

// advance moves time on by d, firing the timers that are due.
func (c *fakeClock) advance(d time.Duration) {
	c.now = c.now.Add(d)
	for _, t := range c.timers {
		if !t.stopped && !t.at.After(c.now) {
			t.stopped = true
			t.c <- c.now
		}
	}
}

// fakeTarget records what a stop sequence did to it.
type fakeTarget struct {
	steps     []string
	reqResult chan error // what request returns
	signalErr error
}

func (f *fakeTarget) request() <-chan error {
	f.steps = append(f.steps, "request")
	return f.reqResult
}

func (f *fakeTarget) signal(sig os.Signal) error {
	f.steps = append(f.steps, "signal "+signame.Name(sig))
	return f.signalErr
}

func (f *fakeTarget) kill() error {
	f.steps = append(f.steps, "kill")
	return nil
}

type stopSeqRig struct {
	clk    *fakeClock
	target *fakeTarget
	seq    *stopSeq
	errs   []error
}

func newStopSeqRig(withReq bool, grace time.Duration) *stopSeqRig {
	r := &stopSeqRig{clk: &fakeClock{now: time.Unix(1000, 0)}, target: &fakeTarget{reqResult: make(chan error, 1)}}
	r.seq = &stopSeq{target: r.target, clock: r.clk, withReq: withReq, stopSignal: syscall.SIGTERM,
		grace: grace, report: func(err error) { r.errs = append(r.errs, err) }}
	return r
}

// step advances the clock by d and, when the sequence's deadline fired,
// lets it move on, as watch does. It reports whether the deadline fired.
func (r *stopSeqRig) step(t *testing.T, d time.Duration) (fired, abandon bool) {
	t.Helper()
	r.clk.advance(d)
	select {
	case <-r.seq.Deadline():
		return true, r.seq.Expire()
	default:
		return false, false
	}
}

func (r *stopSeqRig) wantSteps(t *testing.T, want ...string) {
	t.Helper()
	if !slices.Equal(r.target.steps, want) {
		t.Fatalf("steps %q, want %q", r.target.steps, want)
	}
}

func TestStopSeqSignalGraceKill(t *testing.T) {
	r := newStopSeqRig(false, 5*time.Second)
	r.seq.Begin(true)
	r.wantSteps(t, "signal TERM")
	if fired, _ := r.step(t, 4999*time.Millisecond); fired {
		t.Fatal("kill before grace")
	}
	if fired, _ := r.step(t, time.Millisecond); !fired {
		t.Fatal("no kill at grace")
	}
	r.wantSteps(t, "signal TERM", "kill")
	if r.seq.Phase() != stopKilled {
		t.Fatalf("phase %v", r.seq.Phase())
	}
	r.seq.Gone()
	if r.seq.Deadline() != nil || r.seq.Phase() != stopDone {
		t.Fatal("gone left a deadline")
	}
	if len(r.errs) != 0 {
		t.Fatalf("errors %v", r.errs)
	}
}

func TestStopSeqRequestGraceSignalKill(t *testing.T) {
	r := newStopSeqRig(true, 3*time.Second)
	r.seq.Begin(true)
	r.wantSteps(t, "request")
	r.target.reqResult <- nil
	r.seq.RequestDone(<-r.seq.Requested())
	if fired, _ := r.step(t, 2*time.Second); fired {
		t.Fatal("signal before grace")
	}
	r.step(t, time.Second)
	r.wantSteps(t, "request", "signal TERM")
	if fired, _ := r.step(t, 999*time.Millisecond); fired {
		t.Fatal("kill before 1s after the signal")
	}
	r.step(t, time.Millisecond)
	r.wantSteps(t, "request", "signal TERM", "kill")
}

// A sidecar that exits on the request: the tree is gone before grace ends,
// and nothing else is done to it.
func TestStopSeqRequestHonoured(t *testing.T) {
	r := newStopSeqRig(true, 3*time.Second)
	r.seq.Begin(true)
	r.target.reqResult <- nil
	r.seq.RequestDone(<-r.seq.Requested())
	r.step(t, time.Second)
	r.seq.Gone()
	r.step(t, time.Hour)
	r.wantSteps(t, "request")
}

// A failed request is reported, and the signal follows at once; the kill
// still waits for the end of grace.
func TestStopSeqRequestFails(t *testing.T) {
	r := newStopSeqRig(true, 3*time.Second)
	r.seq.Begin(true)
	r.clk.advance(500 * time.Millisecond)
	r.target.reqResult <- errors.New("connection refused")
	r.seq.RequestDone(<-r.seq.Requested())
	r.wantSteps(t, "request", "signal TERM")
	if len(r.errs) != 1 || !strings.Contains(r.errs[0].Error(), "stop request: connection refused") {
		t.Fatalf("errors %v", r.errs)
	}
	if fired, _ := r.step(t, 2499*time.Millisecond); fired {
		t.Fatal("kill before the end of grace")
	}
	r.step(t, time.Millisecond)
	r.wantSteps(t, "request", "signal TERM", "kill")
}

// A request that fails at the very end of grace still leaves the signal its
// second before the kill.
func TestStopSeqLateRequestFailure(t *testing.T) {
	r := newStopSeqRig(true, time.Second)
	r.seq.Begin(true)
	r.clk.advance(999 * time.Millisecond)
	r.target.reqResult <- errors.New("timeout")
	r.seq.RequestDone(<-r.seq.Requested())
	if fired, _ := r.step(t, 999*time.Millisecond); fired {
		t.Fatal("kill less than 1s after the signal")
	}
	r.step(t, time.Millisecond)
	r.wantSteps(t, "request", "signal TERM", "kill")
}

// Without the child (it exited, its tree lingers) there is no one to ask.
func TestStopSeqNoRequestAfterExit(t *testing.T) {
	r := newStopSeqRig(true, time.Second)
	r.seq.Begin(false)
	r.wantSteps(t, "signal TERM")
}

func TestStopSeqZeroGraceKillsAtOnce(t *testing.T) {
	r := newStopSeqRig(true, 0)
	r.seq.Begin(true)
	r.wantSteps(t, "kill")
}

func TestStopSeqKillOvertakes(t *testing.T) {
	r := newStopSeqRig(true, time.Minute)
	r.seq.Begin(true)
	r.seq.Kill()
	r.seq.Kill()
	r.wantSteps(t, "request", "kill")
	if r.seq.Requested() != nil {
		t.Fatal("a killed sequence still waits for its request")
	}
}

// A tree that outlives the kill is given up on after 5s, with an error.
func TestStopSeqAbandonsAfterKillWait(t *testing.T) {
	r := newStopSeqRig(false, time.Second)
	r.seq.Begin(true)
	r.step(t, time.Second)
	if _, abandon := r.step(t, killWait-time.Millisecond); abandon {
		t.Fatal("abandoned early")
	}
	if _, abandon := r.step(t, time.Millisecond); !abandon {
		t.Fatal("not abandoned after killWait")
	}
	if len(r.errs) != 1 || !strings.Contains(r.errs[0].Error(), "survived SIGKILL") {
		t.Fatalf("errors %v", r.errs)
	}
}

// A signal that cannot be sent kills at once.
func TestStopSeqSignalFailureKills(t *testing.T) {
	r := newStopSeqRig(false, time.Minute)
	r.target.signalErr = errors.New("permission denied")
	r.seq.Begin(true)
	r.wantSteps(t, "signal TERM", "kill")
	if len(r.errs) != 1 || !strings.Contains(r.errs[0].Error(), "stop signal") {
		t.Fatalf("errors %v", r.errs)
	}
}

// A request that fails after grace ran out is still reported.
func TestStopSeqRequestFailsAfterGrace(t *testing.T) {
	r := newStopSeqRig(true, time.Second)
	r.seq.Begin(true)
	r.step(t, time.Second)
	r.target.reqResult <- errors.New("timeout")
	r.seq.RequestDone(<-r.seq.Requested())
	r.wantSteps(t, "request", "signal TERM")
	if len(r.errs) != 1 {
		t.Fatalf("errors %v", r.errs)
	}
	r.step(t, time.Second)
	r.wantSteps(t, "request", "signal TERM", "kill")
}
