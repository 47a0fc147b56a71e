package probe

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
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
	return groupHasLiveMember(pgid)
}

// groupHasLiveMember reports whether a process other than a zombie is in
// process group pgid.
func groupHasLiveMember(pgid int) bool {
	dirs, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, f := range dirs {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		// pid (comm) state ppid pgrp ...; comm may hold spaces and parens.
		i := bytes.LastIndexByte(b, ')')
		if i < 0 {
			continue
		}
		fields := bytes.Fields(b[i+1:])
		if len(fields) < 3 {
			continue
		}
		if string(fields[0]) != "Z" && string(fields[2]) == strconv.Itoa(pgid) {
			return true
		}
	}
	return false
}
