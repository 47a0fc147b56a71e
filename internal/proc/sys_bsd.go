//go:build unix && !linux

package proc

import (
	"errors"
	"fmt"
	"runtime"
	"syscall"
)

// setPlatformAttr adds nothing here: there is no parent-death signal
// outside Linux (the watcher stands in for it).
func setPlatformAttr(*syscall.SysProcAttr) {}

// newContainer: only the process group exists here. ModeCgroup and
// ModeSubreaper are Linux's.
func newContainer(a Attr, _ string) (container, error) {
	if !a.Limits.IsZero() {
		return nil, limitsUnavailable(a.Containment, a.Limits, "limits need a cgroup v2 (Linux) or a job object (Windows); "+runtime.GOOS+" has neither", errors.ErrUnsupported)
	}
	switch a.Containment {
	case ModeAuto, ModeGroup:
		return nil, nil
	}
	return nil, fmt.Errorf("%w: %s: Linux only, not on %s: %w", ErrUnavailable, a.Containment, runtime.GOOS, errors.ErrUnsupported)
}

func fallbackContainer(string) container { return nil }

// subreaperFlag: there is no subreaper here.
type subreaperFlag struct{}

// tableReader: no walk shares reads of the process table here.
type tableReader struct{}

// There are no cgroups here: nothing ever records one for the watcher.
func killCgroup(string)           {}
func cgroupPopulated(string) bool { return false }
func removeCgroup(string) bool    { return true }
