package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"time"

	"tether.dev/tether"
	"tether.dev/tether/bundle"
)

// A session is one run of tether: it supervises a set of sidecars, starts
// each once its dependencies are ready, carries out the commands read on
// stdin, and stops everything, dependents first, when asked to. One
// goroutine (loop) owns its decisions; supervisors report to it through
// notes, and everything it does that could block (Stop, Start, Restart,
// writes to a sidecar) runs on goroutines of its own.
type session struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	proc           *procConfig
	cars           []*car
	byName         map[string]*car
	q              *eventQueue
	notes          *noteQueue
	runCtx         context.Context
	began          time.Time      // when run began: the since of a sidecar not started yet
	wg             sync.WaitGroup // Run, Stop, Start, Restart and inbox goroutines

	// viewTitle is what the live view (--ui) says it shows, after "tether".
	viewTitle string

	// onSpawned, if set, sees every spawned event on the sidecar's event
	// goroutine (the demo uses it to tell each attempt what to act out).
	onSpawned func(c *car, ev tether.Event)

	// Owned by loop.
	stopping    bool   // an orderly stop of everything began
	killing     bool   // a second interrupt: kill everything now
	pending     int    // Start and Restart calls in flight
	failed      bool   // a sidecar ended with a non-zero status
	failedCode  int    // the first such status
	lastOrderly bool   // the sidecar that ended last was stopped in order
	stdinLine   int    // lines read from stdin
	stopReason  string // why the orderly stop began
}

// carPhase is where a sidecar is as the session sees it.
type carPhase int

const (
	phaseWaiting carPhase = iota // not started: waits for its dependencies to be ready
	phaseLive                    // supervised: starting, running, in backoff or stopping
	phaseEnded                   // supervision ended: stopped, exited by policy, gave up
)

// car is one sidecar of a session.
type car struct {
	cfg              *sidecarConfig
	name             string
	deps, dependents []*car
	sup              atomic.Pointer[tether.Supervisor] // the current supervisor; nil before the first start
	orderly          atomic.Bool                       // an orderly stop of this life began: its status is 0
	status           atomic.Pointer[tether.Status]     // as of its last event on the queue; nil before one
	in               *inbox

	// Owned by loop.
	phase     carPhase
	running   bool // Run of sup is in progress
	ready     bool // the last state seen is running
	stopBegun bool // the orderly stop of this life began

	// Owned by the supervisor's event goroutine (and, once Run returned,
	// by the goroutine that called it).
	lastStatus int  // the status of the last attempt that exited
	giveStatus int  // the status for gave_up
	ended      bool // a stopped record was written for this life
}

// note is what a sidecar tells the loop.
type note struct {
	car     *car
	state   tether.State // a state change
	end     bool         // supervision ended; code is the sidecar's status
	code    int
	runDone bool // Run returned (sup is the supervisor it ran)
	opDone  bool // a Start or Restart call returned
	sup     *tether.Supervisor
	err     error
}

// noteQueue is an unbounded queue of notes, so that a supervisor's event
// goroutine never waits for the loop.
type noteQueue struct {
	mu    sync.Mutex
	notes []note
	wake  chan struct{}
}

// newNoteQueue returns an empty note queue.
func newNoteQueue() *noteQueue { return &noteQueue{wake: make(chan struct{}, 1)} }

