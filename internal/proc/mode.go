package proc

import (
	"errors"
	"fmt"
)

// Mode is the containment asked for when a child starts. The zero value,
// ModeAuto, picks the strongest the system offers.
//
// What each mode guarantees is written down in docs/containment.md; in short,
// on Linux:
//   - ModeCgroup: a cgroup v2 per attempt, entered at clone time. Stop and kill
//     reach every descendant, setsid'd and double-forked ones included, and
//     cgroup.kill wins against a fork loop. Needs a writable cgroup2 (root, or a
//     systemd-delegated subtree).
//   - ModeSubreaper: the host process becomes a child subreaper while the
//     attempt lives, so escaped descendants are re-parented to it and found by
//     a walk of the process table, and tether reaps exactly those it
//     identifies as the attempt's.
//   - ModeGroup: the process group only; a descendant that calls setsid or
//     setpgid escapes it.
//
// On other unix systems only ModeAuto and ModeGroup exist (a process group);
// on Windows only ModeAuto (a job object).
type Mode int

const (
	// ModeAuto picks ModeCgroup where a writable cgroup v2 is found, else
	// ModeSubreaper (Linux), else ModeGroup; a job object on Windows.
	ModeAuto Mode = iota
	// ModeCgroup puts each attempt in a cgroup v2 of its own (Linux).
	ModeCgroup
	// ModeSubreaper makes the host a child subreaper (Linux).
	ModeSubreaper
	// ModeGroup relies on the process group alone (unix).
	ModeGroup
)

var modeNames = [...]string{"auto", "cgroup", "subreaper", "group"}

// String returns the mode's name: auto, cgroup, subreaper or group.
func (m Mode) String() string {
	if m >= 0 && int(m) < len(modeNames) {
		return modeNames[m]
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// ErrUnavailable is matched by the error of a start that asked for a
// containment mode this system cannot give: a cgroup mode without a writable
// cgroup v2, say, or a Linux-only mode elsewhere. It is a configuration
// problem, not a property of the program being started: retrying will not
// help.
var ErrUnavailable = errors.New("proc: containment mode unavailable")

// unavailable wraps why a mode cannot be had. The cause's text is kept but
// not its chain: an errno from a cgroup directory must not read as an
// errno from starting the program (EACCES would mean "not executable").
func unavailable(m Mode, why string, cause error) error {
	if cause != nil {
		return fmt.Errorf("%w: %s: %s: %v", ErrUnavailable, m, why, cause)
	}
	return fmt.Errorf("%w: %s: %s", ErrUnavailable, m, why)
}
