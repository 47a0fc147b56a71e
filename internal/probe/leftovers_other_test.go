//go:build unix && !linux

package probe

import "golang.org/x/sys/unix"

// leftovers reports whether any process of group pgid exists. Without /proc
// the tag cannot be seen; the group is what Exec kills.
func leftovers(_ string, pgid int) bool {
	return unix.Kill(-pgid, 0) != unix.ESRCH
}