// put adds n and wakes the loop; it never blocks.
func (q *noteQueue) put(n note) {
	q.mu.Lock()
	q.notes = append(q.notes, n)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// take removes and returns every waiting note, in order.
func (q *noteQueue) take() []note {
	q.mu.Lock()
	defer q.mu.Unlock()
	n := q.notes
	q.notes = nil
	return n
}

// newSession prepares a session for sidecars, which must be in an order
// where every sidecar comes after its dependencies are known (any order of
// a checked config will do).
func newSession(sidecars []*sidecarConfig, pc *procConfig, stdin io.Reader, stdout, stderr io.Writer) *session {
	s := &session{
		stdin: stdin, stdout: stdout, stderr: stderr, proc: pc,
		byName: make(map[string]*car), q: newEventQueue(), notes: newNoteQueue(),
	}
	for _, sc := range sidecars {
		c := &car{cfg: sc, name: sc.name, in: newInbox()}
		s.cars = append(s.cars, c)
		s.byName[c.name] = c
	}
	for _, c := range s.cars {
		for _, d := range c.cfg.dependsOn {
			if dc, ok := s.byName[d]; ok {
				c.deps = append(c.deps, dc)
				dc.dependents = append(dc.dependents, c)
			}
		}
	}
	return s
}

// run supervises until every sidecar has ended, and returns tether's exit
// status.
func (s *session) run(ctx context.Context, ppid int) int {
	names := make([]string, len(s.cars))
	for i, c := range s.cars {
		names[i] = c.name
	}
	var f formatter = jsonFormat{enc: newEncoder()}
	output := s.proc.output
	if output == "" {
		output = "json"
		if isTerminal(s.stdout) {
			output = "text"
		}
	}
	cfgs := make([]*sidecarConfig, len(s.cars))
	for i, c := range s.cars {
		cfgs[i] = c.cfg
	}
	if output == "text" {
		f = newTextFormat(names, isTerminal(s.stdout) && !noColor()).withSidecars(cfgs)
	}
	var view *liveView // --ui: it, not stdout and stdin, sees events and gives commands
	if s.proc.ui {
		if err := checkLiveView(s.stdin, s.stdout); err != nil {
			return fail(s.stderr, err)
		}
		view = newLiveView(names, s.stdin, s.stdout)
		view.title = s.viewTitle
		view.words = newTextFormat(names, false).withSidecars(cfgs)
	}

	brokenCh := make(chan struct{}, 1)
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		if view != nil {
			view.run(s.q, s.stderr)
			return
		}
		writeEvents(s.q, s.stdout, f, func(err error) {
			fmt.Fprintf(s.stderr, "tether: cannot write events to stdout (%v): stopping everything, as if tether's parent had gone\n", err)
			brokenCh <- struct{}{}
		})
	}()

	sigCh := make(chan os.Signal, 8)
	signal.Notify(sigCh, stopSignals()...)
	defer signal.Stop(sigCh)
	defer catchSIGPIPE()()

	var parentGone <-chan struct{}
	// A ppid of 0 means no parent is known (Windows reports it for a process
	// whose parent is not a Windows process, as under Wine): nothing to watch.
	if s.proc.exitWithParent && ppid > 0 {
		gone, stop := watchParent(ppid)
		defer stop()
		parentGone = gone
	}

	lines := make(chan []byte)
	stdinEnd := make(chan error, 1)
	quit := make(chan struct{})
	defer close(quit)
	var viewInterrupts <-chan struct{}
	if view != nil {
		lines, viewInterrupts = view.commands, view.interrupts
	} else {
		go readCommands(s.stdin, lines, stdinEnd, quit)
	}

	runCtx, cancelRun := context.WithCancel(context.Background())
	s.runCtx = runCtx
	s.began = time.Now()
	for _, c := range s.cars {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.writeLoop(c)
		}()
	}
	s.progress()

	ctxDone := ctx.Done()
	for !s.done() {
		select {
		case <-s.notes.wake:
			for _, n := range s.notes.take() {
				s.handle(n)
			}
		case sig := <-sigCh:
			if s.stopping && isInterrupt(sig) {
				s.killAll()
			} else {
				s.beginStop("signal")
			}
		case <-viewInterrupts: // q or Ctrl-C in the live view: as SIGINT
			if s.stopping {
				s.killAll()
			} else {
				s.beginStop("signal")
			}
		case <-ctxDone:
			ctxDone = nil
			s.beginStop("signal")
		case line := <-lines:
			s.stdinLine++
			s.command(line)
		case err := <-stdinEnd:
			stdinEnd = nil
			if s.proc.lifeline == "stdin" {
				if err != nil && !errors.Is(err, io.EOF) {
					fmt.Fprintf(s.stderr, "tether: reading stdin: %v: the lifeline is cut\n", err)
				}
				s.beginStop("stdin")
			}
		case <-parentGone:
			parentGone = nil
			s.beginStop("parent")
		case <-brokenCh: // the host stopped reading: treated as its death
			s.beginStop("parent")
		}
		s.progress()
	}
	cancelRun()
	for _, c := range s.cars {
		c.in.close()
	}
	s.wg.Wait()
	s.q.close()
	<-writerDone
	switch {
	case s.stopping, s.lastOrderly:
		return 0
	case s.failed:
		return s.failedCode
	}
	return 0
}

