// Package probe holds the mechanics of tether's readiness and liveness
// probes: an HTTP checker, a TCP connect check, an exec check that runs a
// command in a process group of its own, a shell-like word splitter for exec
// probes, the sd_notify-style notify socket, and the polling schedule that
// drives the polled kinds.
//
// It knows nothing of the root package: callers substitute "{port}" and pick
// timeouts; this package only checks, and says why a check failed.
//
// Errors start with "probe:", are lower-case and wrap their cause, so
// errors.Is works for context.DeadlineExceeded, context.Canceled and
// syscall.ECONNREFUSED (also on Windows, where the socket error is
// WSAECONNREFUSED) and syscall.ECONNRESET, and errors.As finds an
// *exec.ExitError.
//
// Operating-system limits:
//
//   - Exec on unix runs the command as the leader of a new process group and
//     kills the whole group (SIGKILL) when the context ends and again once the
//     command has exited, so nothing it started stays behind, unless it left
//     the group itself (setsid, setpgid, a daemon). On Linux the command also
//     gets a parent-death signal, which covers the command itself only. On
//     Windows the command is started with CREATE_NEW_PROCESS_GROUP and
//     CREATE_NO_WINDOW, and only the command itself is killed: its own
//     children may survive it. In every case a process that outlives the
//     command cannot hang Exec: output is read for a short bounded time after
//     the command exits, then the pipe is closed.
//   - The notify socket is a unix datagram socket and exists on unix only;
//     on Windows (where Go supports AF_UNIX stream sockets but not datagram
//     ones) ListenNotify returns an error matching errors.ErrUnsupported.
package probe
