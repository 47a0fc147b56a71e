package tether

import (
	"fmt"
	"time"
)

// EventKind says what an Event reports. New kinds may be added: a host must
// ignore kinds it does not know.
type EventKind int

// The kinds of event, named as the command line's NDJSON names them.
const (
	_ EventKind = iota
	// EventSpawned: a child process started. Pid, Attempt, Port,
	// Containment.
	EventSpawned
	// EventStdout: one chunk of the child's standard output. Data, Partial.
	EventStdout
	// EventStderr: one chunk of the child's standard error. Data, Partial.
	EventStderr
	// EventReady: the readiness probe passed (at once after spawned when
	// there is none). After.
	EventReady
	// EventUnhealthy: liveness failed Spec.LiveFailures times in a row.
	// Failures, Err.
	EventUnhealthy
	// EventExited: the child was reaped and its output is all delivered.
	// Code, Signal, Uptime, Expected, and Tail when not Expected.
	EventExited
	// EventRestarting: a restart is scheduled. Attempt is the next
	// attempt, Delay the wait before it.
	EventRestarting
	// EventGaveUp: supervision ended because the restart limit was hit or
	// the command cannot be started. Restarts, Err, Tail.
	EventGaveUp
	// EventState: the sidecar moved to State from Prev.
	EventState
	// EventError: something else worth attention (a probe or pipe error).
	// Err.
	EventError
	// EventStopping (Group only): the group began an orderly stop of the
	// member. Reason.
	EventStopping
	// EventStopped (Group only): the member's supervision ended; it is
	// the member's last event until it is started again. Code is its
	// status: 0 after an orderly stop, else what ExitStatus gives for how
	// it ended.
	EventStopped
)

var kindNames = [...]string{
	EventSpawned:    "spawned",
	EventStdout:     "stdout",
	EventStderr:     "stderr",
	EventReady:      "ready",
	EventUnhealthy:  "unhealthy",
	EventExited:     "exited",
	EventRestarting: "restarting",
	EventGaveUp:     "gave_up",
	EventState:      "state",
	EventError:      "error",
	EventStopping:   "stopping",
	EventStopped:    "stopped",
}

// String returns the kind's name as the command line's events spell it.
func (k EventKind) String() string {
	if k > 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("EventKind(%d)", int(k))
}

// An Event is one thing that happened to a sidecar. It is a plain value: it
// holds no live objects, and a host may keep it (Data included) as long as
// it likes. Which fields are set depends on Kind; the others are zero.
type Event struct {
	Time    time.Time // when it happened
	Name    string    // the sidecar's name
	Kind    EventKind // what happened
	Pid     int       // the attempt's process id, when there is one
	Attempt int       // 1 for the first spawn, counting up across restarts

	Port int // spawned: the attempt's port, or 0

	// Containment names how the attempt's tree is held (spawned): "cgroup",
	// "subreaper" or "group" on unix, then "+v1:" and the controllers when
	// limits are enforced through cgroup v1 (a hybrid or legacy layout:
	// "cgroup+v1:memory,pids+watcher"), followed by "+watcher" when a watcher
	// process will empty it should the host die, or by "+no-watcher" when
	// none will (an error event matching ErrNoWatcher then says why, and
	// what would fix it); "job-object" on Windows, where the kernel does the
	// watcher's work.
	Containment string

	// Data is one chunk of output (stdout, stderr), without its newline.
	// Bytes are as the child wrote them, valid UTF-8 or not.
	Data []byte
	// Partial is true when the chunk did not end in a newline: a line
	// longer than MaxChunk, or the last bytes before the pipe closed.
	Partial bool

	// Code is the exit status (exited), or -1 when the child was killed
	// by a signal.
	Code int
	// Signal names the signal that killed the child ("KILL", "TERM"), or
	// is empty.
	Signal string
	// Uptime is how long the child ran (exited).
	Uptime time.Duration
	// Expected is true when tether itself stopped the child: a stop or
	// restart request, a missed ready deadline, failed liveness (exited).
	Expected bool
	// Tail is the attempt's last output, stdout and stderr in the order
	// read, one string per line (invalid UTF-8 replaced by U+FFFD), at
	// most TailLines lines and TailBytes bytes: exited with Expected
	// false, and gave_up (the last attempt's). Not nil on those events
	// (empty when nothing was printed); nil on every other.
	Tail []string
	// OOM is true when the attempt's tree was killed for passing its
	// memory limit (Spec.MemoryMax), by the kernel's own account: the
	// cgroup's memory.events oom_kill on Linux; on Windows, the job's
	// memory use reaching its limit (exited).
	OOM bool

	After    time.Duration // ready: time from spawn to ready
	Delay    time.Duration // restarting: the wait before the next attempt
	Failures int           // unhealthy: consecutive liveness failures
	Restarts int           // gave_up: restarts done before giving up

	State State // state: the new state
	Prev  State // state: the state before

	// Reason says why a stop began (stopping): what the caller of
	// Group.Stop or Group.StopMember gave, such as "signal".
	Reason string

	Err error // unhealthy, gave_up, error: what went wrong
}

// MaxChunk is the largest Data an output event carries. A longer line
// arrives as several chunks, all but the last Partial.
const MaxChunk = 1 << 20
