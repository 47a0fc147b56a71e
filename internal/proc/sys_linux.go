package proc

import (
	"os"
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
// cgroup can enforce them, so ModeAuto takes no fallback, and ModeGroup and
// ModeSubreaper cannot have them. What the attempt's cgroup v2 cannot take
// (a hybrid layout binds memory, cpu and pids to v1 hierarchies) goes to
// cgroup v1.
func newLimitedCgroup(a Attr, id string) (container, error) {
	switch a.Containment {
	case ModeGroup, ModeSubreaper:
		return nil, limitsUnavailable(a.Containment, a.Limits, "only the cgroup mode can (use containment auto or cgroup)", nil)
	}
	c, err := newCgroup(a, id)
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
