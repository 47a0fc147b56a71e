package tether

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"
)

// groupRun is the state of one Run of a Group, owned by Run's goroutine.
type groupRun struct {
	group       *Group
	ctx         context.Context    // the supervisors'; canceled once everything ended
	wg          sync.WaitGroup     // supervisors' Run, Stop, Start, Restart, and the writers
	stopping    bool               // an orderly stop of everything began
	killing     bool               // Kill: every tree is killed now
	stopReason  string             // why the orderly stop began
	pending     int                // Start and Restart calls in flight
	failure     *MemberError       // the first member that ended in failure
	lastOrderly bool               // the member that ended last was stopped in order
	deferred    []*deferredRequest // requests that waited for writes (timers stopped at the end)
}

// A groupMessage tells Run's goroutine something; apply is called there.
type groupMessage interface{ apply(r *groupRun) }

// stateChanged: a member's supervisor moved to a state that is not
// terminal.
type stateChanged struct {
	m     *member
	state State
}

// lifeEnded: a member's supervision ended (a terminal state); code is its
// status.
type lifeEnded struct {
	m    *member
	code int
}

// runReturned: Run of a member's supervisor sup returned.
type runReturned struct {
	m    *member
	sup  *Supervisor
	code int
}

// callReturned: a Start or Restart call on a member's supervisor returned.
type callReturned struct {
	m   *member
	err error
}

// stopAll: Stop was called.
type stopAll struct{ reason string }

// killAll: Kill was called.
type killAll struct{}

// memberOp is what a memberRequest asks for.
type memberOp int

const (
	opStop memberOp = iota
	opStart
	opRestart
	opWrite
	opSignal
)

// memberRequest: StopMember, StartMember, RestartMember or Write was
// called; the answer goes to reply.
type memberRequest struct {
	op     memberOp
	name   string
	reason string    // opStop
	data   []byte    // opWrite
	sig    os.Signal // opSignal
	now    bool      // do not wait for the writes before it: they were
	reply  chan error
}

func (msg stateChanged) apply(r *groupRun) {
	m := msg.m
	m.ready = msg.state == StateRunning
	if m.phase == phaseEnded {
		m.phase = phaseLive // started again
	}
	if msg.state == StateStarting && m.stopBegun {
		// A start or restart crossed the stop (the held supervisor took
		// the Stop first): stop this attempt too.
		if sup := m.sup.Load(); sup != nil && m.running {
			r.goStop(sup)
		}
	}
	if m.ready {
		r.rewire(m)
	}
}

func (msg lifeEnded) apply(r *groupRun) {
	msg.m.ready = false
	if msg.m.phase != phaseEnded {
		r.ended(msg.m, msg.code)
	}
}

func (msg runReturned) apply(r *groupRun) {
	m := msg.m
	if m.sup.Load() == msg.sup {
		m.running = false
		if m.phase != phaseEnded {
			r.ended(m, msg.code)
		}
	}
}

func (msg callReturned) apply(r *groupRun) {
	r.pending--
	if msg.err != nil && !r.stopping && !errors.Is(msg.err, context.Canceled) {
		r.emitError(msg.m.name, msg.err)
	}
}

func (msg stopAll) apply(r *groupRun) { r.beginStop(msg.reason) }

func (killAll) apply(r *groupRun) { r.killAll() }

func (msg memberRequest) apply(r *groupRun) {
	err := r.request(msg)
	if msg.reply != nil {
		msg.reply <- err
	}
}

// Run starts the members in the order of their dependencies and supervises
// them until every member's supervision has ended: all were stopped (Stop,
// or ctx done, which stops them in order), or each exited for good or gave
// up. It returns only after every process it started has been reaped and
// every event delivered.
//
// It returns nil when the group was stopped, or when the member that ended
// last was stopped on its own (StopMember); otherwise the *MemberError of
// the first member that failed, if one did. A bad Member (no or a repeated
// name, an invalid Spec, an unknown or cyclic dependency, a {NAME.port} of
// a member not in DependsOn) is an error that matches ErrInvalidSpec, and
// nothing is started.
func (g *Group) Run(ctx context.Context) error {
	g.init()
	if !g.ran.CompareAndSwap(false, true) {
		return ErrAlreadyRunning
	}
	defer close(g.done)
	if g.initErr != nil {
		g.msgs.Close()
		return g.initErr
	}
	now := time.Now()
	g.beganAt.Store(&now)
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	r := &groupRun{group: g, ctx: runCtx}
	r.reconcile()
	ctxDone := ctx.Done()
	var batch []groupMessage
	for !r.done() {
		select {
		case <-g.msgs.Ready():
			batch, _ = g.msgs.Take(batch)
			for _, msg := range batch {
				msg.apply(r)
			}
			clear(batch)
		case <-ctxDone:
			ctxDone = nil
			r.beginStop("context")
		}
		r.reconcile()
	}
	cancel()
	r.shutDown()
	switch {
	case r.stopping, r.lastOrderly:
		return nil
	case r.failure != nil:
		return r.failure
	}
	return nil
}

