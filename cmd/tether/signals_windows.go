package main

import (
	"os"
	"syscall"
)

// stopSignals are the signals that stop tether in order. Go delivers
// CTRL_C_EVENT and CTRL_BREAK_EVENT as os.Interrupt, and CTRL_CLOSE_EVENT,
// CTRL_LOGOFF_EVENT and CTRL_SHUTDOWN_EVENT as SIGTERM.
func stopSignals() []os.Signal { return []os.Signal{os.Interrupt, syscall.SIGTERM} }

// isInterrupt reports whether sig is the one whose second arrival kills at
// once (Ctrl-C or Ctrl-Break).
func isInterrupt(sig os.Signal) bool { return sig == os.Interrupt }

// catchSIGPIPE does nothing: Windows has no SIGPIPE; a write to a closed
// pipe fails with an error.
func catchSIGPIPE() func() { return func() {} }
