package tether

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"tether.dev/tether/internal/proc"
)

// resolveCommand finds the program to run, the way the attempt will: a
// command with a path separator is a path (relative to dir when relative),
// anything else is looked up in the host's PATH. It classifies what it finds
// as ErrCommandNotFound or ErrNotExecutable.
func resolveCommand(command, dir string) (string, error) {
	if dir != "" {
		fi, err := os.Stat(dir)
		switch {
		case err != nil:
			return "", &SpawnError{Command: command, Dir: dir, Err: fmt.Errorf("%w: working directory %s: %w", ErrNotExecutable, dir, err)}
		case !fi.IsDir():
			return "", &SpawnError{Command: command, Dir: dir, Err: fmt.Errorf("%w: working directory %s is not a directory", ErrNotExecutable, dir)}
		}
	}
	if !strings.ContainsAny(command, `/\`) {
		p, err := exec.LookPath(command)
		if err != nil {
			tried := filepath.SplitList(os.Getenv("PATH"))
			detail := "looked in PATH=" + os.Getenv("PATH")
			if errors.Is(err, exec.ErrDot) {
				detail = "found only relative to the current directory, which PATH lookups refuse; give a path"
			} else if errors.Is(err, fs.ErrPermission) || isNotExecutable(err) {
				return "", &SpawnError{Command: command, Dir: dir, Tried: tried, Err: fmt.Errorf("%w: %w", ErrNotExecutable, err), Detail: detail}
			}
			return "", &SpawnError{Command: command, Dir: dir, Tried: tried, Err: ErrCommandNotFound, Detail: detail}
		}
		return p, nil
	}
	full := command
	if !filepath.IsAbs(full) && dir != "" {
		full = filepath.Join(dir, full)
	}
	fi, err := os.Stat(full)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "", &SpawnError{Command: command, Path: full, Dir: dir, Tried: []string{full}, Err: ErrCommandNotFound, Detail: "no file at " + full}
	case err != nil:
		return "", &SpawnError{Command: command, Path: full, Dir: dir, Err: fmt.Errorf("%w: %w", ErrNotExecutable, err)}
	case fi.IsDir():
		return "", &SpawnError{Command: command, Path: full, Dir: dir, Err: ErrNotExecutable, Detail: full + " is a directory"}
	case !executable(fi):
		return "", &SpawnError{Command: command, Path: full, Dir: dir, Err: ErrNotExecutable, Detail: fmt.Sprintf("%s has mode %v, no execute permission", full, fi.Mode())}
	}
	return command, nil
}

// isNotExecutable tells LookPath's "found but not executable" apart from
// "not found": os/exec reports both through *exec.Error.
func isNotExecutable(err error) bool {
	var ee *exec.Error
	return errors.As(err, &ee) && !errors.Is(ee.Err, exec.ErrNotFound) && !errors.Is(ee.Err, fs.ErrNotExist)
}

// classifyStartError turns an error from starting the process into a
// *SpawnError, classified when the cause is known.
func classifyStartError(command, path, dir string, err error) error {
	var se *SpawnError
	if errors.As(err, &se) {
		return err
	}
	cause := err
	switch {
	case errors.Is(err, proc.ErrUnavailable):
		// A containment mode was forced that this system cannot give:
		// no retry can help.
		cause = fmt.Errorf("%w: %w", ErrNotExecutable, err)
	case errors.Is(err, syscall.ENOENT):
		cause = fmt.Errorf("%w: %w", ErrCommandNotFound, err)
	case errors.Is(err, syscall.E2BIG):
		// The same arguments and environment fail the same way every
		// time: give up at once, as for a command that is not there.
		return &SpawnError{Command: command, Path: path, Dir: dir, Err: fmt.Errorf("%w: %w", ErrNotExecutable, err),
			Detail: "its arguments and environment are larger than the system allows; shorten them, or pass the data on stdin or in a file"}
	case errors.Is(err, syscall.EACCES), errors.Is(err, syscall.ENOEXEC), errors.Is(err, syscall.EPERM),
		errors.Is(err, syscall.ENOTDIR), errors.Is(err, syscall.EISDIR):
		cause = fmt.Errorf("%w: %w", ErrNotExecutable, err)
	}
	return &SpawnError{Command: command, Path: path, Dir: dir, Err: cause}
}

// pickPort returns a free loopback TCP port: the kernel's choice for a
// listener on 127.0.0.1:0, closed at once. Another process may take it before
// the sidecar binds it; the sidecar then fails to start and the next attempt
// gets a fresh port.
func pickPort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("tether: pick a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// checkPortFree reports ErrPortInUse when something listens on the fixed
// port on loopback.
func checkPortFree(port int) error {
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return fmt.Errorf("%w: port %d: %w", ErrPortInUse, port, err)
	}
	return ln.Close()
}

// expand replaces {port} in s.
func expand(s string, port int) string {
	if port == 0 || !strings.Contains(s, "{port}") {
		return s
	}
	return strings.ReplaceAll(s, "{port}", strconv.Itoa(port))
}

// environ is the child's environment: the host's, then the spec's entries
// (which win), then extra. The variables tether owns (TETHER_PORT,
// TETHER_STOP_REQUEST, WATCHDOG_USEC) are dropped from the host's: a tether
// supervised by another tether must not pass its own on.
func environ(spec []string, port int, extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		key, _, _ := strings.Cut(kv, "=")
		switch key {
		case envPort, envStopRequest, envWatchdog:
			continue
		}
		env = append(env, kv)
	}
	for _, kv := range spec {
		env = append(env, expand(kv, port))
	}
	return append(env, extra...)
}

// Variables tether sets in every sidecar's environment, after the host's and
// the spec's own (so they win).
const (
	envPort        = "TETHER_PORT"         // the attempt's port, when it has one
	envPid         = "TETHER_PID"          // the supervising process's pid
	envStopRequest = "TETHER_STOP_REQUEST" // the configured stop request, when there is one
	envWatchdog    = "WATCHDOG_USEC"       // the watchdog interval in µs, with a watchdog
)

// sidecarEnv is the part of an attempt's environment that tether sets.
func (l *loop) sidecarEnv(port int) []string {
	env := []string{envPid + "=" + strconv.Itoa(os.Getpid())}
	if port > 0 {
		env = append(env, envPort+"="+strconv.Itoa(port))
	}
	if l.spec.StopRequest != "" {
		env = append(env, envStopRequest+"="+l.spec.StopRequest)
	}
	if l.spec.Watchdog > 0 {
		env = append(env, envWatchdog+"="+strconv.FormatInt(l.spec.Watchdog.Microseconds(), 10))
	}
	return env
}

// pipes are one attempt's three pipes: the parent's ends, and the child's
// ends, which are closed once the child has started.
type pipes struct {
	stdinW, stdoutR, stderrR *os.File
	child                    [3]*os.File
}

func openPipes() (*pipes, error) {
	p := &pipes{}
	var err error
	var r [3]*os.File
	var w [3]*os.File
	for i := range 3 {
		r[i], w[i], err = os.Pipe()
		if err != nil {
			p.closeAll()
			for j := range i {
				r[j].Close()
				w[j].Close()
			}
			return nil, fmt.Errorf("tether: pipe: %w", err)
		}
	}
	p.stdinW, p.child[0] = w[0], r[0]
	p.stdoutR, p.child[1] = r[1], w[1]
	p.stderrR, p.child[2] = r[2], w[2]
	proc.TunePipe(p.stdoutR)
	proc.TunePipe(p.stderrR)
	return p, nil
}

func (p *pipes) closeChild() {
	for i, f := range p.child {
		if f != nil {
			f.Close()
			p.child[i] = nil
		}
	}
}

func (p *pipes) closeAll() {
	p.closeChild()
	for _, f := range []*os.File{p.stdinW, p.stdoutR, p.stderrR} {
		if f != nil {
			f.Close()
		}
	}
}
