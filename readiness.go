package tether

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"tether.dev/tether/internal/probe"
)

// attemptReadiness is what an attempt's probes need before the child starts: the
// notify socket its environment names, or the log pattern its output readers
// test, and the probe targets with {port} filled in.
type attemptReadiness struct {
	port       int
	notify     *probe.Notify
	notifyPath string
	logRe      interface{ Match([]byte) bool }
	closers    []func()
}

func (rp *attemptReadiness) close() {
	for _, c := range rp.closers {
		c()
	}
	rp.closers = nil
}

// matchLine returns the output readers' hook for a log probe: the first
// matching line of this attempt reports ready, once. Lines of earlier
// attempts never reach it: each attempt has its own readers.
func (rp *attemptReadiness) matchLine(ready chan<- error) func([]byte) {
	var done atomic.Bool
	return func(line []byte) {
		if done.Load() || !rp.logRe.Match(line) {
			return
		}
		if done.CompareAndSwap(false, true) {
			ready <- nil // buffered, and the only send
		}
	}
}

func (l *loop) prepareReady(port int) (*attemptReadiness, error) {
	rp := &attemptReadiness{port: port}
	switch l.spec.Ready.kind {
	case probeLog:
		rp.logRe = l.spec.Ready.re
	case probeNotify:
		n, err := probe.ListenNotify()
		if err != nil {
			return nil, fmt.Errorf("tether: notify socket: %w", err)
		}
		rp.notify, rp.notifyPath = n, n.Path()
		rp.closers = append(rp.closers, func() { n.Close() })
	}
	return rp, nil
}

// checker returns p as a function that checks once, for an attempt on port.
// Its resources are released by the returned close function.
func (l *loop) checker(p Probe, port int) (check func(context.Context) error, close func()) {
	close = func() {}
	switch p.kind {
	case probeHTTP:
		h := probe.NewHTTP(expand(p.target, port))
		return h.Check, h.Close
	case probeTCP:
		addr := expand(p.target, port)
		return func(ctx context.Context) error { return probe.TCP(ctx, addr) }, close
	case probeExec:
		argv := make([]string, len(p.argv))
		for i, a := range p.argv {
			argv[i] = expand(a, port)
		}
		env := environ(l.spec.Env, port)
		dir := l.spec.Dir // run where the sidecar runs: relative paths agree
		return func(ctx context.Context) error { return probe.Exec(ctx, argv, env, dir) }, close
	case probeFunc:
		return p.fn, close
	}
	return func(context.Context) error { return nil }, close
}

// pushReady reports whether readiness waits for the sidecar to announce
// itself (so the attempt's ready deadline is a timer in watch) rather than
// being polled (so the poll itself ends at the deadline, with its last error).
func (l *loop) pushReady() bool { return l.spec.Ready.push() }

// startReady starts what reports the attempt's readiness on a.readyCh. ctx
// ends when the attempt exits or is being stopped.
func (l *loop) startReady(ctx context.Context, a *attempt, rp *attemptReadiness) {
	switch l.spec.Ready.kind {
	case probeNone:
		a.readyCh <- nil
	case probeLog:
		// The output readers report it (matchLine).
	case probeNotify:
		a.goWatch(func() {
			select {
			case <-rp.notify.Ready():
				a.readyCh <- nil
			case <-ctx.Done():
			}
		})
	default:
		check, closeCheck := l.checker(l.spec.Ready, a.port)
		a.goWatch(func() {
			defer closeCheck()
			pctx, cancel := context.WithTimeout(ctx, l.spec.ReadyTimeout)
			defer cancel()
			err := probe.PollEvery(pctx, check, min(l.spec.LiveTimeout, l.spec.ReadyTimeout), l.spec.ReadyInterval)
			if err != nil && ctx.Err() != nil {
				return // the attempt ended first: nothing to report
			}
			if err != nil {
				err = fmt.Errorf("%s not ready after %v: %w", l.spec.Ready, l.spec.ReadyTimeout, err)
			}
			a.readyCh <- err
		})
	}
}

// startLive starts the liveness loop of a ready attempt: a check every
// LiveInterval, each bounded by LiveTimeout, one at a time; LiveFailures
// failures in a row report unhealthy on a.liveCh. Each failure is an error
// event too, so a host sees why before the attempt is stopped.
func (l *loop) startLive(a *attempt) {
	if l.spec.Live.IsZero() {
		return
	}
	check, closeCheck := l.checker(l.spec.Live, a.port)
	a.goWatch(func() {
		defer closeCheck()
		t := time.NewTimer(l.spec.LiveInterval)
		defer t.Stop()
		failures := 0
		for {
			select {
			case <-a.probeCtx.Done():
				return
			case <-t.C:
			}
			cctx, cancel := context.WithTimeout(a.probeCtx, l.spec.LiveTimeout)
			err := check(cctx)
			if err != nil && cctx.Err() == context.DeadlineExceeded && a.probeCtx.Err() == nil && !errors.Is(err, context.DeadlineExceeded) {
				// A FuncProbe that returned something else once its
				// time was up: say that it timed out.
				err = fmt.Errorf("timed out after %v: %w", l.spec.LiveTimeout, err)
			}
			cancel()
			if a.probeCtx.Err() != nil {
				return
			}
			if err == nil {
				failures = 0
			} else {
				failures++
				err = fmt.Errorf("liveness %s failed (%d of %d): %w", l.spec.Live, failures, l.spec.LiveFailures, err)
				if failures >= l.spec.LiveFailures {
					a.liveCh <- err // buffered, and the only send
					return
				}
				l.emit(Event{Kind: EventError, Pid: a.pid, Attempt: a.number, Err: err})
			}
			t.Reset(l.spec.LiveInterval)
		}
	})
}
