package tether

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"
	"time"

	"tether.dev/tether/internal/probe"
	"tether.dev/tether/internal/proc"
	"tether.dev/tether/internal/signame"
)

// loop is one Run's state machine. Only the goroutine running loop.run
// touches its fields; everything else talks to it through channels.
type loop struct {
	sup      *Supervisor
	spec     Spec
	events   *eventQueue
	launcher *proc.Launcher
	stopReq  stopRequest // spec.StopRequest, parsed

	state    State
	attempt  int         // the last attempt's number
	fails    int         // consecutive failed attempts
	restarts []time.Time // restarts inside the window
	result   error       // what Run returns, once supervision ends
	status   Status      // the status, sent along with each event that changes it

	noWatcher string // the last no-watcher cause reported, so as to say it once

	// Requests that have come in but are not carried out yet.
	stopWaiters  []command // closed when the sidecar is stopped
	startWaiters []command // closed when the next attempt has been spawned
}

// endReason says why an attempt ended.
type endReason int

const (
	endExit      endReason = iota // it exited by itself
	endStop                       // a stop was asked for (Stop, Kill, ctx)
	endRestart                    // a restart was asked for
	endNotReady                   // it missed its ready deadline
	endUnhealthy                  // liveness failed
	endSpawn                      // it could not be spawned
)

// rank orders reasons that compete for one attempt: a stop beats a
// restart, which beats a probe failure, which beats a plain exit.
func (r endReason) rank() int {
	switch r {
	case endStop:
		return 3
	case endRestart:
		return 2
	case endNotReady, endUnhealthy:
		return 1
	}
	return 0
}

// outcome is how one attempt went.
type outcome struct {
	reason   endReason
	err      error // spawn error, not-ready or unhealthy cause
	code     int
	signal   string
	readyFor time.Duration // how long it was ready before it ended
	tail     []string      // the attempt's last output lines
}

func (l *loop) emit(ev Event) {
	ev.Time = l.sup.now()
	ev.Name = l.spec.Name
	l.events.pushEvent(delivery{ev: ev})
}

// emitStatus is emit for an event that comes with a change of l.st: Status
// reports the new one once ev is delivered. Only the loop's goroutine
// calls it.
func (l *loop) emitStatus(ev Event) {
	if ev.Time.IsZero() {
		ev.Time = l.sup.now()
	}
	ev.Name = l.spec.Name
	st := l.status
	l.events.pushEvent(delivery{ev: ev, st: &st})
}

func (l *loop) setState(st State) { l.setStateAfter(Event{}, st) }

// setStateAfter moves to st, reporting ev first (unless it is the zero
// Event) and then the state change. State reads st before either is
// delivered, so a host that sees ev and asks for the state agrees with it.
func (l *loop) setStateAfter(ev Event, st State) {
	if st == l.state {
		if ev.Kind != 0 {
			l.emitStatus(ev)
		}
		return
	}
	prev := l.state
	l.state = st
	l.sup.state.Store(int32(st))
	now := l.sup.now()
	l.status.State, l.status.Since = st, now
	if ev.Kind != 0 {
		ev.Time = now
		l.emitStatus(ev)
	}
	l.emitStatus(Event{Time: now, Kind: EventState, State: st, Prev: prev, Attempt: l.attempt})
}

func (l *loop) run(ctx context.Context) error {
	l.status.Name = l.spec.Name
	l.launcher = proc.NewLauncher()
	// Close ends the launcher's locked thread, which would fire the
	// parent-death signal of live children: by then none is left.
	defer l.launcher.Close()
	defer l.finishWaiters()
	for {
		o := l.runAttempt(ctx)
		if l.decide(ctx, o) && l.roomForAttempt(ctx) {
			continue // another attempt, now
		}
		// Supervision ended in a terminal state: with Hold, wait there
		// for a Start.
		if !l.sup.Hold || !l.park(ctx) {
			return l.result
		}
	}
}

// finishWaiters releases everyone waiting on a request: when Run ends, and
// when a stop ends supervision.
func (l *loop) finishWaiters() {
	for _, c := range l.stopWaiters {
		close(c.done)
	}
	for _, c := range l.startWaiters {
		close(c.done)
	}
	l.stopWaiters, l.startWaiters = nil, nil
}