// shutDown waits for every goroutine of the run, answering the requests
// that still arrive with ErrNotRunning.
func (r *groupRun) shutDown() {
	for _, d := range r.deferred {
		if d.timer != nil {
			d.timer.Stop()
		}
	}
	for _, m := range r.group.members {
		m.writes.close()
	}
	go func() {
		r.wg.Wait()
		r.group.msgs.Close()
	}()
	var batch []groupMessage
	for closed := false; !closed; {
		<-r.group.msgs.Ready()
		batch, closed = r.group.msgs.Take(batch)
		for _, msg := range batch {
			if req, ok := msg.(memberRequest); ok {
				req.reply <- ErrNotRunning
			}
		}
		clear(batch)
	}
}

// done reports whether supervision is over: every member ended, nothing
// about to start again.
func (r *groupRun) done() bool {
	if r.pending > 0 {
		return false
	}
	for _, m := range r.group.members {
		if m.phase != phaseEnded {
			return false
		}
		if sup := m.sup.Load(); m.running && sup != nil && !terminal(sup.State()) {
			return false // a state change is on its way
		}
	}
	return true
}

// terminal reports whether supervision has ended in st.
func terminal(st State) bool {
	return st == StateStopped || st == StateExited || st == StateFailed
}

// ended records that m's supervision ended with status code.
func (r *groupRun) ended(m *member, code int) {
	m.phase = phaseEnded
	m.ready = false
	r.lastOrderly = m.orderly.Load()
	if code != 0 && r.failure == nil && !m.orderly.Load() {
		r.failure = &MemberError{Name: m.name, Status: code}
	}
}

// reconcile starts members whose dependencies are ready, ends those whose
// dependencies ended before they were ready, and moves an orderly stop on.
func (r *groupRun) reconcile() {
	if r.stopping {
		r.advanceStop()
		return
	}
	for changed := true; changed; {
		changed = false
		for _, m := range r.group.members {
			if m.phase != phaseWaiting {
				continue
			}
			ready := true
			for _, d := range m.deps {
				if d.phase == phaseEnded {
					r.emitError(m.name, fmt.Errorf("tether: %s was not started: its dependency %s ended before it was ready", m.name, d.name))
					r.emitStopped(m, 1)
					r.ended(m, 1)
					changed, ready = true, false
					break
				}
				if !d.ready {
					ready = false
				}
			}
			if ready && m.phase == phaseWaiting {
				r.start(m)
				changed = true
			}
		}
	}
}

// start begins m's supervision: a new supervisor the first time (and after
// its Run ended), else Start on the held one.
func (r *groupRun) start(m *member) {
	m.orderly.Store(false)
	m.stopBegun = false
	m.phase = phaseLive
	if sup := m.sup.Load(); sup != nil && m.running {
		r.goCall(m, sup.Start)
		return
	}
	spec := m.Spec
	if m.Prepare != nil {
		prepared, err := m.Prepare(spec)
		if err != nil {
			// As with a command that is not found: gave up, status 127.
			now := time.Now()
			r.group.emit(Event{Time: now, Name: m.name, Kind: EventError, Err: err})
			r.group.emit(Event{Time: now, Name: m.name, Kind: EventGaveUp, Err: err})
			r.emitStopped(m, 127)
			r.ended(m, 127)
			return
		}
		spec = prepared
	}
	sup := &Supervisor{Spec: spec, Hold: true}
	sup.OnEvent = r.onEvent(m, sup)
	sup.OnOutput = r.group.OnOutput
	if len(m.portDeps) > 0 {
		sup.beforeSpawn = func(s *Spec) { r.fillPorts(m, spec, s) }
	}
	m.sup.Store(sup)
	m.running = true
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		err := sup.Run(r.ctx)
		// Run has delivered every event: m's event fields are ours.
		code := ExitStatus(err)
		if m.orderly.Load() {
			code = 0
		}
		if !m.lifeEnded {
			if err != nil {
				r.group.emit(Event{Time: time.Now(), Name: m.name, Kind: EventError, Err: err})
			}
			m.lifeEnded = true
			r.dropWrites(m)
			r.emitStopped(m, code)
		}
		r.group.msgs.Push(runReturned{m: m, sup: sup, code: code})
	}()
}

