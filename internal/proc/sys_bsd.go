//go:build unix && !linux

package proc

import "syscall"

func setPlatformAttr(*syscall.SysProcAttr) {}

// groupHasLiveMember is reached only when kill(-pgid, 0) found members.
// launchd and the BSD inits reap orphans promptly, so those members are
// taken as alive.
func groupHasLiveMember(int) bool { return true }
