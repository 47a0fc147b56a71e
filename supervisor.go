package tether

import (
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"tether.dev/tether/internal/proc"
)

// A Supervisor runs one sidecar described by Spec and keeps it running:
// it spawns it, reads all it prints, restarts it by Spec's policy and stops
// it with its whole process tree.
//
// Set the fields, then call Run. The zero value with Spec.Command set is a
// working supervisor. A Supervisor runs once: a second Run returns
// ErrAlreadyRunning. Its methods are safe for concurrent use, before, during
// and after Run.
type Supervisor struct {
	// Spec describes the sidecar. It is read when Run starts.
	Spec Spec

	// OnEvent, if not nil, receives every event, in order, on one
	// goroutine that Run starts. While it runs, output keeps being read
	// into a bounded queue; once that is full, reading pauses until
	// OnEvent returns, and the sidecar blocks on its full pipe as it would
	// writing to a slow terminal. Nothing is dropped. OnEvent must not
	// wait for Stop or Restart to finish (that would wait on itself);
	// call them from another goroutine. Kill, Signal, Write, State and
	// Status return at once and are safe to call from OnEvent.
	OnEvent func(Event)

	// OnOutput, if not nil, receives the stdout and stderr events in place
	// of OnEvent: one Output per read of a pipe, holding every line the
	// read completed. It is called on OnEvent's goroutine, in order with
	// the other events, and with the same rules: the queue in front of it
	// is bounded, nothing is dropped, and it must not wait for Stop or
	// Restart. A host that copies or encodes output in bulk (a log file,
	// an event stream) pays one call per read instead of one per line.
	// Unlike an Event, the Output is valid only during the call (see
	// Output.Clone).
	OnOutput func(Output)

	// Hold keeps Run going after the sidecar exited, gave up or was
	// stopped, so that Start can begin it again; Run then returns only
	// when ctx is done. Without Hold, Run returns when supervision ends.
	Hold bool

	// Injected when the supervisor is built (tests): the clock for
	// durations in events, and the source of jitter.
	now    func() time.Time
	rand   func() float64
	timers clock // the stop sequence's deadlines; nil means the wall clock

	// beforeSpawn, if set (by a Group), may change the arguments, env
	// values and probes of the Spec in use just before each spawn, on
	// the loop's goroutine.
	beforeSpawn func(*Spec)

	once     sync.Once
	mu       sync.Mutex // guards started, finished, stopEarly
	started  bool
	finished bool
	early    bool // Stop or Kill came before Run

	cmds     chan command  // to the loop
	kills    chan struct{} // Kill requests, one pending at most
	loopDone chan struct{} // closed when the loop has returned

	state  atomic.Int32
	status atomic.Pointer[Status] // as of the last event delivered
	pid    atomic.Int64
	stdin  atomic.Pointer[os.File]
	group  atomic.Pointer[proc.Group]
}

type cmdKind int

const (
	cmdStop cmdKind = iota
	cmdRestart
	cmdStart
)

// command is a request to the loop. done is closed when the request has
// been carried out (or the loop ended).
type command struct {
	kind cmdKind
	done chan struct{}
}

func (s *Supervisor) init() {
	s.once.Do(func() {
		s.cmds = make(chan command, 16)
		s.kills = make(chan struct{}, 1)
		s.loopDone = make(chan struct{})
		if s.now == nil {
			s.now = time.Now
		}
		if s.rand == nil {
			s.rand = rand.Float64
		}
	})
}

// Run starts the sidecar and supervises it until supervision ends: the
// sidecar was stopped (Stop, Kill, or ctx done, which stops it gracefully),
// it exited and the policy does not restart it, or supervision gave up.
// With Hold, Run goes on until ctx is done, stops the sidecar if it runs,
// and returns nil.
//
// Run returns only after every process it started has been reaped, all
// their output has been delivered to OnEvent, and every goroutine it started
// has returned. A stop the caller asked for makes Run return nil, so a
// non-nil error always means something failed: a *FieldError for a bad
// Spec (nothing started), an error matching ErrGaveUp (with a *SpawnError
// or *ExitError inside), or an *ExitError for a last exit with a non-zero
// status.
func (s *Supervisor) Run(ctx context.Context) error {
	s.init()
	s.mu.Lock()
	if s.started {
		s.mu.Unlock()
		return ErrAlreadyRunning
	}
	s.started = true
	early := s.early
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.finished = true
		s.mu.Unlock()
	}()
	if early {
		close(s.loopDone)
		return nil
	}
	if err := s.Spec.Validate(); err != nil {
		close(s.loopDone)
		return err
	}
	spec := s.Spec.resolved()
	q := newEventQueue(func(q *eventQueue) { s.deliver(spec.Name, q) })
	l := &loop{sup: s, spec: spec, events: q}
	l.stopReq, _ = parseStopRequest(spec.StopRequest) // valid: Validate parsed it
	err := l.run(ctx)
	close(s.loopDone)
	q.close()
	q.wait()
	return err
}

// deliver hands queued events to OnEvent, and output to OnOutput when it
// is set, or drops them when there is no hook for them (the output is
// still read, so the child never blocks), until none waits.
func (s *Supervisor) deliver(name string, q *eventQueue) {
	for {
		d, ok := q.pop()
		if !ok {
			return
		}
		if d.st != nil {
			s.status.Store(d.st)
		}
		switch {
		case d.out == nil:
			if s.OnEvent != nil {
				s.OnEvent(d.ev)
			}
			continue
		case s.OnOutput != nil:
			s.OnOutput(outputOf(name, d.out))
			d.out.giveBack()
			continue
		case s.OnEvent == nil:
			d.out.giveBack()
			continue
		}
		b := d.out
		ev := Event{Time: b.time, Name: name, Kind: b.kind, Pid: b.pid, Attempt: b.attempt}
		for _, c := range b.lines.of(b.buf) {
			ev.Data = b.buf[c.off:c.end:c.end]
			ev.Partial = c.partial
			s.OnEvent(ev)
		}
	}
}

