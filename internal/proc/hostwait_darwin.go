package proc

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// watcherExecutable is the host's executable.
func watcherExecutable() (string, error) { return os.Executable() }

// waitHost feeds handle with the lifeline's bytes until the host is gone:
// end of file on the lifeline, or the host's exit reported by kqueue
// (EVFILT_PROC, NOTE_EXIT), which does not depend on the lifeline's write end
// being held by the host alone. Either way every byte the host wrote is
// handled first.
func waitHost(hostPid int, handle func([]byte)) {
	kq, err := unix.Kqueue()
	if err != nil {
		readUntilEOF(handle)
		return
	}
	defer unix.Close(kq)
	var ch [2]unix.Kevent_t
	unix.SetKevent(&ch[0], hostPid, unix.EVFILT_PROC, unix.EV_ADD|unix.EV_ONESHOT)
	ch[0].Fflags = unix.NOTE_EXIT
	unix.SetKevent(&ch[1], 0, unix.EVFILT_READ, unix.EV_ADD)
	if _, err := unix.Kevent(kq, ch[:1], nil, nil); err != nil {
		drainStdin(handle) // ESRCH: the host is gone already
		return
	}
	// Registered on the right process only if the host is still our
	// parent: had it gone before, its pid could name another process.
	if unix.Getppid() != hostPid {
		drainStdin(handle)
		return
	}
	if _, err := unix.Kevent(kq, ch[1:], nil, nil); err != nil {
		readUntilEOF(handle)
		return
	}
	var evs [2]unix.Kevent_t
	buf := make([]byte, 4096)
	for {
		n, err := unix.Kevent(kq, nil, evs[:], nil)
		if err != nil {
			if errors.Is(err, unix.EINTR) {
				continue
			}
			readUntilEOF(handle)
			return
		}
		for _, ev := range evs[:n] {
			switch ev.Filter {
			case unix.EVFILT_PROC:
				drainStdin(handle)
				return
			case unix.EVFILT_READ:
				m, err := unix.Read(0, buf)
				if m > 0 {
					handle(buf[:m])
					continue
				}
				if m == 0 || !errors.Is(err, unix.EINTR) && !errors.Is(err, unix.EAGAIN) {
					return // end of file: the host closed the lifeline or died
				}
			}
		}
	}
}