// stopped moves to StateStopped and releases Stop callers, and Restart
// callers whose restart the stop overtook: every waiter is released on every
// way out of an attempt.
func (l *loop) stopped() {
	l.setState(StateStopped)
	l.result = nil
	l.finishWaiters()
}

// decide applies the policy to an attempt's outcome, waiting out the
// backoff when there is one. It reports whether another attempt follows now;
// false means supervision has ended in a terminal state, with l.result set.
func (l *loop) decide(ctx context.Context, o outcome) (again bool) {
	now := l.sup.now()
	switch o.reason {
	case endStop:
		l.stopped()
		return false
	case endRestart:
		l.fails = 0
		l.status.Restarts++
		l.emitStatus(Event{Kind: EventRestarting, Attempt: l.attempt + 1})
		return true
	case endSpawn:
		if errors.Is(o.err, ErrCommandNotFound) || errors.Is(o.err, ErrNotExecutable) {
			return l.giveUp(o.err, o.tail)
		}
	case endExit:
		clean := o.code == 0 && o.signal == ""
		if l.spec.Restart == RestartNever || (l.spec.Restart == RestartOnFailure && clean) {
			l.setState(StateExited)
			l.result = nil
			if !clean {
				l.result = &ExitError{Code: o.code, Signal: o.signal, Tail: o.tail}
			}
			return false
		}
	case endNotReady, endUnhealthy:
		if l.spec.Restart == RestartNever {
			l.setState(StateExited)
			l.result = o.err
			return false
		}
	}
	// A failed attempt: back off, unless it had been healthy long enough.
	if o.readyFor >= l.spec.HealthyAfter {
		l.fails = 0
	}
	l.fails++
	if l.spec.MaxRestarts > 0 {
		keep := l.restarts[:0]
		for _, t := range l.restarts {
			if now.Sub(t) < l.spec.RestartWindow {
				keep = append(keep, t)
			}
		}
		l.restarts = keep
		if len(l.restarts) >= l.spec.MaxRestarts {
			cause := error(&ExitError{Code: o.code, Signal: o.signal, Tail: o.tail})
			if o.err != nil && o.reason != endSpawn {
				// Not ready, unhealthy: say so, and keep the last
				// exit status for ExitStatus.
				cause = fmt.Errorf("%w (last exit: %w)", o.err, cause)
			} else if o.err != nil {
				cause = o.err
			}
			return l.giveUp(fmt.Errorf("more than %d restarts in %v: %w", l.spec.MaxRestarts, l.spec.RestartWindow, cause), o.tail)
		}
	}
	l.restarts = append(l.restarts, now)
	delay := l.spec.Backoff.delay(l.fails, l.sup.rand())
	l.status.Restarts++
	l.emitStatus(Event{Kind: EventRestarting, Attempt: l.attempt + 1, Delay: delay})
	l.setState(StateBackoff)
	return l.backoff(ctx, delay)
}

// giveUp ends supervision in StateFailed; tail is the last attempt's
// output, for the gave_up event.
func (l *loop) giveUp(cause error, tail []string) (again bool) {
	l.result = fmt.Errorf("%w: %w", ErrGaveUp, cause)
	l.setStateAfter(Event{Kind: EventGaveUp, Attempt: l.attempt, Restarts: len(l.restarts), Err: cause, Tail: tail}, StateFailed)
	return false
}

// backoff waits delay before the next attempt and reports whether it
// follows. A stop or a kill ends the wait at once (false); a restart or
// start request skips it (true).
func (l *loop) backoff(ctx context.Context, delay time.Duration) (again bool) {
	t := time.NewTimer(delay)
	defer t.Stop()
	switch waitBetween(l, ctx, t.C) {
	case betweenStopped:
		return false
	case betweenAsked:
		l.fails = 0
	}
	return true
}

// roomForAttempt holds the next attempt back while maxQueuedEvents of the
// loop's events wait for OnEvent, so that a host that stopped reading events
// cannot make a crash-looping sidecar's events pile up without bound (the
// loop itself never waits for OnEvent). It reports whether the attempt
// follows; a stop or a kill meanwhile ends supervision (false), as in a
// backoff wait.
func (l *loop) roomForAttempt(ctx context.Context) (again bool) {
	for l.events.eventsWaiting() >= maxQueuedEvents {
		if waitBetween(l, ctx, l.events.eventRoom) == betweenStopped {
			return false
		}
	}
	return true
}

// betweenEnd says how a wait between two attempts ended.
type betweenEnd int

