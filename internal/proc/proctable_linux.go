package proc

import (
	"bytes"
	"strconv"

	"golang.org/x/sys/unix"
)

// procInfo is one process as the process table shows it.
type procInfo struct {
	pid, ppid, pgrp, sid int
	start                uint64 // start time, in clock ticks since boot: with pid, the process's identity
	zombie               bool   // exited, not yet reaped (or being reaped)
}

// readProcTable lists every process of the system from /proc. A process
// that goes away while the table is read is left out.
func readProcTable() ([]procInfo, error) {
	pids, err := listPids()
	if err != nil {
		return nil, err
	}
	out := make([]procInfo, 0, len(pids))
	buf := make([]byte, 1024)
	for _, pid := range pids {
		if p, ok := readProcStatBuf(pid, buf); ok {
			out = append(out, p)
		}
	}
	return out, nil
}

// readProcStat reads one process's /proc/PID/stat.
func readProcStat(pid int) (procInfo, bool) {
	return readProcStatBuf(pid, make([]byte, 1024))
}

// readProcStatBuf reads /proc/PID/stat into buf with three system calls (a
// stat line is far shorter than 1 KiB; a longer one is cut, and its fields
// past starttime are not needed).
func readProcStatBuf(pid int, buf []byte) (procInfo, bool) {
	fd, err := unix.Open("/proc/"+strconv.Itoa(pid)+"/stat", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return procInfo{}, false
	}
	n, err := unix.Read(fd, buf)
	unix.Close(fd)
	if err != nil || n <= 0 {
		return procInfo{}, false
	}
	return parseProcStat(pid, buf[:n])
}

// parseProcStat parses "pid (comm) state ppid pgrp session ... starttime ...";
// comm may hold spaces and ')', so fields are counted from the last ')'.
func parseProcStat(pid int, b []byte) (procInfo, bool) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return procInfo{}, false
	}
	f := bytes.Fields(b[i+1:])
	if len(f) < 20 {
		return procInfo{}, false
	}
	num := func(x []byte) int {
		n, _ := strconv.Atoi(string(x))
		return n
	}
	start, _ := strconv.ParseUint(string(f[19]), 10, 64)
	return procInfo{
		pid:    pid,
		ppid:   num(f[1]),
		pgrp:   num(f[2]),
		sid:    num(f[3]),
		start:  start,
		zombie: f[0][0] == 'Z' || f[0][0] == 'X',
	}, true
}

// procEnviron returns a process's initial environment block (NUL
// separated). It is empty for a zombie, and unreadable for another user's
// process unless we are root.
func procEnviron(pid int) ([]byte, error) {
	return readSysFile("/proc/" + strconv.Itoa(pid) + "/environ")
}

// GroupHasLiveMember reports whether a process that is not a zombie has
// process group pgid (the tests of other packages ask it too). It is asked only when kill(-pgid, 0) found members:
// orphans whose new parent does not reap them (a container's init, say)
// linger as zombies and must not count.
func GroupHasLiveMember(pgid int) bool {
	procs, err := readProcTable()
	if err != nil {
		return true
	}
	for _, p := range procs {
		if p.pgrp == pgid && !p.zombie {
			return true
		}
	}
	return false
}
