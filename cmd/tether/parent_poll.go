package main

import (
	"os"
	"time"
)

// pollParent closes gone once getppid no longer returns ppid (the parent
// died and tether was re-parented), checking every 200ms. It is the
// fallback where the system offers no notification.
func pollParent(ppid int) (gone <-chan struct{}, stop func()) {
	g := make(chan struct{})
	quit := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			if os.Getppid() != ppid {
				close(g)
				return
			}
			select {
			case <-t.C:
			case <-quit:
				return
			}
		}
	}()
	return g, func() {
		close(quit)
		<-done
	}
}

// adoptedAtStart reports whether tether's parent was already gone when
// tether started: on unix an orphan is adopted by init, so a parent pid of 1
// means the process that started tether had exited before tether could
// watch it (sh -c 'tether up &'). Tether cannot tell that from a service
// manager or a container's init that started it as pid 1's child, so both
// need --exit-with-parent=false. Windows has no adoption: a parent that is
// gone at start is found by watchParent itself.
func adoptedAtStart(ppid int, goos string) bool {
	return goos != "windows" && ppid == 1
}
