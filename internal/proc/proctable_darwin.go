package proc

import (
	"bytes"
	"encoding/binary"
	"errors"

	"golang.org/x/sys/unix"
)

// procInfo is one process as the process table shows it.
type procInfo struct {
	pid, ppid, pgrp, sid int
	start                uint64 // start time in µs: with pid, the process's identity
	zombie               bool
}

// sZomb is p_stat of a zombie (<sys/proc.h>).
const sZomb = 5

// readProcTable lists every process of the system (sysctl kern.proc.all).
// The session id is not available from it and is left 0.
func readProcTable() ([]procInfo, error) {
	kps, err := unix.SysctlKinfoProcSlice("kern.proc.all")
	if err != nil {
		return nil, err
	}
	out := make([]procInfo, 0, len(kps))
	for _, kp := range kps {
		out = append(out, procInfo{
			pid:    int(kp.Proc.P_pid),
			ppid:   int(kp.Eproc.Ppid),
			pgrp:   int(kp.Eproc.Pgid),
			start:  uint64(kp.Proc.P_starttime.Sec)*1e6 + uint64(kp.Proc.P_starttime.Usec),
			zombie: kp.Proc.P_stat == sZomb,
		})
	}
	return out, nil
}

// procEnviron returns a process's environment block (NUL separated), from
// sysctl kern.procargs2: argc, the executable's path, NUL padding, argc
// arguments, then the environment. Only our own user's processes (or any,
// for root) can be read.
func procEnviron(pid int) ([]byte, error) {
	b, err := unix.SysctlRaw("kern.procargs2", pid)
	if err != nil {
		return nil, err
	}
	if len(b) < 4 {
		return nil, errors.New("short kern.procargs2")
	}
	argc := int(binary.LittleEndian.Uint32(b)) // amd64 and arm64 are little-endian
	b = b[4:]
	i := bytes.IndexByte(b, 0)
	if i < 0 {
		return nil, nil
	}
	b = b[i:]
	for len(b) > 0 && b[0] == 0 {
		b = b[1:]
	}
	for ; argc > 0 && len(b) > 0; argc-- {
		i := bytes.IndexByte(b, 0)
		if i < 0 {
			return nil, nil
		}
		b = b[i+1:]
	}
	if i := bytes.Index(b, []byte{0, 0}); i >= 0 {
		b = b[:i+1]
	}
	return b, nil
}

// GroupHasLiveMember reports whether a process that is not a zombie has
// process group pgid (the tests of other packages ask it too). It is asked only when kill(-pgid, 0) found members.
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
