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
//
// The set holds the pidfd that os.Process keeps, not a copy of it: every
// open descriptor is copied into each child at fork and closed again at its
// exec, so a thousand extra descriptors made each of a thousand starts
// slower. An entry is known by a number of its own, not by the descriptor,
// whose number is reused once the process is reaped (which closes it, and
// so also takes it out of the set).
var exitPoll struct {
	mu      sync.Mutex
	epfd    int               // the epoll set, created on first use; 0 before
	err     error             // why no epoll set could be made
	waiting map[uint64]func() // entry → what to run once its process exits
	lastID  uint64            // the last entry's number
	polling bool              // the goroutine runs
}

// onExit arranges for fn to run on a goroutine of its own once p has
// exited (it is not reaped), and reports true; it returns false, and does
// nothing, where no pidfd or epoll set can be had (Linux before 5.3). p
// must not be waited for until fn runs: reaping closes the pidfd, and with
// it the watch.
func onExit(p *os.Process, fn func()) bool {
	exitPoll.mu.Lock()
	defer exitPoll.mu.Unlock()
	if exitPoll.epfd == 0 && exitPoll.err == nil {
		exitPoll.epfd, exitPoll.err = unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	}
	if exitPoll.err != nil {
		return false
	}
	id := exitPoll.lastID + 1
	addErr := errors.New("no pidfd")
	if err := p.WithHandle(func(pidfd uintptr) {
		ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLONESHOT}
		ev.Fd, ev.Pad = int32(uint32(id)), int32(uint32(id>>32))
		addErr = unix.EpollCtl(exitPoll.epfd, unix.EPOLL_CTL_ADD, int(pidfd), &ev)
	}); err != nil || addErr != nil {
		return false
	}
	exitPoll.lastID = id
	if exitPoll.waiting == nil {
		exitPoll.waiting = make(map[uint64]func())
	}
	exitPoll.waiting[id] = fn
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
			for _, fn := range exitPoll.waiting {
				go fn()
			}
			clear(exitPoll.waiting)
			exitPoll.mu.Unlock()
		}
		exitPoll.mu.Lock()
		for _, ev := range events[:max(n, 0)] {
			id := uint64(uint32(ev.Fd)) | uint64(uint32(ev.Pad))<<32
			fn, ok := exitPoll.waiting[id]
			if !ok {
				continue
			}
			// The entry fired once (EPOLLONESHOT) and leaves the
			// set when fn's Wait reaps the process and closes
			// its pidfd.
			delete(exitPoll.waiting, id)
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
