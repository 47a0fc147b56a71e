//go:build unix

package sidecar

import (
	"context"
	"errors"
	"os"
	"syscall"
	"time"
)

// pollEvery is how often the parent is checked. getppid and kill(pid, 0)
// cost a system call each.
const pollEvery = 200 * time.Millisecond

// watchTether calls fire once tether (pid) is gone, until ctx ends. When
// tether is the parent, its death re-parents this process; otherwise (a
// wrapper script in between) the pid stops existing.
func watchTether(ctx context.Context, pid int, fire func(string)) {
	direct := os.Getppid() == pid
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	for {
		if direct && os.Getppid() != pid || !direct && errors.Is(syscall.Kill(pid, 0), syscall.ESRCH) {
			fire("tether is gone")
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
