package main

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// watchParent closes gone when tether's parent, whose pid was ppid when
// tether started, has died, even by SIGKILL. On macOS a kqueue waits for
// the parent's NOTE_EXIT without polling; getppid is checked once the
// filter is registered, for a parent that died before. A user event on the
// same kqueue wakes the watcher for stop.
func watchParent(ppid int) (gone <-chan struct{}, stop func()) {
	kq, err := unix.Kqueue()
	if err != nil {
		return pollParent(ppid)
	}
	var changes [2]unix.Kevent_t
	unix.SetKevent(&changes[0], ppid, unix.EVFILT_PROC, unix.EV_ADD|unix.EV_ONESHOT)
	changes[0].Fflags = unix.NOTE_EXIT
	unix.SetKevent(&changes[1], 1, unix.EVFILT_USER, unix.EV_ADD|unix.EV_CLEAR)
	g := make(chan struct{})
	if _, err := unix.Kevent(kq, changes[:], nil, nil); err != nil {
		unix.Close(kq)
		if errors.Is(err, unix.ESRCH) { // the parent is gone already
			close(g)
			return g, func() {}
		}
		return pollParent(ppid)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if os.Getppid() != ppid {
			close(g)
			return
		}
		var events [2]unix.Kevent_t
		for {
			n, err := unix.Kevent(kq, nil, events[:], nil)
			if errors.Is(err, unix.EINTR) {
				continue
			}
			if err != nil {
				return
			}
			for _, ev := range events[:n] {
				switch ev.Filter {
				case unix.EVFILT_PROC:
					close(g)
					return
				case unix.EVFILT_USER:
					return
				}
			}
		}
	}()
	return g, func() {
		var wake [1]unix.Kevent_t
		unix.SetKevent(&wake[0], 1, unix.EVFILT_USER, 0)
		wake[0].Fflags = unix.NOTE_TRIGGER
		unix.Kevent(kq, wake[:], nil, nil)
		<-done
		unix.Close(kq)
	}
}
