//go:build !unix && !windows

package main

import "os"

// stopSignals are the signals that stop tether in order.
func stopSignals() []os.Signal { return []os.Signal{os.Interrupt} }

// isInterrupt reports whether sig is the one whose second arrival kills at
// once.
func isInterrupt(sig os.Signal) bool { return sig == os.Interrupt }

// catchSIGPIPE does nothing here.
func catchSIGPIPE() func() { return func() {} }
