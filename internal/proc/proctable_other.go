//go:build unix && !linux && !darwin

package proc

import (
	"errors"
	"fmt"
)

// procInfo is one process as the process table shows it.
type procInfo struct {
	pid, ppid, pgrp, sid int
	start                uint64
	zombie               bool
}

// readProcTable is not written for this system: the watcher then relies on
// the process group alone.
func readProcTable() ([]procInfo, error) {
	return nil, fmt.Errorf("proc: process table: %w", errors.ErrUnsupported)
}

func procEnviron(int) ([]byte, error) {
	return nil, fmt.Errorf("proc: process environment: %w", errors.ErrUnsupported)
}

// GroupHasLiveMember is reached only when kill(-pgid, 0) found members. The
// BSD inits reap orphans promptly, so those members are taken as alive.
func GroupHasLiveMember(int) bool { return true }
