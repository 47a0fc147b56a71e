package proc

import (
	"errors"

	"golang.org/x/sys/unix"
)

// watcherExecutable is the host's executable, through /proc/self/exe: it
// works even when the file was replaced or removed since the host started.
func watcherExecutable() (string, error) { return "/proc/self/exe", nil }

// waitHost feeds handle with the lifeline's bytes until the host is gone:
// end of file on the lifeline, or the host's exit seen through a pidfd
// (Linux 5.3), which does not depend on the lifeline's write end being held
// by the host alone. Either way every byte the host wrote is handled first.
func waitHost(hostPid int, handle func([]byte)) {
	pidfd, err := unix.PidfdOpen(hostPid, 0)
	if err != nil {
		pidfd = -1
	} else {
		defer unix.Close(pidfd)
	}
	// The pidfd is the host's only if the host is still our parent: were
	// it gone, its pid could name another process by now.
	if unix.Getppid() != hostPid {
		drainStdin(handle)
		return
	}
	if pidfd < 0 {
		readUntilEOF(handle)
		return
	}
	fds := []unix.PollFd{{Fd: 0, Events: unix.POLLIN}, {Fd: int32(pidfd), Events: unix.POLLIN}}
	buf := make([]byte, 4096)
	for {
		if _, err := unix.Poll(fds, -1); err != nil {
			if errors.Is(err, unix.EINTR) {
				continue
			}
			readUntilEOF(handle)
			return
		}
		if fds[0].Revents != 0 {
			n, err := unix.Read(0, buf)
			if n > 0 {
				handle(buf[:n])
				continue
			}
			if n == 0 || !errors.Is(err, unix.EINTR) && !errors.Is(err, unix.EAGAIN) {
				return // end of file: the host closed the lifeline or died
			}
		}
		if fds[1].Revents != 0 {
			drainStdin(handle)
			return
		}
	}
}
