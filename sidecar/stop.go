package sidecar

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// ErrStop is matched (errors.Is) by context.Cause of a context that
// StopContext ended; the error's text says what asked for the stop.
var ErrStop = errors.New("sidecar: stop requested")

// maxStdinLine bounds one line read from stdin for a stdin:TEXT stop
// request; longer lines are skipped.
const maxStdinLine = 64 << 10

// StopContext returns a copy of parent that ends, once, when the sidecar
// should stop:
//
//   - SIGTERM or SIGINT (on Windows: CTRL_BREAK, Ctrl-C, and the close,
//     logoff and shutdown events, which Go reports as os.Interrupt and
//     SIGTERM);
//   - with StopRequest "stdin-close": the end of stdin;
//   - with StopRequest "stdin:TEXT": a stdin line that is TEXT (a trailing
//     \r is ignored), or the end of stdin;
//   - tether's death (TetherPID): on unix the parent pid changes (or, when
//     tether is not the direct parent, its pid is gone); on Windows a wait
//     on tether's process handle ends.
//
// context.Cause of the ended context matches ErrStop and says which. Once it
// has ended, a second SIGTERM or SIGINT has its default effect. With a
// stdin stop request StopContext reads stdin itself: the program must not.
// Call stop to release the signal handlers and watchers; the stdin reader
// returns at the end of stdin.
func (e Env) StopContext(parent context.Context) (ctx context.Context, stop context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(parent)
	fire := func(why string) { cancel(fmt.Errorf("%w: %s", ErrStop, why)) }

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		select {
		case s := <-sigs:
			// From now on a second signal does what it would without us
			// (Ctrl-C twice kills a stuck shutdown).
			signal.Stop(sigs)
			fire("signal " + signalName(s))
		case <-ctx.Done():
		}
	}()
	if e.StopRequest == "stdin-close" || strings.HasPrefix(e.StopRequest, "stdin:") {
		go watchStdin(os.Stdin, e.StopRequest, fire)
	}
	if e.TetherPID > 0 {
		go watchTether(ctx, e.TetherPID, fire)
	}
	return ctx, func() {
		signal.Stop(sigs)
		cancel(context.Canceled)
	}
}

// signalName names s the way tether's events do.
func signalName(s os.Signal) string {
	if s == syscall.SIGTERM {
		return "TERM"
	}
	return "INT"
}

// watchStdin reads r until the stop request is seen, then calls fire.
func watchStdin(r io.Reader, request string, fire func(string)) {
	text, wantLine := strings.CutPrefix(request, "stdin:")
	if !wantLine {
		_, _ = io.Copy(io.Discard, r)
		fire("stdin closed")
		return
	}
	br := bufio.NewReaderSize(r, 4096)
	for {
		line, err := readLine(br)
		if err != nil {
			fire("stdin closed")
			return
		}
		if line == text {
			fire("stdin line " + fmt.Sprintf("%q", text))
			return
		}
	}
}

// readLine returns the next line of br without its \n or \r\n; a line longer
// than maxStdinLine comes back as a value that matches no stop text.
func readLine(br *bufio.Reader) (string, error) {
	var b []byte
	tooLong := false
	for {
		chunk, err := br.ReadSlice('\n')
		if len(b)+len(chunk) > maxStdinLine {
			tooLong, b = true, b[:0]
		} else {
			b = append(b, chunk...)
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil && (len(b) == 0 || err != io.EOF) {
			return "", err
		}
		if tooLong {
			return "\x00too long", nil
		}
		s := strings.TrimSuffix(string(b), "\n")
		return strings.TrimSuffix(s, "\r"), nil
	}
}

// StopContext ends when the sidecar should stop; see Env.StopContext. It reads the
// environment first; a malformed variable is ignored (Env.StopContext then
// sees its field as unset).
func StopContext(parent context.Context) (context.Context, context.CancelFunc) {
	e, _ := FromEnv()
	return e.StopContext(parent)
}
