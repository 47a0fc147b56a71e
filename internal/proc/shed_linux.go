package proc

import (
	"bufio"
	"bytes"
	"io"
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
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		return
	}
	defer f.Close()
	for _, m := range sheddable(f) {
		// MADV_RANDOM first: a page touched again is then faulted in
		// alone, not with the 15 around it.
		_, _, _ = unix.Syscall(unix.SYS_MADVISE, m[0], m[1]-m[0], unix.MADV_RANDOM)
		_, _, _ = unix.Syscall(unix.SYS_MADVISE, m[0], m[1]-m[0], unix.MADV_DONTNEED)
	}
}

// sheddable returns the [start, end) ranges of the read-only file mappings
// in smaps whose pages all still hold the file's bytes (Anonymous: 0 kB).
// A read-only mapping with private copies is skipped: the dynamic linker
// writes relocations into RELRO pages (.got, .data.rel.ro) of a program
// linked with C libraries and then makes them read-only; dropping them
// would bring back the file's unrelocated bytes, and the process would
// crash on its next call through them.
func sheddable(smaps io.Reader) [][2]uintptr {
	var (
		out     [][2]uintptr
		cur     [2]uintptr
		curFile bool // cur is a read-only file mapping
	)
	sc := bufio.NewScanner(smaps)
	for sc.Scan() {
		fields := bytes.Fields(sc.Bytes())
		if len(fields) == 0 {
			continue
		}
		if lo, hi, ok := bytes.Cut(fields[0], []byte("-")); ok && len(fields) >= 5 {
			// A mapping's header: start-end perms offset dev inode [path]
			start, err1 := strconv.ParseUint(string(lo), 16, 64)
			end, err2 := strconv.ParseUint(string(hi), 16, 64)
			curFile = err1 == nil && err2 == nil && end > start && len(fields) >= 6 &&
				fields[5][0] == '/' && bytes.IndexByte(fields[1], 'w') < 0
			cur = [2]uintptr{uintptr(start), uintptr(end)}
			continue
		}
		if curFile && string(fields[0]) == "Anonymous:" && len(fields) >= 2 {
			if string(fields[1]) == "0" {
				out = append(out, cur)
			}
			curFile = false
		}
	}
	return out
}
