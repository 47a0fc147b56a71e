package tether

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"tether.dev/tether/internal/probe"
)

// probeForms lists what ParseProbe reads, for its errors.
const probeForms = "http://HOST:PORT/PATH, https://..., tcp://HOST:PORT, exec:COMMAND ARGS, log:REGEX or notify"

// ParseProbe parses a probe in the command line's form:
//
//	http://HOST:PORT/PATH    healthy on a 2xx or 3xx answer to a GET (also https://)
//	tcp://HOST:PORT          healthy when a TCP connect succeeds
//	exec:COMMAND ARGS        healthy when the command exits 0
//	log:REGEX                (readiness only) ready once an output line matches
//	notify                   (readiness only) ready once READY=1 arrives on $NOTIFY_SOCKET
//
// The port must be given, as a number or as "{port}", which is replaced by
// the attempt's port (Spec.Port); "{port}" may also appear in exec
// arguments. In a Group, "{NAME.port}" stands for the port of member NAME
// wherever "{port}" may be. The words of an exec probe are split as a POSIX shell splits
// them, with quotes and backslashes, but nothing is expanded ($VAR, globs
// and ~ stay as written) and no shell runs: an unquoted | & ; < > ( ) or a
// word starting with # is an error. The scheme of http, https and tcp may be
// in any case.
//
// The result is the Probe the matching constructor builds, with String
// returning s. The empty string is the zero Probe (no probe). An error is
// one line that names s and what is allowed.
func ParseProbe(s string) (Probe, error) {
	bad := func(format string, args ...any) (Probe, error) {
		return Probe{}, fmt.Errorf("tether: probe %q: "+format, append([]any{s}, args...)...)
	}
	hasScheme := func(scheme string) bool {
		return len(s) >= len(scheme) && strings.EqualFold(s[:len(scheme)], scheme)
	}
	switch {
	case s == "":
		return Probe{}, nil
	case strings.ContainsRune(s, 0):
		return bad("contains a NUL byte")
	case s == "notify":
		return Probe{kind: probeNotify, text: s}, nil
	case strings.HasPrefix(s, "notify:"), strings.HasPrefix(s, "notify "):
		return bad("notify takes no argument; want notify")
	case s == "func":
		return bad("a function probe cannot be written as text; use FuncProbe")
	case strings.HasPrefix(s, "exec:"):
		argv, err := probe.SplitWords(s[len("exec:"):])
		if se := (*probe.SyntaxError)(nil); errors.As(err, &se) {
			return bad("%s at byte %d of the command; want exec:COMMAND ARGS", se.Msg, se.Offset)
		} else if err != nil {
			return bad("%v; want exec:COMMAND ARGS", err)
		}
		if len(argv) == 0 || argv[0] == "" {
			return bad("no command; want exec:COMMAND ARGS")
		}
		return Probe{kind: probeExec, argv: argv, text: s}, nil
	case strings.HasPrefix(s, "log:"):
		expr := s[len("log:"):]
		if expr == "" {
			return bad("no regular expression; want log:REGEX")
		}
		re, err := regexp.Compile(expr)
		if err != nil {
			return bad("bad regular expression: %v; want log:REGEX (Go RE2 syntax)", err)
		}
		return Probe{kind: probeLog, re: re, text: s}, nil
	case hasScheme("http://"), hasScheme("https://"):
		want := "http://HOST:PORT/PATH"
		if hasScheme("https://") {
			want = "https://HOST:PORT/PATH"
		}
		u, err := url.Parse(placeholdersAsPort(s))
		if ue := (*url.Error)(nil); errors.As(err, &ue) {
			return bad("bad URL: %v; want %s", ue.Err, want)
		} else if err != nil {
			return bad("bad URL: %v; want %s", err, want)
		}
		if u.Hostname() == "" {
			return bad("missing host; want %s", want)
		}
		if err := checkPort(u.Port()); err != "" {
			return bad("%s; want %s", err, want)
		}
		return Probe{kind: probeHTTP, target: s, text: s}, nil
	case hasScheme("tcp://"):
		addr := s[len("tcp://"):]
		host, port, err := net.SplitHostPort(placeholdersAsPort(addr))
		if ae := (*net.AddrError)(nil); errors.As(err, &ae) {
			return bad("%s; want tcp://HOST:PORT", ae.Err)
		} else if err != nil {
			return bad("%v; want tcp://HOST:PORT", err)
		}
		if host == "" {
			return bad("missing host; want tcp://HOST:PORT")
		}
		if err := checkPort(port); err != "" {
			return bad("%s; want tcp://HOST:PORT", err)
		}
		return Probe{kind: probeTCP, target: addr, text: s}, nil
	}
	return bad("unknown form; want %s", probeForms)
}

// placeholdersAsPort returns s with "{port}" and each "{NAME.port}" (the
// port of another member of a Group) replaced by 1, to check the rest.
func placeholdersAsPort(s string) string {
	return memberPort.ReplaceAllString(strings.ReplaceAll(s, "{port}", "1"), "1")
}

// checkPort says what is wrong with the port of a probe's address once
// "{port}" has been replaced by 1, or returns "".
func checkPort(port string) string {
	if port == "" {
		return "missing port"
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 || port[0] == '+' {
		return fmt.Sprintf("port %q is not a number from 1 to 65535 or {port}", port)
	}
	return ""
}