// goCall runs call (a Start or Restart of m's supervisor) on a goroutine
// of its own, and tells Run's goroutine when it returned.
func (r *groupRun) goCall(m *member, call func(context.Context) error) {
	r.pending++
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		err := call(r.ctx)
		r.group.msgs.Push(callReturned{m: m, err: err})
	}()
}

// goStop stops sup: the request is queued at once, or, when sup's queue is
// full, made by sup.Stop on a goroutine of its own.
func (r *groupRun) goStop(sup *Supervisor) {
	if sup.askStop() {
		return
	}
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		sup.Stop(context.Background())
	}()
}

// onEvent returns the OnEvent hook of m's supervisor sup: it hands the
// event on, keeps m's status as of that event, and tells Run's goroutine
// of state changes, with EventStopped when supervision ends.
func (r *groupRun) onEvent(m *member, sup *Supervisor) func(Event) {
	return func(ev Event) {
		if ev.Kind != EventStdout && ev.Kind != EventStderr {
			st := sup.Status() // before the event: a host may ask on it
			m.status.Store(&st)
		}
		r.group.emit(ev)
		switch ev.Kind {
		case EventExited:
			m.lastStatus = (&ExitError{Code: ev.Code, Signal: ev.Signal}).ExitStatus()
		case EventGaveUp:
			m.gaveUpCode = gaveUpStatus(ev.Err, m.lastStatus)
		case EventState:
			if !terminal(ev.State) {
				m.lifeEnded = false
				r.group.msgs.Push(stateChanged{m: m, state: ev.State})
				return
			}
			if m.lifeEnded {
				return // stopped after exited, while held: already told
			}
			m.lifeEnded = true
			r.dropWrites(m)
			code := 0
			switch {
			case m.orderly.Load():
			case ev.State == StateExited:
				code = m.lastStatus
			case ev.State == StateFailed:
				code = m.gaveUpCode
			}
			r.emitStopped(m, code)
			r.group.msgs.Push(lifeEnded{m: m, code: code})
		}
	}
}

// gaveUpStatus is the status after gave_up: 127 for a command not found,
// 126 for one that cannot be executed, else the last attempt's status, but
// never 0: giving up is a failure.
func gaveUpStatus(err error, last int) int {
	var se *SpawnError
	if errors.As(err, &se) {
		return se.ExitStatus()
	}
	if last == 0 {
		return 1
	}
	return last
}

// beginStop starts the orderly stop of everything: each member once every
// member that depends on it has ended.
func (r *groupRun) beginStop(reason string) {
	if r.stopping {
		return
	}
	r.stopping, r.stopReason = true, reason
	r.advanceStop()
}

// advanceStop begins the stop of each member whose dependents have all
// ended (of every member at once after Kill). Every stopping event goes out
// before any member is asked to stop: a thousand members that stop at once
// emit their own events meanwhile, and the group's would wait behind them.
func (r *groupRun) advanceStop() {
	var asked []*member
	for _, m := range r.group.members {
		if m.stopBegun || m.phase == phaseEnded {
			continue
		}
		if !r.killing && r.hasLiveDependent(m) {
			continue
		}
		if r.announceStop(m, r.stopReason) {
			asked = append(asked, m)
		}
	}
	for _, m := range asked {
		sup := m.sup.Load()
		r.goStop(sup)
		if r.killing {
			sup.Kill()
		}
	}
}

// hasLiveDependent reports whether a member that depends on m has not
// ended yet.
func (r *groupRun) hasLiveDependent(m *member) bool {
	for _, d := range m.dependents {
		if d.phase != phaseEnded {
			return true
		}
	}
	return false
}

// stopMember begins an orderly stop of m.
func (r *groupRun) stopMember(m *member, reason string) {
	if r.announceStop(m, reason) {
		r.goStop(m.sup.Load())
	}
}

