package proc

import (
	"os"

	"golang.org/x/sys/unix"
)

// waitExit returns once p has exited, without reaping it. It waits on a
// pidfd registered with Go's network poller, so that a waiting child costs a
// parked goroutine, not an OS thread blocked in waitid (golang/go#60320). It
// returns at once, leaving the wait to the caller's blocking Wait, where no
// pidfd can be had (Linux before 5.3) or polled.
func waitExit(p *os.Process) {
	fd := -1
	if err := p.WithHandle(func(h uintptr) {
		fd, _ = unix.FcntlInt(h, unix.F_DUPFD_CLOEXEC, 0)
	}); err != nil || fd < 0 {
		return
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return
	}
	f := os.NewFile(uintptr(fd), "pidfd")
	defer f.Close()
	rc, err := f.SyscallConn()
	if err != nil {
		return
	}
	_ = rc.Read(func(fd uintptr) bool {
		var info unix.Siginfo
		err := unix.Waitid(unix.P_PIDFD, int(fd), &info, unix.WEXITED|unix.WNOHANG|unix.WNOWAIT, nil)
		// Done when it has exited (Linux fills in SIGCHLD, and leaves
		// zeros while it runs), or when waitid fails
		// (the caller's Wait then reports why).
		return err != nil || info.Signo == int32(unix.SIGCHLD)
	})
}