// done reports whether supervision is over: every sidecar ended, nothing
// about to start again.
func (s *session) done() bool {
	if s.pending > 0 {
		return false
	}
	for _, c := range s.cars {
		if c.phase != phaseEnded {
			return false
		}
		if sup := c.sup.Load(); c.running && sup != nil && !terminal(sup.State()) {
			return false // a state change is on its way
		}
	}
	return true
}

// terminal reports whether supervision has ended in st.
func terminal(st tether.State) bool {
	return st == tether.StateStopped || st == tether.StateExited || st == tether.StateFailed
}

// handle applies one note.
func (s *session) handle(n note) {
	c := n.car
	switch {
	case n.opDone:
		s.pending--
		if n.err != nil && !s.stopping && !errors.Is(n.err, context.Canceled) {
			s.emitError(c.name, n.err)
		}
	case n.runDone:
		if c.sup.Load() == n.sup {
			c.running = false
			if c.phase != phaseEnded {
				s.ended(c, n.code)
			}
		}
	case n.end:
		c.ready = false
		if c.phase != phaseEnded {
			s.ended(c, n.code)
		}
	default:
		c.ready = n.state == tether.StateRunning
		if !terminal(n.state) && c.phase == phaseEnded {
			c.phase = phaseLive // started again
		}
		if n.state == tether.StateStarting && c.stopBegun {
			// A start or restart command crossed the stop (the held
			// supervisor took the Stop first): stop this attempt too.
			if sup := c.sup.Load(); sup != nil && c.running {
				s.wg.Add(1)
				go func() {
					defer s.wg.Done()
					sup.Stop(context.Background())
				}()
			}
		}
	}
}

// ended records that c's supervision ended with status code.
func (s *session) ended(c *car, code int) {
	c.phase = phaseEnded
	c.ready = false
	s.lastOrderly = c.orderly.Load()
	if code != 0 && !s.failed && !c.orderly.Load() {
		s.failed, s.failedCode = true, code
	}
}

// progress starts sidecars whose dependencies are ready, gives up on those
// whose dependencies ended before they were, and moves an orderly stop on.
func (s *session) progress() {
	if s.stopping {
		s.advanceStop()
		return
	}
	for changed := true; changed; {
		changed = false
		for _, c := range s.cars {
			if c.phase != phaseWaiting {
				continue
			}
			ready := true
			for _, d := range c.deps {
				if d.phase == phaseEnded {
					s.emitError(c.name, fmt.Errorf("tether: %s was not started: its dependency %s ended before it was ready", c.name, d.name))
					s.emitStopped(c, 1)
					s.ended(c, 1)
					changed, ready = true, false
					break
				}
				if !d.ready {
					ready = false
				}
			}
			if ready && c.phase == phaseWaiting {
				s.start(c)
				changed = true
			}
		}
	}
}

// start begins c's supervision: a new supervisor the first time (and after
// its Run ended), else Start on the held one.
func (s *session) start(c *car) {
	c.orderly.Store(false)
	c.stopBegun = false
	c.phase = phaseLive
	if sup := c.sup.Load(); sup != nil && c.running {
		s.pending++
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			err := sup.Start(s.runCtx)
			s.notes.put(note{car: c, opDone: true, err: err})
		}()
		return
	}
	spec := c.cfg.spec
	if c.cfg.bundled {
		path, err := bundle.Find(c.cfg.command[0])
		if err != nil {
			// As with a command that is not found: gave up, status 127.
			now := time.Now()
			s.q.push(record{ev: tether.Event{Time: now, Name: c.name, Kind: tether.EventError, Err: err}}, true)
			s.q.push(record{ev: tether.Event{Time: now, Name: c.name, Kind: tether.EventGaveUp, Err: err}}, true)
			s.emitStopped(c, 127)
			s.ended(c, 127)
			return
		}
		spec.Command = path
	}
	sup := &tether.Supervisor{Spec: spec, Hold: true}
	sup.OnEvent = s.onEvent(c, sup)
	c.sup.Store(sup)
	c.running = true
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		err := sup.Run(s.runCtx)
		// Run has delivered every event: c's event fields are ours.
		code := tether.ExitStatus(err)
		if c.orderly.Load() {
			code = 0
		}
		if !c.ended {
			if err != nil {
				s.q.push(record{ev: tether.Event{Time: time.Now(), Name: c.name, Kind: tether.EventError, Err: err}}, false)
			}
			c.ended = true
			s.q.push(record{kind: recStopped, ev: tether.Event{Time: time.Now(), Name: c.name, Code: code}}, false)
		}
		s.notes.put(note{car: c, runDone: true, sup: sup, code: code})
	}()
}

