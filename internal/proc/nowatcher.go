package proc

import (
	"errors"
	"fmt"
)

// ErrNoWatcher is matched by Group.WatcherErr's error: no watcher covers the
// attempt, so the host's death by SIGKILL would leave behind what the
// operating system does not kill by itself (see docs/containment.md).
var ErrNoWatcher = errors.New("no watcher")

// NoWatcherError says why no watcher covers an attempt, and what would fix
// it.
type NoWatcherError struct {
	Cause error  // why: the watcher is switched off, could not start, ...
	Fix   string // what the host's user can do about it
}

func (e *NoWatcherError) Error() string {
	return fmt.Sprintf("no watcher: %v; to fix: %s", e.Cause, e.Fix)
}

// Unwrap returns the cause and ErrNoWatcher.
func (e *NoWatcherError) Unwrap() []error { return []error{ErrNoWatcher, e.Cause} }

func noWatcher(cause error, fix string) error { return &NoWatcherError{Cause: cause, Fix: fix} }
