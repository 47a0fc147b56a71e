package probe

import (
	"bytes"
	"os"
	"path/filepath"

	"tether.dev/tether/internal/proc"
)

// leftovers reports whether a live process carries tag in its environment
// (zombies have none), or belongs to group pgid. Zombies do not count: the
// machine's init may not reap the orphans.
func leftovers(tag string, pgid int) bool {
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		env, err := os.ReadFile(filepath.Join(d, "environ"))
		if err != nil {
			continue
		}
		for kv := range bytes.SplitSeq(env, []byte{0}) {
			if string(kv) == tag {
				return true
			}
		}
	}
	return proc.GroupHasLiveMember(pgid)
}
