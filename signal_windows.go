package tether

import (
	"strings"
	"syscall"
)

var winSignals = map[string]syscall.Signal{
	"HUP": syscall.SIGHUP, "INT": syscall.SIGINT, "QUIT": syscall.SIGQUIT,
	"KILL": syscall.SIGKILL, "TERM": syscall.SIGTERM,
}

func signalName(s syscall.Signal) string {
	for n, v := range winSignals {
		if v == s {
			return n
		}
	}
	return s.String()
}

func signalNumber(name string) (int, bool) {
	s, ok := winSignals[strings.TrimPrefix(strings.ToUpper(name), "SIG")]
	return int(s), ok
}
