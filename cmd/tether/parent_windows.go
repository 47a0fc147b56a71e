package main

import (
	"golang.org/x/sys/windows"
)

// watchParent closes gone when tether's parent, whose pid was ppid when
// tether started, has ended, even when it was killed. On Windows tether
// opens the parent process and waits on its handle (it is signalled when
// the process ends) together with an event that stop sets. A process id can
// be reused once its process is gone: a "parent" created after tether
// itself is not the real one, which has then already ended.
func watchParent(ppid int) (gone <-chan struct{}, stop func()) {
	g := make(chan struct{})
	h, err := windows.OpenProcess(windows.SYNCHRONIZE|windows.PROCESS_QUERY_LIMITED_INFORMATION, false, uint32(ppid))
	if err != nil {
		if err == windows.ERROR_INVALID_PARAMETER { // no such process: it has ended
			close(g)
			return g, func() {}
		}
		return pollParent(ppid)
	}
	if startedAfterUs(h) {
		windows.CloseHandle(h)
		close(g)
		return g, func() {}
	}
	quit, err := windows.CreateEvent(nil, 1, 0, nil)
	if err != nil {
		windows.CloseHandle(h)
		return pollParent(ppid)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		ev, err := windows.WaitForMultipleObjects([]windows.Handle{h, quit}, false, windows.INFINITE)
		if err == nil && ev == windows.WAIT_OBJECT_0 {
			close(g)
		}
	}()
	return g, func() {
		windows.SetEvent(quit)
		<-done
		windows.CloseHandle(quit)
		windows.CloseHandle(h)
	}
}

// startedAfterUs reports whether the process of h was created after tether.
func startedAfterUs(h windows.Handle) bool {
	var pc, mc, x1, x2, y1, y2 windows.Filetime
	if windows.GetProcessTimes(h, &pc, &x1, &x2, &y1) != nil {
		return false
	}
	if windows.GetProcessTimes(windows.CurrentProcess(), &mc, &x1, &x2, &y2) != nil {
		return false
	}
	return pc.Nanoseconds() > mc.Nanoseconds()
}
