package proc

import (
	"fmt"
	"os"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

func setPlatformAttr(a *syscall.SysProcAttr) {
	// The child dies with the thread that started it; the Launcher keeps
	// that thread alive until every child is gone (golang/go#27505).
	a.Pdeathsig = syscall.SIGKILL
}

// newContainer returns what the mode asked for in a adds to the process
// group of attempt id: a cgroup, the subreaper's bookkeeping, or nothing
// (nil) for ModeGroup. ModeAuto takes the first that works of cgroup,
// subreaper and group; a mode asked for by name is that mode or an error
// matching ErrUnavailable.
func newContainer(a Attr, id string) (container, error) {
	if !a.Limits.IsZero() {
		return newLimitedCgroup(a, id)
	}
	switch a.Containment {
	case ModeGroup:
		return nil, nil
	case ModeCgroup:
		c, err := newCgroup(a, id)
		if err != nil {
			return nil, err
		}
		return c, nil
	case ModeSubreaper:
		c, err := newSubreaper(id)
		if err != nil {
			return nil, err
		}
		return c, nil
	case ModeAuto:
		if c, err := newCgroup(a, id); err == nil {
			return c, nil
		}
		return fallbackContainer(id), nil
	}
	return nil, unavailable(a.Containment, "unknown mode", nil)
}

// fallbackContainer is what ModeAuto uses without a cgroup: the subreaper,
// or, should even prctl fail (Linux before 3.4), the process group alone.
func fallbackContainer(id string) container {
	if c, err := newSubreaper(id); err == nil {
		return c
	}
	return nil
}

func tunePipe(f *os.File) {
	rc, err := f.SyscallConn()
	if err != nil {
		return
	}
	_ = rc.Control(func(fd uintptr) {
		_, _ = unix.FcntlInt(fd, unix.F_SETPIPE_SZ, 1<<20)
	})
}

// newLimitedCgroup is the container of an attempt with limits: only a
// cgroup can enforce them, so ModeAuto takes no unbounded fallback (without
// a writable cgroup v2, the subreaper with cgroup v1's limits: v1Held), and
// ModeGroup and ModeSubreaper cannot have them. What the attempt's cgroup v2 cannot take
// (a hybrid layout binds memory, cpu and pids to v1 hierarchies) goes to
// cgroup v1.
func newLimitedCgroup(a Attr, id string) (container, error) {
	switch a.Containment {
	case ModeGroup, ModeSubreaper:
		return nil, limitsUnavailable(a.Containment, a.Limits, "only the cgroup mode can (use containment auto or cgroup)", nil)
	}
	c, err := newCgroup(a, id)
	if err != nil && a.Containment == ModeAuto {
		return newV1Held(a, id, err)
	}
	if err != nil {
		return nil, limitsUnavailable(ModeCgroup, a.Limits, "they need a writable cgroup v2", err)
	}
	rest, why := c.applyLimits(a, a.Limits)
	if rest.IsZero() {
		return c, nil
	}
	if c.v1, err = newV1Limits(a, id, rest); err != nil {
		c.release()
		return nil, limitsUnavailable(ModeCgroup, rest, why+"; nor can cgroup v1 (it needs root)", err)
	}
	return c, nil
}

// v1Held is the container of an attempt whose limits cgroup v1 alone holds:
// ModeAuto's on a system with no writable cgroup v2 (no cgroup2 mounted at
// all: RHEL 7, RHEL 8's legacy layout) where cgroup v1 can be written
// (root). The subreaper holds the tree; the limits are its v1 cgroups',
// which every descendant is born in and cannot leave.
type v1Held struct {
	*subreaper
	v1 *v1Limits
}

// newV1Held returns a v1Held for attempt id, or an error matching
// ErrUnavailable that says why neither cgroup v2 (noV2) nor v1 can hold a's
// limits.
func newV1Held(a Attr, id string, noV2 error) (container, error) {
	v1, err := newV1Limits(a, id, a.Limits)
	if err != nil {
		return nil, limitsUnavailable(ModeCgroup, a.Limits,
			fmt.Sprintf("they need a writable cgroup v2 (%v) or, as root, cgroup v1", noV2), err)
	}
	s, err := newSubreaper(id)
	if err != nil {
		v1.release()
		return nil, limitsUnavailable(ModeSubreaper, a.Limits, "cgroup v1 holds them, but the tree needs the subreaper", err)
	}
	return v1Held{subreaper: s, v1: v1}, nil
}

func (c v1Held) aroundFork(start func() error) error { return c.v1.aroundFork(start) }

func (c v1Held) oomKilled() bool { return c.v1.oomKilled() }

func (c v1Held) limitsVia() string { return "v1:" + strings.Join(c.v1.controllers, ",") }

func (c v1Held) release() bool {
	gone := c.subreaper.release()
	return c.v1.release() && gone
}
