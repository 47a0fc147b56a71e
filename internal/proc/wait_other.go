//go:build !linux

package proc

import "os"

// waitExit does nothing here: the caller's Wait does the waiting.
func waitExit(*os.Process) {}

// onExit reports false: the caller waits in Wait.
func onExit(*os.Process, func()) bool { return false }
