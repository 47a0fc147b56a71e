package tether

import (
	"fmt"
	"math"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"tether.dev/tether/internal/queue"
)

// A Group supervises sidecars that depend on one another, as `tether up`
// does: each member starts once every member in its DependsOn is ready,
// and a stop stops dependents before what they depend on. A member's args,
// env values and probes may use "{NAME.port}", the current port of member
// NAME in its DependsOn; when NAME restarts on another port, the members
// using it are restarted once NAME is ready again.
//
// Set the fields, then call Run. The other methods are safe from any
// goroutine, before, during and after Run; those that act on members take
// effect once Run has begun, and report ErrNotRunning once it has
// returned. A Group runs once.
//
// One goroutine, Run's, owns every decision: the members' supervisors and
// the methods tell it what happened through typed messages, and whatever
// could block (a Stop, a Restart, a write to a member) runs on a goroutine
// of its own.
type Group struct {
	// Members are the sidecars, each named by its Spec.Name, which is
	// required and unique. They are read when Run starts (or when another
	// method is first called) and must not change afterwards.
	Members []Member

	// OnEvent, if not nil, receives every member's events (Event.Name
	// says whose), and the group's own: EventStopping when the group
	// begins to stop a member, EventStopped when a member's supervision
	// has ended. A member's events arrive in order; events of different
	// members may arrive at the same time on different goroutines. Like
	// Supervisor.OnEvent it must not wait for Run to return.
	OnEvent func(Event)

	// OnOutput, if not nil, receives every member's stdout and stderr
	// events in place of OnEvent, a read at a time (Output.Name says
	// whose), as Supervisor.OnOutput does.
	OnOutput func(Output)

	once    sync.Once
	members []*member
	byName  map[string]*member
	msgs    *queue.Queue[groupMessage] // to Run's goroutine
	ran     atomic.Bool                // Run was called
	done    chan struct{}              // closed when Run has returned
	initErr error                      // what is wrong with Members
	beganAt atomic.Pointer[time.Time]  // when Run began
}

// A Member is one sidecar of a Group.
type Member struct {
	// Spec describes the sidecar. Spec.Name names it in DependsOn, in
	// events and in the Group's methods.
	Spec Spec

	// DependsOn names the members that must be ready before this one
	// starts, and that stop only after it has.
	DependsOn []string

	// Prepare, if not nil, is called before each new supervisor of the
	// member is started, with the member's Spec; it returns the Spec to
	// run (for example with Command set to a bundled sidecar's path). An
	// error ends the member as a command that is not found would: an
	// EventError and an EventGaveUp carry it, and its status is 127.
	Prepare func(Spec) (Spec, error)
}

// MemberError is what Group.Run returns when a member ended in failure and
// the group was not asked to stop: the first member that failed, and its
// status as ExitStatus gives it.
type MemberError struct {
	Name   string // the member
	Status int    // the status a shell would report for it
}

// Error implements error.
func (e *MemberError) Error() string {
	return fmt.Sprintf("tether: sidecar %s ended with status %d", e.Name, e.Status)
}

// ExitStatus returns Status.
func (e *MemberError) ExitStatus() int { return e.Status }

// groupMaxMessages bounds the messages waiting for Run's goroutine, which
// never blocks: a full queue only makes a sender wait a moment.
const groupMaxMessages = 1024

// groupMaxWriteBytes bounds the bytes waiting to be written to one member's
// standard input: Write refuses more.
const groupMaxWriteBytes = 64 << 20

// memberPhase is where a member is as the group sees it.
type memberPhase int

const (
	phaseWaiting memberPhase = iota // not started: waits for its dependencies to be ready
	phaseLive                       // supervised: starting, running, in backoff or stopping
	phaseEnded                      // supervision ended: stopped, exited by policy, gave up
)

// member is one Member as the Group runs it.
type member struct {
	Member
	name             string
	deps, dependents []*member
	portDeps         []*member                      // deps whose {NAME.port} its Spec uses
	sup              atomic.Pointer[Supervisor]     // the current supervisor; nil before the first start
	orderly          atomic.Bool                    // an orderly stop of this life began: its status is 0
	status           atomic.Pointer[Status]         // as of its last event delivered; nil before one
	usedPorts        atomic.Pointer[map[string]int] // the portDeps' ports its last attempt was spawned with
	writes           *inbox                         // Write's data on its way to stdin

	// Owned by Run's goroutine.
	phase     memberPhase
	running   bool // Run of sup is in progress
	ready     bool // the last state seen is running
	stopBegun bool // the orderly stop of this life began

	// Owned by the supervisor's event goroutine (and, once Run returned,
	// by the goroutine that called it).
	lastStatus int  // the status of the last attempt that exited
	gaveUpCode int  // the status for gave_up
	lifeEnded  bool // EventStopped was delivered for this life
}