const (
	betweenWoke    betweenEnd = iota // what it waited for came
	betweenAsked                     // a Restart or Start came, now in startWaiters
	betweenStopped                   // a stop, a kill or ctx ended supervision: stopped
)

// waitBetween waits for wake between two attempts while it takes the
// requests that may come meanwhile (backoff's and roomForAttempt's one
// select).
func waitBetween[T any](l *loop, ctx context.Context, wake <-chan T) betweenEnd {
	select {
	case <-wake:
		return betweenWoke
	case <-ctx.Done():
	case <-l.sup.kills:
	case c := <-l.sup.cmds:
		if c.kind != cmdStop {
			l.startWaiters = append(l.startWaiters, c) // cmdRestart, cmdStart
			return betweenAsked
		}
		l.stopWaiters = append(l.stopWaiters, c)
	}
	l.stopped()
	return betweenStopped
}

// park waits in a terminal state, for Hold. It reports true when a Start or
// Restart begins again (counters cleared), false when ctx ends Run.
func (l *loop) park(ctx context.Context) (again bool) {
	for {
		select {
		case <-ctx.Done():
			l.result = nil // with Hold, the end of ctx is the asked-for stop
			return false
		case <-l.sup.kills:
		case c := <-l.sup.cmds:
			switch c.kind {
			case cmdStop:
				if l.state != StateStopped {
					l.setState(StateStopped)
				}
				close(c.done)
			case cmdRestart, cmdStart:
				l.fails = 0
				l.restarts = nil
				l.startWaiters = append(l.startWaiters, c)
				return true
			}
		}
	}
}

// attempt is one spawned child and everything that watches it.
type attempt struct {
	number int         // 1 for the first attempt of a Run
	tree   *proc.Group // the child and its descendants, in their containment unit
	pid    int
	port   int
	start  time.Time
	pipes  *pipes    // the child's stdin, stdout and stderr
	tail   *tailRing // its last output lines

	exitCh      chan exitStatus    // the child was reaped
	goneCh      chan struct{}      // then, its whole tree is gone
	readers     chan struct{}      // one value per output reader that finished
	readyCh     chan error         // readiness result
	liveCh      chan error         // liveness gave up: unhealthy
	notify      *probe.Notify      // the notify socket, with a notify probe
	endProbes   context.CancelFunc // ends probeCtx
	wg          sync.WaitGroup     // every goroutine watching the attempt
	probeCtx    context.Context    // ends when the attempt's probes must stop
	watchCtx    context.Context    // ends when watch is done
	endTreeWait context.CancelFunc // ends the waiter's wait for the tree
	closers     []func()           // run once every watcher has returned
}

// goWatch runs f on a goroutine that the attempt's end waits for.
func (a *attempt) goWatch(f func()) {
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		f()
	}()
}

type exitStatus struct {
	code   int
	signal string
	at     time.Time
}

// spawn starts attempt l.attempt. The returned error is a *SpawnError or
// another start failure; nothing is left running when it is not nil.
func (l *loop) spawn(ctx context.Context) (*attempt, error) {
	spec := &l.spec
	if l.sup.beforeSpawn != nil {
		l.sup.beforeSpawn(spec)
	}
	path, err := resolveCommand(spec.Command, spec.Dir)
	if err != nil {
		return nil, err
	}
	port, err := attemptPort(spec.Port)
	if err != nil {
		return nil, err
	}
	args := make([]string, 0, 1+len(spec.Args))
	args = append(args, spec.Command)
	for _, a := range spec.Args {
		args = append(args, expand(a, port))
	}
	extraEnv := l.sidecarEnv(port)
	rp, err := l.prepareReady(port)
	if err != nil {
		return nil, err
	}
	if rp.notifyPath != "" {
		extraEnv = append(extraEnv, "NOTIFY_SOCKET="+rp.notifyPath)
	}
	p, err := openPipes()
	if err != nil {
		rp.close()
		return nil, err
	}
	g, err := l.launcher.Start(proc.Attr{
		Path: path, Args: args, Dir: spec.Dir, Env: environ(spec.Env, port, extraEnv...),
		Stdin: p.child[0], Stdout: p.child[1], Stderr: p.child[2],
		Containment: spec.Containment.procMode(),
		Limits:      proc.Limits{MemoryBytes: spec.MemoryMax, CPUPercent: spec.CPUMax, Pids: spec.PidsMax},
	})
	p.closeChild()
	if err != nil {
		p.closeAll()
		rp.close()
		return nil, classifyStartError(spec.Command, path, spec.Dir, err)
	}
	actx, cancel := context.WithCancel(context.Background())
	// The waiter's own context ends only when watch is done: the probes'
	// end (actx) must not cut short the wait for the tree to be gone.
	wctx, wcancel := context.WithCancel(context.Background())
	a := &attempt{
		number: l.attempt, tree: g, pid: g.Pid(), port: port, start: l.sup.now(), pipes: p,
		exitCh: make(chan exitStatus, 1), goneCh: make(chan struct{}, 1),
		readers: make(chan struct{}, 2), readyCh: make(chan error, 1), liveCh: make(chan error, 1),
		endProbes: cancel, probeCtx: actx, watchCtx: wctx, endTreeWait: wcancel, notify: rp.notify,
	}
	a.tail = &tailRing{}
	l.sup.pid.Store(int64(a.pid))
	l.sup.stdin.Store(p.stdinW)
	l.sup.group.Store(g)
	l.status.Pid, l.status.Port = a.pid, port
	l.emitStatus(Event{Kind: EventSpawned, Pid: a.pid, Attempt: a.number, Port: port, Containment: g.Mode()})
	l.reportWatcher(a)
	l.startWatchers(a, rp)
	return a, nil
}