// announceStop begins an orderly stop of m up to its stopping event, and
// reports whether its supervisor must now be stopped (false: m had nothing
// running and has ended).
func (r *groupRun) announceStop(m *member, reason string) bool {
	m.stopBegun = true
	m.orderly.Store(true)
	r.group.emit(Event{Time: time.Now(), Name: m.name, Kind: EventStopping, Reason: reason})
	sup := m.sup.Load()
	if m.phase == phaseWaiting || sup == nil || !m.running {
		r.emitStopped(m, 0)
		r.ended(m, 0)
		return false
	}
	return true
}

// killAll kills every member's tree now, and stops in order what is left.
func (r *groupRun) killAll() {
	if !r.stopping {
		r.stopping, r.stopReason = true, "kill"
	}
	r.killing = true
	for _, m := range r.group.members {
		if sup := m.sup.Load(); sup != nil && m.running && m.phase != phaseEnded {
			m.orderly.Store(true)
			sup.Kill()
		}
	}
	r.advanceStop()
}

// request carries out a StopMember, StartMember, RestartMember or Write.
func (r *groupRun) request(req memberRequest) error {
	m := r.group.byName[req.name]
	sup := m.sup.Load()
	switch req.op {
	case opStop, opRestart, opSignal:
		// After the writes to m before it: they reach its stdin first.
		if r.deferBehindWrites(m, req) {
			return nil
		}
	}
	switch req.op {
	case opSignal:
		if sup == nil {
			return fmt.Errorf("tether: %s is not running: %w", m.name, ErrNotRunning)
		}
		if err := sup.Signal(req.sig); err != nil {
			if errors.Is(err, ErrNotRunning) {
				return fmt.Errorf("tether: %s is not running: %w", m.name, err)
			}
			return err
		}
	case opStop:
		if m.phase != phaseEnded && !m.stopBegun && !r.stopping {
			r.stopMember(m, req.reason)
		}
	case opStart, opRestart:
		if r.stopping {
			return errors.New("tether is stopping")
		}
		switch m.phase {
		case phaseWaiting:
			return fmt.Errorf("%s waits for its dependencies to be ready", m.name)
		case phaseEnded:
			for _, d := range m.deps {
				if !d.ready {
					return fmt.Errorf("its dependency %s is not ready", d.name)
				}
			}
			r.start(m)
		case phaseLive:
			if m.stopBegun {
				return fmt.Errorf("%s is stopping", m.name)
			}
			if req.op == opRestart && sup != nil {
				r.goCall(m, sup.Restart)
			}
		}
	case opWrite:
		if sup == nil || m.phase != phaseLive {
			return notRunningError(m.name)
		}
		ok, startWriter := m.writes.put(req.data)
		if !ok {
			return fmt.Errorf("more than %d bytes or %d writes are waiting to be written to %s; it does not read its input", groupMaxWriteBytes, groupMaxWrites, m.name)
		}
		if startWriter {
			r.startWriter(m)
		}
	}
	return nil
}

// notRunningError says that the member it names is not running; it matches
// ErrNotRunning.
type notRunningError string

func (e notRunningError) Error() string { return string(e) + " is not running" }

func (e notRunningError) Is(target error) bool { return target == ErrNotRunning }

// writeError says why a Write's bytes did not reach the member called name.
func writeError(name string, err error) error {
	if errors.Is(err, ErrNotRunning) {
		return fmt.Errorf("tether: write: %s is not running: %w", name, err)
	}
	if pe := (*fs.PathError)(nil); errors.As(err, &pe) {
		err = pe.Err // "write |1: " says nothing to a person
	}
	if errors.Is(err, syscall.EPIPE) {
		return fmt.Errorf("tether: write to %s's stdin: it has closed its standard input (%w)", name, err)
	}
	return fmt.Errorf("tether: write to %s's stdin: %w", name, err)
}

// emitStopped reports that m's supervision ended with status code.
func (r *groupRun) emitStopped(m *member, code int) {
	r.group.emit(Event{Time: time.Now(), Name: m.name, Kind: EventStopped, Code: code})
}

// emitError reports err for the member called name.
func (r *groupRun) emitError(name string, err error) {
	r.group.emit(Event{Time: time.Now(), Name: name, Kind: EventError, Err: err})
}

// names lists the members' names, for an error about a name.
func (g *Group) names() string {
	names := make([]string, len(g.members))
	for i, m := range g.members {
		names[i] = m.name
	}
	return strings.Join(names, ", ")
}
