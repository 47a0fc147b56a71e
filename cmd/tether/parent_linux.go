package main

import (
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/sys/unix"
)

// parentDeathSignal is the signal the kernel sends tether when its parent
// dies. Tether catches it and checks getppid, so a stray SIGUSR1 (or the
// exit of the parent's thread that started tether, which fires the signal
// too while the parent lives on) is ignored.
const parentDeathSignal = syscall.SIGUSR1

// watchParent closes gone when tether's parent, whose pid was ppid when
// tether started, has died, even by SIGKILL. On Linux nothing is polled:
// prctl(PR_SET_PDEATHSIG) asks the kernel to signal tether when the parent
// goes, and a getppid check right after closes the race with a parent that
// died before the request. stop undoes it all.
func watchParent(ppid int) (gone <-chan struct{}, stop func()) {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, parentDeathSignal) // before the request: the default action would kill tether
	if err := unix.Prctl(unix.PR_SET_PDEATHSIG, uintptr(parentDeathSignal), 0, 0, 0); err != nil {
		signal.Stop(sig)
		return pollParent(ppid)
	}
	g := make(chan struct{})
	quit := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			if os.Getppid() != ppid {
				close(g)
				return
			}
			select {
			case <-sig:
			case <-quit:
				return
			}
		}
	}()
	return g, func() {
		close(quit)
		<-done
		unix.Prctl(unix.PR_SET_PDEATHSIG, 0, 0, 0, 0)
		signal.Stop(sig)
	}
}
