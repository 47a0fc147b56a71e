package tether

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"

	"tether.dev/tether/internal/probe"
)

// stopRequestForms lists the forms of Spec.StopRequest, for errors.
const stopRequestForms = "stdin-close, stdin:TEXT, http://HOST:PORT/PATH, https://... or exec:COMMAND ARGS"

// stopRequestKind says how a stop is asked for.
type stopRequestKind int

const (
	stopReqNone       stopRequestKind = iota
	stopReqStdinClose                 // close the sidecar's stdin
	stopReqStdinText                  // write a line to its stdin
	stopReqHTTP                       // POST to a URL
	stopReqExec                       // run a command
)

// stopRequest is a parsed Spec.StopRequest.
type stopRequest struct {
	kind stopRequestKind
	text string   // the line (stdin:) or the URL (http)
	argv []string // exec
}

// parseStopRequest parses a stop request in the form of --stop-request.
// The error says what is wrong and what is allowed.
func parseStopRequest(s string) (stopRequest, error) {
	hasScheme := func(scheme string) bool {
		return len(s) >= len(scheme) && strings.EqualFold(s[:len(scheme)], scheme)
	}
	switch {
	case s == "":
		return stopRequest{}, nil
	case strings.ContainsRune(s, 0):
		return stopRequest{}, errors.New("contains a NUL byte")
	case s == "stdin-close":
		return stopRequest{kind: stopReqStdinClose}, nil
	case strings.HasPrefix(s, "stdin:"):
		text := s[len("stdin:"):]
		if strings.ContainsAny(text, "\r\n") {
			return stopRequest{}, errors.New("stdin:TEXT must be one line (tether adds the newline)")
		}
		return stopRequest{kind: stopReqStdinText, text: text}, nil
	case strings.HasPrefix(s, "exec:"):
		argv, err := probe.SplitWords(s[len("exec:"):])
		if se := (*probe.SyntaxError)(nil); errors.As(err, &se) {
			return stopRequest{}, fmt.Errorf("%s at byte %d of the command; want exec:COMMAND ARGS", se.Msg, se.Offset)
		} else if err != nil {
			return stopRequest{}, fmt.Errorf("%w; want exec:COMMAND ARGS", err)
		}
		if len(argv) == 0 || argv[0] == "" {
			return stopRequest{}, errors.New("no command; want exec:COMMAND ARGS")
		}
		return stopRequest{kind: stopReqExec, argv: argv}, nil
	case hasScheme("http://"), hasScheme("https://"):
		u, err := url.Parse(strings.ReplaceAll(s, "{port}", "1"))
		if err != nil {
			return stopRequest{}, fmt.Errorf("bad URL: %w", errors.Unwrap(err))
		}
		if u.Hostname() == "" {
			return stopRequest{}, errors.New("missing host; want http://HOST:PORT/PATH")
		}
		if msg := checkPort(u.Port()); msg != "" {
			return stopRequest{}, fmt.Errorf("%s; want http://HOST:PORT/PATH", msg)
		}
		return stopRequest{kind: stopReqHTTP, text: s}, nil
	}
	return stopRequest{}, fmt.Errorf("unknown form; want %s", stopRequestForms)
}

// attemptStop is the stopTarget of one attempt: its tree, its stdin, its
// port for the request.
type attemptStop struct {
	loop    *loop
	attempt *attempt
}

func (t attemptStop) signal(sig os.Signal) error { return t.attempt.tree.Signal(sig) }
func (t attemptStop) kill() error                { return t.attempt.tree.Kill() }

// request makes the configured stop request. What can block (a write to a
// full pipe, a POST, a command) runs on a goroutine the attempt's end waits
// for, bounded by grace.
func (t attemptStop) request() <-chan error {
	done := make(chan error, 1)
	l, a := t.loop, t.attempt
	req := l.stopReq
	switch req.kind {
	case stopReqStdinClose:
		l.sup.stdin.Store(nil)
		done <- a.pipes.stdinW.Close()
	case stopReqStdinText:
		a.goWatch(func() {
			_, err := a.pipes.stdinW.Write([]byte(req.text + "\n"))
			done <- err
		})
	case stopReqHTTP:
		post := probe.NewPost(expand(req.text, a.port))
		a.goWatch(func() {
			defer post.Close()
			ctx, cancel := context.WithTimeout(a.watchCtx, l.spec.Grace)
			defer cancel()
			done <- post.Check(ctx)
		})
	case stopReqExec:
		argv := make([]string, len(req.argv))
		for i, w := range req.argv {
			argv[i] = expand(w, a.port)
		}
		env := environ(l.spec.Env, a.port, l.sidecarEnv(a.port)...)
		a.goWatch(func() {
			ctx, cancel := context.WithTimeout(a.watchCtx, l.spec.Grace)
			defer cancel()
			done <- probe.Exec(ctx, argv, env, l.spec.Dir)
		})
	default:
		done <- nil
	}
	return done
}