// startWatchers starts what watches a spawned attempt: a reader for each
// output pipe, the waiter for its exit and then for its whole tree, and
// its readiness probe.
func (l *loop) startWatchers(a *attempt, rp *attemptReadiness) {
	p, g := a.pipes, a.tree
	spawnWatcher := a.goWatch
	var onLine func([]byte)
	if rp.logRe != nil {
		onLine = rp.matchLine(a.readyCh)
	}
	for _, r := range []struct {
		f    *os.File
		kind EventKind
	}{{p.stdoutR, EventStdout}, {p.stderrR, EventStderr}} {
		lr := &lineReader{r: r.f, kind: r.kind, pid: a.pid, attempt: a.number, q: l.events, onLine: onLine, tail: a.tail,
			reuse: l.sup.OnOutput != nil || l.sup.OnEvent == nil}
		spawnWatcher(func() {
			lr.run()
			a.readers <- struct{}{}
		})
	}
	waitTree := func() {
		st, _ := g.Wait()
		a.exitCh <- statusOf(st, l.sup.now())
		g.WaitGone(a.watchCtx)
		a.goneCh <- struct{}{}
	}
	// Where the system allows, nothing waits for the exit until it has
	// happened (a thousand idle sidecars, a thousand goroutines fewer).
	// The attempt's end waits for waitTree all the same: it cannot end
	// before the exit.
	a.wg.Add(1)
	waitRun := func() {
		defer a.wg.Done()
		waitTree()
	}
	if !g.OnExit(waitRun) {
		go waitRun()
	}
	a.closers = append(a.closers, rp.close)
	l.startReady(a.probeCtx, a, rp)
}

// reportWatcher follows the spawned event of an attempt that no watcher
// covers with an error event that says why and what would fix it: once per
// Run for each distinct cause.
func (l *loop) reportWatcher(a *attempt) {
	err := a.tree.WatcherErr()
	if err == nil || err.Error() == l.noWatcher {
		return
	}
	l.noWatcher = err.Error()
	l.emit(Event{Kind: EventError, Pid: a.pid, Attempt: a.number,
		Err: fmt.Errorf("tether: if this host is killed with SIGKILL, processes the sidecar started may survive it: %w", err)})
}

// attemptPort is the port of a new attempt for Spec.Port: a fresh free one
// for PortAuto, the fixed one when nothing listens there yet, or 0.
func attemptPort(specPort int) (int, error) {
	switch {
	case specPort == PortAuto:
		return pickPort()
	case specPort > 0:
		return specPort, checkPortFree(specPort)
	}
	return 0, nil
}

func statusOf(st *os.ProcessState, at time.Time) exitStatus {
	es := exitStatus{code: -1, at: at}
	if st == nil {
		return es
	}
	es.code = st.ExitCode()
	if ws, ok := st.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		es.signal = signame.Name(ws.Signal())
		es.code = -1
	}
	return es
}

