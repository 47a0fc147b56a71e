//go:build windows

package sidecar

import (
	"context"
	"time"

	"golang.org/x/sys/windows"
)

// waitSlice is how long one wait on tether's handle lasts before ctx is
// checked again.
const waitSlice = 250

// watchTether calls fire once the process pid (tether) has exited, until
// ctx ends: a wait on its process handle, so even a killed tether is noticed
// at once. A pid that cannot be opened is taken as already gone.
func watchTether(ctx context.Context, pid int, fire func(string)) {
	h, err := windows.OpenProcess(windows.SYNCHRONIZE, false, uint32(pid))
	if err != nil {
		fire("tether is gone")
		return
	}
	defer windows.CloseHandle(h)
	for ctx.Err() == nil {
		ev, err := windows.WaitForSingleObject(h, waitSlice)
		if err != nil || ev == windows.WAIT_OBJECT_0 {
			fire("tether is gone")
			return
		}
		if ev != uint32(windows.WAIT_TIMEOUT) {
			time.Sleep(time.Duration(waitSlice) * time.Millisecond)
		}
	}
}
