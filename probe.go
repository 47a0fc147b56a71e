package tether

import (
	"context"
	"fmt"
	"regexp"
	"strings"
)

// A Probe tells whether a sidecar is ready (Spec.Ready) or still alive
// (Spec.Live). The zero Probe means no probe. Build one with ParseProbe or
// one of the constructors; a Probe is an immutable value.
type Probe struct {
	kind   probeKind
	target string         // URL or host:port; may hold "{port}"
	argv   []string       // exec
	re     *regexp.Regexp // log
	fn     func(ctx context.Context) error
	text   string // as given, for String
}

type probeKind int

const (
	probeNone probeKind = iota
	probeHTTP
	probeTCP
	probeExec
	probeLog
	probeNotify
	probeFunc
)

// HTTPProbe is healthy when a GET of url answers 2xx or 3xx within the
// probe's timeout. Redirects are not followed. url may use http or https and
// may hold "{port}".
func HTTPProbe(url string) Probe { return Probe{kind: probeHTTP, target: url, text: url} }

// TCPProbe is healthy when a TCP connection to addr ("host:port", which may
// hold "{port}") succeeds.
func TCPProbe(addr string) Probe { return Probe{kind: probeTCP, target: addr, text: "tcp://" + addr} }

// ExecProbe is healthy when the program exits 0. It runs without a shell, in
// a process group of its own that is killed when the probe times out; its
// output is captured and its tail quoted in the error when it fails. "{port}"
// in args is replaced.
func ExecProbe(name string, args ...string) Probe {
	argv := append([]string{name}, args...)
	return Probe{kind: probeExec, argv: argv, text: "exec:" + strings.Join(argv, " ")}
}

// LogProbe (readiness only) is healthy once a line the attempt prints on
// stdout or stderr matches re. Lines of earlier attempts never count.
func LogProbe(re *regexp.Regexp) Probe {
	return Probe{kind: probeLog, re: re, text: "log:" + re.String()}
}

// NotifyProbe (readiness only) is healthy once the sidecar sends READY=1 to
// the socket named in its $NOTIFY_SOCKET, as systemd's sd_notify does: a
// unix datagram socket, or on Windows a named pipe
// (\\.\pipe\tether-notify-...) that the sidecar opens for writing, writes
// one message to, and closes, once per message. The same socket takes
// WATCHDOG=1 (see Spec.Watchdog).
func NotifyProbe() Probe { return Probe{kind: probeNotify, text: "notify"} }

// FuncProbe is healthy when f returns nil. f must return when ctx is done.
func FuncProbe(f func(ctx context.Context) error) Probe {
	return Probe{kind: probeFunc, fn: f, text: "func"}
}

// String returns the probe in the form ParseProbe reads.
func (p Probe) String() string { return p.text }

// IsZero reports whether p is the zero Probe (no probe).
func (p Probe) IsZero() bool { return p.kind == probeNone }

// push reports whether the probe waits for the sidecar to announce
// readiness instead of polling it.
func (p Probe) push() bool { return p.kind == probeLog || p.kind == probeNotify }

func (p Probe) validate(field string, readiness bool) error {
	switch p.kind {
	case probeNone:
		return nil
	case probeLog, probeNotify:
		if !readiness {
			return &FieldError{Field: field, Value: p.text, Allow: "log: and notify probes are for readiness only"}
		}
		if p.kind == probeLog && p.re == nil {
			return &FieldError{Field: field, Value: p.text, Allow: "a log probe needs a regular expression"}
		}
	case probeFunc:
		if p.fn == nil {
			return &FieldError{Field: field, Value: p.text, Allow: "a func probe needs a function"}
		}
	case probeExec:
		if len(p.argv) == 0 || p.argv[0] == "" {
			return &FieldError{Field: field, Value: p.text, Allow: "an exec probe needs a command"}
		}
	case probeHTTP, probeTCP:
		if _, err := ParseProbe(p.text); err != nil {
			// ParseProbe's message names the probe already; keep its reason.
			msg := err.Error()
			if i := strings.Index(msg, "\": "); i >= 0 {
				msg = msg[i+3:]
			}
			return &FieldError{Field: field, Value: fmt.Sprintf("%q", p.text), Allow: msg}
		}
	}
	return nil
}
