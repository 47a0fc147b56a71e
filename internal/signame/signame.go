// Package signame names signals as tether's command line and events write
// them: "TERM" for SIGTERM, on unix and on Windows alike.
package signame

import (
	"fmt"
	"os"
	"strings"
	"syscall"
)

// Parse parses a signal name as the command line gives it: "TERM",
// "SIGTERM", "term" or a number such as "15".
func Parse(s string) (os.Signal, error) {
	name := strings.ToUpper(strings.TrimSpace(s))
	var n int
	if _, err := fmt.Sscanf(name, "%d", &n); err == nil && fmt.Sprint(n) == name {
		if n <= 0 || n > 64 {
			return nil, fmt.Errorf("tether: signal %q: want a name such as TERM, INT, HUP, KILL, or a number from 1 to 64", s)
		}
		return syscall.Signal(n), nil
	}
	if n, ok := Number(name); ok {
		return syscall.Signal(n), nil
	}
	return nil, fmt.Errorf("tether: signal %q: want a name such as TERM, INT, HUP, KILL, or a number", s)
}

// Name returns the short name of sig ("TERM" for SIGTERM).
func Name(sig os.Signal) string {
	if s, ok := sig.(syscall.Signal); ok {
		return name(s)
	}
	return sig.String()
}