// runAttempt spawns one attempt and watches it until its whole tree is gone
// and its output delivered. It handles requests that arrive meanwhile.
func (l *loop) runAttempt(ctx context.Context) outcome {
	l.attempt++
	l.status.Attempt = l.attempt
	l.setState(StateStarting)
	a, err := l.spawn(ctx)
	for _, c := range l.startWaiters {
		close(c.done)
	}
	l.startWaiters = nil
	if err != nil {
		l.emit(Event{Kind: EventError, Attempt: l.attempt, Err: err})
		return outcome{reason: endSpawn, err: err, tail: []string{}}
	}
	return l.watch(ctx, a)
}

// watch is the attempt's select loop: one named event per case, until the
// whole tree is gone and its output read.
func (l *loop) watch(ctx context.Context, a *attempt) outcome {
	w := l.newWatch(a)
	defer w.readyLimit.Stop()
	ctxDone := ctx.Done()
	for !w.finished() {
		select {
		case st := <-a.exitCh:
			l.onExit(w, st)
		case <-a.goneCh:
			l.onGone(w)
		case <-a.readers:
			w.readersOut--
		case <-w.drain:
			// Something outside the tree holds the pipes open.
			proc.InterruptRead(a.pipes.stdoutR)
			proc.InterruptRead(a.pipes.stderrR)
		case <-w.stop.Deadline():
			if w.stop.Expire() {
				l.onGone(w) // the tree outlived the kill: give up on it
			}
		case err := <-w.stop.Requested():
			w.stop.RequestDone(err)
		case <-l.sup.kills:
			l.beginStop(w, endStop, nil)
			w.stop.Kill()
		case <-ctxDone:
			ctxDone = nil
			l.beginStop(w, endStop, nil)
		case c := <-l.sup.cmds:
			l.onCommand(w, c)
		case err := <-a.readyCh:
			l.onReady(w, err)
		case <-w.readyLimit.C:
			l.onReady(w, fmt.Errorf("%s not ready after %v", l.spec.Ready, l.spec.ReadyTimeout))
		case err := <-a.liveCh:
			l.onUnhealthy(w, err, l.spec.LiveFailures)
		case <-w.pings:
			w.watchdog.Stop()
			w.watchdog = l.sup.clock().NewTimer(l.spec.Watchdog)
		case <-timerC(w.watchdog):
			w.stopWatchdog()
			l.onUnhealthy(w, fmt.Errorf("watchdog: no WATCHDOG=1 for %v", l.spec.Watchdog), 1)
		}
	}
	return l.endAttempt(w)
}

// attemptWatch is what watch knows about its attempt.
type attemptWatch struct {
	attempt    *attempt
	outcome    outcome
	stop       *stopSeq
	exit       exitStatus // once exited
	exited     bool       // the child was reaped
	gone       bool       // its whole tree is gone (or given up on)
	readersOut int        // output readers still reading
	expected   bool       // tether stopped the tree before the child exited by itself
	ready      bool
	readyAt    time.Time
	readyLimit *time.Timer      // the deadline of a pushed readiness
	drain      <-chan time.Time // the end of reading pipes held outside the tree
	watchdog   clockTimer       // once ready, with a watchdog: WATCHDOG=1 is due
	pings      <-chan struct{}  // WATCHDOG=1 arrived, while the watchdog runs
}

func (w *attemptWatch) stopWatchdog() {
	if w.watchdog != nil {
		w.watchdog.Stop()
	}
	w.watchdog, w.pings = nil, nil
}

// timerC is t's channel, or nil for no timer.
func timerC(t clockTimer) <-chan time.Time {
	if t == nil {
		return nil
	}
	return t.C()
}

func (l *loop) newWatch(a *attempt) *attemptWatch {
	w := &attemptWatch{attempt: a, outcome: outcome{reason: endExit}, readersOut: 2,
		readyLimit: time.NewTimer(l.spec.ReadyTimeout)}
	if !l.pushReady() {
		w.readyLimit.Stop() // polled probes end at the deadline themselves
	}
	w.stop = &stopSeq{
		target: attemptStop{loop: l, attempt: a}, clock: l.sup.clock(),
		withReq: l.stopReq.kind != stopReqNone, stopSignal: l.spec.StopSignal, grace: l.spec.Grace,
		report: func(err error) { l.emit(Event{Kind: EventError, Pid: a.pid, Attempt: a.number, Err: err}) },
	}
	return w
}

func (w *attemptWatch) finished() bool { return w.exited && w.gone && w.readersOut == 0 }