// Stop stops the sidecar gracefully: Spec.StopSignal to its whole tree, up
// to Spec.Grace for it to exit, then a kill of the whole tree. When ctx is
// done before that, the tree is killed at once. Stop returns when the tree
// is gone and its output delivered: nil, or ctx's error if ctx ended first
// (the tree is killed all the same). Without Hold, Run then returns nil.
//
// Stop before Run makes Run return nil at once, starting nothing. Stop after
// Run has returned, or a second Stop, returns nil.
func (s *Supervisor) Stop(ctx context.Context) error {
	s.init()
	if s.markEarly() {
		return nil
	}
	c := command{kind: cmdStop, done: make(chan struct{})}
	select {
	case s.cmds <- c:
	case <-s.loopDone:
		return nil
	}
	select {
	case <-c.done:
		return nil
	case <-s.loopDone:
		return nil
	case <-ctx.Done():
	}
	s.Kill() // the graceful part is over: kill the tree now
	select {
	case <-c.done:
	case <-s.loopDone:
	}
	return ctx.Err()
}

// askStop makes the request Stop makes, without waiting for it to be
// carried out, and reports true; false when the loop's queue of requests is
// full (call Stop then). A Group follows its members through their events,
// and so stops a thousand of them without a goroutine each blocked in Stop.
func (s *Supervisor) askStop() bool {
	s.init()
	if s.markEarly() {
		return true
	}
	select {
	case s.cmds <- command{kind: cmdStop, done: make(chan struct{})}:
		return true
	case <-s.loopDone:
		return true
	default:
		return false
	}
}

// Kill kills the sidecar's whole tree at once and ends supervision as Stop
// does. It does not wait: Run returns once the tree is reaped. Kill before
// Run makes Run return nil at once.
func (s *Supervisor) Kill() error {
	s.init()
	if s.markEarly() {
		return nil
	}
	select {
	case s.kills <- struct{}{}:
	default: // one is pending already
	}
	return nil
}

// markEarly records a stop that comes before Run, reporting whether there
// is no Run in progress to send it to.
func (s *Supervisor) markEarly() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.started {
		s.early = true
		return true
	}
	return s.finished
}

// Restart stops the current attempt's tree gracefully and starts a new
// attempt at once, with the restart delay reset. During a backoff wait it
// starts the next attempt now; after the sidecar exited or gave up (with
// Hold) it starts again as Start does. It returns once the new attempt has
// been spawned or has failed to, or when ctx is done. A stop (Stop, Kill, or
// Run's ctx) that comes while the restart is stopping the old tree wins: no
// new attempt is spawned, and Restart returns nil once the sidecar is stopped.
func (s *Supervisor) Restart(ctx context.Context) error {
	return s.send(ctx, cmdRestart)
}

// Start begins supervision again, with the restart counters cleared, after
// the sidecar exited, gave up or was stopped; Run must be running with Hold.
// It does nothing while the sidecar is starting, running or in backoff.
func (s *Supervisor) Start(ctx context.Context) error {
	return s.send(ctx, cmdStart)
}

func (s *Supervisor) send(ctx context.Context, k cmdKind) error {
	s.init()
	s.mu.Lock()
	running := s.started && !s.finished
	s.mu.Unlock()
	if !running {
		return ErrNotRunning
	}
	c := command{kind: k, done: make(chan struct{})}
	select {
	case s.cmds <- c:
	case <-s.loopDone:
		return ErrNotRunning
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-c.done:
		return nil
	case <-s.loopDone:
		return ErrNotRunning
	case <-ctx.Done():
		return ctx.Err()
	}
}

// clock returns the source of the stop sequence's deadlines.
func (s *Supervisor) clock() clock {
	if s.timers == nil {
		return realClock{}
	}
	return s.timers
}

// State returns the sidecar's current state.
func (s *Supervisor) State() State { return State(s.state.Load()) }

// Pid returns the process id of the current attempt's child, or 0 when none
// is running.
func (s *Supervisor) Pid() int { return int(s.pid.Load()) }

// Write writes p to the current attempt's standard input. It returns
// ErrNotRunning when no attempt is running. A child that does not read its
// input makes Write block once the pipe is full, as with any pipe.
func (s *Supervisor) Write(p []byte) (int, error) {
	f := s.stdin.Load()
	if f == nil {
		return 0, ErrNotRunning
	}
	n, err := f.Write(p)
	if errors.Is(err, os.ErrClosed) {
		err = ErrNotRunning
	}
	return n, err
}

// Signal sends sig to the current attempt's whole tree, alone: STOP or TSTP
// pause the tree until CONT resumes it (a Stop resumes a paused tree so that
// it can act on the stop signal). It returns ErrNotRunning when no attempt
// is running.
func (s *Supervisor) Signal(sig os.Signal) error {
	g := s.group.Load()
	if g == nil {
		return ErrNotRunning
	}
	err := g.Send(sig) // alone: a paused tree resumes only on CONT
	if errors.Is(err, proc.ErrGroupGone) {
		return ErrNotRunning
	}
	return err
}
