//go:build !linux

package proc

import "os"

// waitExit does nothing here: the caller's Wait does the waiting.
func waitExit(*os.Process) {}
