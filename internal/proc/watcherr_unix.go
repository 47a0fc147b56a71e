//go:build unix

package proc

import (
	"errors"
	"fmt"
	"os"
	"runtime/debug"

	"golang.org/x/sys/unix"
)

// watcherBlocked says why this process cannot run a watcher at all, or
// returns nil:
//   - TETHER_WATCHER=off in its environment (the host's choice);
//   - it is a set-id program (a watcher refuses to run in one);
//   - it is Go code inside a program of another language (-buildmode
//     c-shared or c-archive): re-executing the executable would start that
//     program, which knows nothing of the watcher.
func watcherBlocked() error {
	if os.Getenv(watcherEnv) == "off" {
		return noWatcher(errors.New(watcherEnv+"=off is in the host's environment"), "unset "+watcherEnv)
	}
	if os.Getuid() != os.Geteuid() || os.Getgid() != os.Getegid() {
		return noWatcher(errors.New("the host is a set-user-ID or set-group-ID program, which cannot be its own watcher"),
			"run the host without set-id bits, or run the sidecars through the tether command")
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "-buildmode" && (s.Value == "c-shared" || s.Value == "c-archive") {
				return noWatcher(fmt.Errorf("the host is Go code inside a program of another language (-buildmode=%s), which cannot be re-executed as a watcher", s.Value),
					"run the sidecars through the tether command, which runs its own watcher")
			}
		}
	}
	return nil
}

// resourceShortage reports whether err is a want of file descriptors,
// processes or memory: worth trying again later.
func resourceShortage(err error) bool {
	return errors.Is(err, unix.EMFILE) || errors.Is(err, unix.ENFILE) ||
		errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.ENOMEM)
}

// fixFor says what would let a watcher that failed with err start.
func fixFor(err error) string {
	switch {
	case errors.Is(err, unix.EMFILE):
		var lim unix.Rlimit
		if unix.Getrlimit(unix.RLIMIT_NOFILE, &lim) == nil {
			return fmt.Sprintf("raise the host's limit on open files (ulimit -n; it is %d)", lim.Cur)
		}
		return "raise the host's limit on open files (ulimit -n)"
	case errors.Is(err, unix.ENFILE):
		return "the system's table of open files is full: close files or raise fs.file-max"
	case errors.Is(err, unix.EAGAIN):
		return "raise the limit on processes (ulimit -u)"
	case errors.Is(err, unix.ENOMEM):
		return "free memory"
	}
	return "see docs/containment.md (the watcher)"
}