// onEvent returns the OnEvent hook of c's supervisor sup: it queues the
// event for stdout, adds a stopped record when supervision ends, and tells
// the loop of state changes. The status a status command reports is taken
// once the event is queued, so that it never runs ahead of the stream.
func (s *session) onEvent(c *car, sup *tether.Supervisor) func(tether.Event) {
	return func(ev tether.Event) {
		s.q.push(record{ev: ev}, false)
		if ev.Kind != tether.EventStdout && ev.Kind != tether.EventStderr {
			st := sup.Status()
			c.status.Store(&st)
		}
		switch ev.Kind {
		case tether.EventSpawned:
			if s.onSpawned != nil {
				s.onSpawned(c, ev)
			}
		case tether.EventExited:
			c.lastStatus = (&tether.ExitError{Code: ev.Code, Signal: ev.Signal}).ExitStatus()
		case tether.EventGaveUp:
			c.giveStatus = gaveUpStatus(ev.Err, c.lastStatus)
		case tether.EventState:
			if !terminal(ev.State) {
				c.ended = false
				s.notes.put(note{car: c, state: ev.State})
				return
			}
			if c.ended {
				return // stopped after exited, while held: already told
			}
			c.ended = true
			code := 0
			switch {
			case c.orderly.Load():
			case ev.State == tether.StateExited:
				code = c.lastStatus
			case ev.State == tether.StateFailed:
				code = c.giveStatus
			}
			s.q.push(record{kind: recStopped, ev: tether.Event{Time: time.Now(), Name: c.name, Code: code}}, false)
			s.notes.put(note{car: c, state: ev.State, end: true, code: code})
		}
	}
}

// gaveUpStatus is tether's status after gave_up: 127 for a command not
// found, 126 for one that cannot be executed, else the last attempt's
// status, but never 0: giving up is a failure.
func gaveUpStatus(err error, last int) int {
	var se *tether.SpawnError
	if errors.As(err, &se) {
		return se.ExitStatus()
	}
	if last == 0 {
		return 1
	}
	return last
}

// beginStop starts the orderly stop of everything: each sidecar once every
// sidecar that depends on it has ended.
func (s *session) beginStop(reason string) {
	if s.stopping {
		return
	}
	s.stopping, s.stopReason = true, reason
	s.advanceStop()
}

// advanceStop begins the stop of each sidecar whose dependents have all
// ended (of every sidecar at once after a second interrupt).
func (s *session) advanceStop() {
	for _, c := range s.cars {
		if c.stopBegun || c.phase == phaseEnded {
			continue
		}
		if !s.killing {
			waiting := false
			for _, d := range c.dependents {
				if d.phase != phaseEnded {
					waiting = true
				}
			}
			if waiting {
				continue
			}
		}
		s.stopCar(c, s.stopReason)
		if s.killing {
			if sup := c.sup.Load(); sup != nil && c.running {
				sup.Kill()
			}
		}
	}
}

// stopCar begins an orderly stop of c.
func (s *session) stopCar(c *car, reason string) {
	c.stopBegun = true
	c.orderly.Store(true)
	s.q.push(record{kind: recStopping, reason: reason, ev: tether.Event{Time: time.Now(), Name: c.name}}, true)
	sup := c.sup.Load()
	if c.phase == phaseWaiting || sup == nil || !c.running {
		s.emitStopped(c, 0)
		s.ended(c, 0)
		return
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		sup.Stop(context.Background())
	}()
}

// killAll answers a second interrupt: every sidecar's tree is killed now.
func (s *session) killAll() {
	s.killing = true
	for _, c := range s.cars {
		if sup := c.sup.Load(); sup != nil && c.running && c.phase != phaseEnded {
			c.orderly.Store(true)
			sup.Kill()
		}
	}
	s.advanceStop()
}

// emitStopped writes the stopped record of a sidecar that has no running
// supervisor to write it.
func (s *session) emitStopped(c *car, code int) {
	s.q.push(record{kind: recStopped, ev: tether.Event{Time: time.Now(), Name: c.name, Code: code}}, true)
}

// emitError writes an error event for the sidecar called name.
func (s *session) emitError(name string, err error) {
	s.q.push(record{ev: tether.Event{Time: time.Now(), Name: name, Kind: tether.EventError, Err: err}}, true)
}