// init builds the members once. It records the first problem in initErr.
func (g *Group) init() {
	g.once.Do(func() {
		g.msgs = queue.New[groupMessage](groupMaxMessages, math.MaxInt, nil)
		g.done = make(chan struct{})
		g.byName = make(map[string]*member)
		for _, spec := range g.Members {
			m := &member{Member: spec, name: spec.Spec.Name, writes: newInbox()}
			g.members = append(g.members, m)
			if m.name != "" && g.byName[m.name] == nil {
				g.byName[m.name] = m
			}
		}
		g.initErr = g.link()
	})
}

// member returns the member called name.
func (g *Group) member(name string) (*member, error) {
	g.init()
	if m := g.byName[name]; m != nil {
		return m, nil
	}
	return nil, fmt.Errorf("tether: no sidecar named %q (there are: %s)", name, g.names())
}

// Stop begins an orderly stop of every member: each is stopped once every
// member that depends on it has ended. reason says why, in the
// EventStopping of each member ("signal", say). Stop returns at once; Run
// returns when everything has ended.
func (g *Group) Stop(reason string) {
	g.init()
	g.msgs.Force(stopAll{reason: reason})
}

// Kill kills every member's process tree now, without waiting for
// dependents, as a second interrupt does.
func (g *Group) Kill() {
	g.init()
	g.msgs.Force(killAll{})
}

// StopMember begins an orderly stop of the member called name, with
// reason in its EventStopping. Its dependents keep running.
func (g *Group) StopMember(name, reason string) error {
	return g.ask(memberRequest{op: opStop, name: name, reason: reason})
}

// StartMember starts the member called name again after it ended; every
// member it depends on must be ready. A member that runs is left as it is.
func (g *Group) StartMember(name string) error {
	return g.ask(memberRequest{op: opStart, name: name})
}

// RestartMember stops the current attempt of the member called name and
// starts a new one, or starts the member again after it ended.
func (g *Group) RestartMember(name string) error {
	return g.ask(memberRequest{op: opRestart, name: name})
}

// Write queues p for the standard input of the member called name. Writes
// reach the member in order, on a goroutine of their own, so that a
// member that does not read its input holds up nobody; a write that fails
// there is reported as an EventError. Write refuses when 64 MiB or 65,536
// writes are already waiting (the one being written counts), and when the
// member is not running. When the member's
// supervision ends, the writes still waiting are dropped with one
// EventError, before its EventStopped.
func (g *Group) Write(name string, p []byte) error {
	return g.ask(memberRequest{op: opWrite, name: name, data: p})
}

// Signal sends sig to the process tree of the member called name. When
// writes to the member are waiting, it acts once they are written to its
// stdin (or after 5 s), and a failure then is reported as an
// EventError.
func (g *Group) Signal(name string, sig os.Signal) error {
	return g.ask(memberRequest{op: opSignal, name: name, sig: sig})
}

// Status returns the status of the member called name as its events
// delivered so far tell it (see Supervisor.Status). Before its first
// event, a member is stopped since Run began.
func (g *Group) Status(name string) (Status, error) {
	m, err := g.member(name)
	if err != nil {
		return Status{}, err
	}
	st := Status{Name: name}
	if t := g.beganAt.Load(); t != nil {
		st.Since = *t
	}
	if p := m.status.Load(); p != nil {
		st = *p
	}
	st.Name = name
	return st, nil
}

// Statuses returns the status of every member, in the order of Members.
func (g *Group) Statuses() []Status {
	g.init()
	out := make([]Status, 0, len(g.members))
	for _, m := range g.members {
		st, _ := g.Status(m.name)
		out = append(out, st)
	}
	return out
}

// ask sends a request to Run's goroutine and waits for its answer.
func (g *Group) ask(req memberRequest) error {
	if _, err := g.member(req.name); err != nil {
		return err
	}
	req.reply = make(chan error, 1)
	if !g.msgs.Force(req) {
		return ErrNotRunning
	}
	select {
	case err := <-req.reply:
		return err
	case <-g.done:
		return ErrNotRunning
	}
}

// emit hands ev to OnEvent.
func (g *Group) emit(ev Event) {
	if g.OnEvent != nil {
		g.OnEvent(ev)
	}
}
