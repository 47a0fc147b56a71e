package proc

import (
	"bufio"
	"bytes"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// shedFilePages drops this process's page-table entries for its read-only
// file mappings: the executable's code and constants, and the C library's
// when the executable is linked with it. The watcher calls it once
// it runs: its start-up (the runtime's, and the initialisers of the
// packages before tether's) touched megabytes of the host's executable,
// which the page cache shares with the host and which the watcher's loop no
// longer needs, but which count in its RSS until dropped. A page touched
// again is simply faulted back in, alone. Writable mappings are never
// touched.
func shedFilePages() {
	f, err := os.Open("/proc/self/maps")
	if err != nil {
		return
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// start-end perms offset dev inode path
		fields := bytes.Fields(sc.Bytes())
		if len(fields) < 6 || fields[5][0] != '/' || bytes.IndexByte(fields[1], 'w') >= 0 {
			continue
		}
		lo, hi, ok := bytes.Cut(fields[0], []byte("-"))
		if !ok {
			continue
		}
		start, err1 := strconv.ParseUint(string(lo), 16, 64)
		end, err2 := strconv.ParseUint(string(hi), 16, 64)
		if err1 != nil || err2 != nil || end <= start {
			continue
		}
		// MADV_RANDOM first: a page touched again is then faulted in
		// alone, not with the 15 around it.
		_, _, _ = unix.Syscall(unix.SYS_MADVISE, uintptr(start), uintptr(end-start), unix.MADV_RANDOM)
		_, _, _ = unix.Syscall(unix.SYS_MADVISE, uintptr(start), uintptr(end-start), unix.MADV_DONTNEED)
	}
}