// beginStop stops the tree (see stopSeq), recording why: the strongest
// reason of those that came wins.
func (l *loop) beginStop(w *attemptWatch, why endReason, err error) {
	if !w.exited {
		w.expected = true
	}
	if why.rank() > w.outcome.reason.rank() {
		w.outcome.reason, w.outcome.err = why, err
	}
	if w.stop.Begun() {
		return
	}
	w.attempt.endProbes() // probes end
	w.stopWatchdog()
	l.setState(StateStopping)
	w.stop.Begin(!w.exited)
}

// onExit: the child was reaped.
func (l *loop) onExit(w *attemptWatch, st exitStatus) {
	w.exit, w.exited = st, true
	l.sup.stdin.Store(nil)
	w.attempt.pipes.stdinW.Close()
	w.attempt.endProbes()
	if !w.stop.Begun() && w.attempt.tree.Alive() {
		// The child is gone but its tree is not: stop the rest, as
		// systemd does with a control group.
		l.beginStop(w, endExit, nil)
	}
}

// onGone: the whole tree is gone, or was given up on.
func (l *loop) onGone(w *attemptWatch) {
	if w.gone {
		return
	}
	w.gone = true
	l.sup.group.Store(nil)
	w.stop.Gone()
	if w.readersOut > 0 {
		w.drain = time.After(l.spec.DrainTimeout)
	}
}

func (l *loop) onCommand(w *attemptWatch, c command) {
	switch c.kind {
	case cmdStop:
		l.stopWaiters = append(l.stopWaiters, c)
		l.beginStop(w, endStop, nil)
	case cmdRestart:
		l.startWaiters = append(l.startWaiters, c)
		l.beginStop(w, endRestart, nil)
	case cmdStart:
		close(c.done)
	}
}

// onReady takes the readiness result: nil is ready, an error not ready.
func (l *loop) onReady(w *attemptWatch, err error) {
	a := w.attempt
	if w.ready || w.stop.Begun() || w.exited {
		return
	}
	if err != nil {
		err = fmt.Errorf("%w: %w", ErrNotReady, err)
		l.emit(Event{Kind: EventError, Pid: a.pid, Attempt: a.number, Err: err})
		l.beginStop(w, endNotReady, err)
		return
	}
	w.ready, w.readyAt = true, l.sup.now()
	l.status.Ready = true
	w.readyLimit.Stop()
	l.setStateAfter(Event{Kind: EventReady, Pid: a.pid, Attempt: a.number, After: w.readyAt.Sub(a.start)}, StateRunning)
	l.startLive(a)
	if l.spec.Watchdog > 0 && a.notify != nil {
		w.watchdog = l.sup.clock().NewTimer(l.spec.Watchdog)
		w.pings = a.notify.Watchdog()
	}
}

// onUnhealthy: liveness failed failures times in a row, or the watchdog
// was not fed.
func (l *loop) onUnhealthy(w *attemptWatch, err error, failures int) {
	if w.stop.Begun() || w.exited {
		return
	}
	a := w.attempt
	l.status.Ready = false
	l.emitStatus(Event{Kind: EventUnhealthy, Pid: a.pid, Attempt: a.number, Failures: failures, Err: err})
	l.beginStop(w, endUnhealthy, fmt.Errorf("%w: %w", ErrUnhealthy, err))
}

// endAttempt releases what the attempt held and reports its end.
func (l *loop) endAttempt(w *attemptWatch) outcome {
	a, st := w.attempt, w.exit
	a.endProbes()
	a.endTreeWait()
	a.wg.Wait()
	for _, c := range a.closers {
		c()
	}
	a.pipes.closeAll()
	oom := a.tree.OOMKilled()
	a.tree.Release()
	l.sup.pid.Store(0)
	o := w.outcome
	o.code, o.signal = st.code, st.signal
	if w.ready {
		o.readyFor = st.at.Sub(w.readyAt)
	}
	o.tail = a.tail.strings()
	var tail []string
	if !w.expected {
		tail = o.tail
	}
	l.status.Pid, l.status.Port, l.status.Ready = 0, 0, false
	l.emitStatus(Event{Kind: EventExited, Pid: a.pid, Attempt: a.number, Code: st.code, Signal: st.signal,
		Uptime: st.at.Sub(a.start), Expected: w.expected, Tail: tail, OOM: oom})
	return o
}
