package tether

import (
	"fmt"
	"os"
	"strings"
	"syscall"
)

// ParseSignal parses a signal name as the command line gives it: "TERM",
// "SIGTERM", "term" or a number such as "15".
func ParseSignal(s string) (os.Signal, error) {
	name := strings.ToUpper(strings.TrimSpace(s))
	var n int
	if _, err := fmt.Sscanf(name, "%d", &n); err == nil && fmt.Sprint(n) == name {
		if n <= 0 || n > 64 {
			return nil, fmt.Errorf("tether: signal %q: want a name such as TERM, INT, HUP, KILL, or a number from 1 to 64", s)
		}
		return syscall.Signal(n), nil
	}
	if n, ok := signalNumber(name); ok {
		return syscall.Signal(n), nil
	}
	return nil, fmt.Errorf("tether: signal %q: want a name such as TERM, INT, HUP, KILL, or a number", s)
}

// SignalName returns the short name of sig ("TERM" for SIGTERM).
func SignalName(sig os.Signal) string {
	if s, ok := sig.(syscall.Signal); ok {
		return signalName(s)
	}
	return sig.String()
}
