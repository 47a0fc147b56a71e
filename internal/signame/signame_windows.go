package signame

import (
	"strings"
	"syscall"
)

var winSignals = map[string]syscall.Signal{
	"HUP": syscall.SIGHUP, "INT": syscall.SIGINT, "QUIT": syscall.SIGQUIT,
	"KILL": syscall.SIGKILL, "TERM": syscall.SIGTERM,
}

func name(s syscall.Signal) string {
	for n, v := range winSignals {
		if v == s {
			return n
		}
	}
	return s.String()
}

// Number returns the number of the signal named name ("TERM" or "SIGTERM").
func Number(name string) (int, bool) {
	s, ok := winSignals[strings.TrimPrefix(strings.ToUpper(name), "SIG")]
	return int(s), ok
}
