//go:build unix

package signame

import (
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// name returns "TERM" for SIGTERM.
func name(s syscall.Signal) string {
	return strings.TrimPrefix(unix.SignalName(s), "SIG")
}

// Number returns 15 for "TERM" (or "SIGTERM").
func Number(name string) (int, bool) {
	s := unix.SignalNum("SIG" + strings.TrimPrefix(strings.ToUpper(name), "SIG"))
	return int(s), s != 0
}
