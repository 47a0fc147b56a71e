//go:build unix

package tether

import (
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// signalName returns "TERM" for SIGTERM.
func signalName(s syscall.Signal) string {
	return strings.TrimPrefix(unix.SignalName(s), "SIG")
}

// signalNumber returns 15 for "TERM" (or "SIGTERM").
func signalNumber(name string) (int, bool) {
	s := unix.SignalNum("SIG" + strings.TrimPrefix(strings.ToUpper(name), "SIG"))
	return int(s), s != 0
}
