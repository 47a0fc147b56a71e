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
