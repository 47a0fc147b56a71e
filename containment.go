package tether

import (
	"fmt"

	"tether.dev/tether/internal/proc"
)

// Containment says how an attempt's process tree is held together, so that a
// stop, and the host's own death, leave nothing of it behind. The zero value,
// ContainmentAuto, picks the strongest the system offers. docs/containment.md
// says exactly what each mode guarantees on each system.
type Containment int

const (
	// ContainmentAuto is the strongest available: on Linux a cgroup where
	// a writable cgroup v2 is found, else the subreaper; the process group
	// on macOS and the BSDs; a job object on Windows.
	ContainmentAuto Containment = iota
	// ContainmentCgroup (Linux) puts every attempt in a cgroup v2 of its
	// own, entered before the child runs: stop and kill reach every
	// descendant, setsid'd and double-forked ones included. It needs a
	// writable cgroup v2 (root, or a systemd-delegated subtree).
	ContainmentCgroup
	// ContainmentSubreaper (Linux) makes the host a child subreaper while
	// the attempt lives, so that descendants whose parent died are
	// re-parented to the host, found and killed.
	ContainmentSubreaper
	// ContainmentGroup relies on the child's process group alone: a
	// descendant that calls setsid or setpgid escapes a stop.
	ContainmentGroup
)

var containmentNames = [...]string{"auto", "cgroup", "subreaper", "group"}

// String returns the mode's name as the command line spells it.
func (c Containment) String() string {
	if c >= 0 && int(c) < len(containmentNames) {
		return containmentNames[c]
	}
	return fmt.Sprintf("Containment(%d)", int(c))
}

// MarshalText returns the mode's name, as String does.
func (c Containment) MarshalText() ([]byte, error) {
	if c < 0 || int(c) >= len(containmentNames) {
		return nil, fmt.Errorf("tether: %v: no such containment", c)
	}
	return []byte(c.String()), nil
}

// UnmarshalText sets c from its name: "auto", "cgroup", "subreaper" or
// "group" (a config file's or a flag's value).
func (c *Containment) UnmarshalText(text []byte) error {
	for i, n := range containmentNames {
		if string(text) == n {
			*c = Containment(i)
			return nil
		}
	}
	return fmt.Errorf("tether: containment %q: want auto, cgroup, subreaper or group", text)
}

// procMode is the OS layer's name for c.
func (c Containment) procMode() proc.Mode {
	switch c {
	case ContainmentCgroup:
		return proc.ModeCgroup
	case ContainmentSubreaper:
		return proc.ModeSubreaper
	case ContainmentGroup:
		return proc.ModeGroup
	}
	return proc.ModeAuto
}

// RunWatcherIfRequested does nothing, and is kept so that hosts written for
// earlier versions still build. Every Go program that imports tether is its
// own watcher without any call: tether re-executes the host's executable as
// one small watcher process per host, which the package's initialisation
// (before main, before the initialisers of packages that import tether)
// turns into the watcher. The watcher holds a lifeline pipe from the host
// and, when the host dies — even by SIGKILL — kills every sidecar tree the
// host had not stopped, cgroup and all. The spawned event says whether it
// covers an attempt (Event.Containment ends in "+watcher", or in
// "+no-watcher" followed by an error event matching ErrNoWatcher that says
// why and what would fix it). See docs/containment.md.
//
// Deprecated: the watcher starts from package initialisation; there is
// nothing to call.
func RunWatcherIfRequested() { proc.RunWatcherIfRequested() }
