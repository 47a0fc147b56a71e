package tether

import (
	"context"
	"sync/atomic"
)

// readyPrep is what an attempt's readiness needs before the child starts:
// the notify socket its environment names, or the log pattern its output
// readers test.
type readyPrep struct {
	probe      Probe
	port       int
	notifyPath string
	logRe      interface{ Match([]byte) bool }
	closers    []func()
}

func (rp *readyPrep) close() {
	for _, c := range rp.closers {
		c()
	}
	rp.closers = nil
}

// matchLine returns the output readers' hook for a log probe: the first
// matching line of this attempt reports ready once.
func (rp *readyPrep) matchLine(ready chan<- error) func([]byte) {
	var done atomic.Bool
	return func(line []byte) {
		if done.Load() || !rp.logRe.Match(line) {
			return
		}
		if done.CompareAndSwap(false, true) {
			ready <- nil // buffered: the only send
		}
	}
}

func (l *loop) prepareReady(port int) (*readyPrep, error) {
	rp := &readyPrep{probe: l.spec.Ready, port: port}
	switch l.spec.Ready.kind {
	case probeLog:
		rp.logRe = l.spec.Ready.re
	}
	return rp, nil
}

// startReady starts what reports the attempt's readiness on a.readyCh.
func (l *loop) startReady(ctx context.Context, a *attempt, rp *readyPrep) {
	switch rp.probe.kind {
	case probeNone:
		a.readyCh <- nil
	}
}

// startLive starts the liveness loop of a ready attempt.
func (l *loop) startLive(a *attempt) {}
