//go:build unix

package main

import (
	"os"
	"os/signal"
	"syscall"
)

// stopSignals are the signals that stop tether in order: TERM, INT, HUP.
func stopSignals() []os.Signal {
	return []os.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP}
}

// isInterrupt reports whether sig is the one whose second arrival kills at
// once (SIGINT, as a second Ctrl-C).
func isInterrupt(sig os.Signal) bool { return sig == syscall.SIGINT }

// catchSIGPIPE makes a write to a closed stdout fail with EPIPE instead of
// killing tether (which would leave no one to stop the sidecars). The
// signal is caught, not ignored: an ignored signal would stay ignored in
// the sidecars tether starts. It returns the undo.
func catchSIGPIPE() func() {
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGPIPE)
	return func() { signal.Stop(c) }
}
