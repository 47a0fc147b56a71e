package proc

import (
	"errors"
	"os"
	"sync"

	"golang.org/x/sys/unix"
)

// exitPoll watches the exits of the process's children through their
// pidfds in one epoll set, read by one goroutine: a thousand children waiting
// to exit cost one parked thread, not a thousand goroutines, each with its
// stack (the netpoller needs a goroutine parked per file). The goroutine runs
// only while some exit is awaited. Like the forker, it is inherently one per
// process.
var exitPoll struct {
	mu      sync.Mutex
	epfd    int              // the epoll set, created on first use; 0 before
	err     error            // why no epoll set could be made
	waiting map[int32]func() // pidfd → what to run once its process exits
	polling bool             // the goroutine runs
}

// onExit arranges for fn to run on a goroutine of its own once p has
// exited (it is not reaped), and reports true; it returns false, and does
// nothing, where no pidfd or epoll set can be had (Linux before 5.3).
func onExit(p *os.Process, fn func()) bool {
	fd := -1
	if err := p.WithHandle(func(h uintptr) {
		fd, _ = unix.FcntlInt(h, unix.F_DUPFD_CLOEXEC, 0)
	}); err != nil || fd < 0 {
		return false
	}
	exitPoll.mu.Lock()
	defer exitPoll.mu.Unlock()
	if exitPoll.epfd == 0 && exitPoll.err == nil {
		exitPoll.epfd, exitPoll.err = unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	}
	if exitPoll.err != nil {
		unix.Close(fd)
		return false
	}
	ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLONESHOT, Fd: int32(fd)}
	if err := unix.EpollCtl(exitPoll.epfd, unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
		unix.Close(fd)
		return false
	}
	if exitPoll.waiting == nil {
		exitPoll.waiting = make(map[int32]func())
	}
	exitPoll.waiting[int32(fd)] = fn
	if !exitPoll.polling {
		exitPoll.polling = true
		go pollExits(exitPoll.epfd)
	}
	return true
}

// pollExits waits for exits and starts what waits for each, until none is
// awaited.
func pollExits(epfd int) {
	events := make([]unix.EpollEvent, 64)
	for {
		n, err := unix.EpollWait(epfd, events, -1)
		if err != nil && !errors.Is(err, unix.EINTR) {
			// Cannot happen with a valid set; should it, fail
			// every wait rather than spin or hang: their Wait
			// still reaps.
			n = 0
			exitPoll.mu.Lock()
			for fd, fn := range exitPoll.waiting {
				unix.Close(int(fd))
				go fn()
			}
			clear(exitPoll.waiting)
			exitPoll.mu.Unlock()
		}
		exitPoll.mu.Lock()
		for _, ev := range events[:max(n, 0)] {
			fn, ok := exitPoll.waiting[ev.Fd]
			if !ok {
				continue
			}
			delete(exitPoll.waiting, ev.Fd)
			// Closing the pidfd removes it from the set.
			unix.Close(int(ev.Fd))
			go fn()
		}
		if len(exitPoll.waiting) == 0 {
			exitPoll.polling = false
			exitPoll.mu.Unlock()
			return
		}
		exitPoll.mu.Unlock()
	}
}
