package proc

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"

	"golang.org/x/sys/unix"
)

// procCommand reads the arguments from sysctl kern.procargs2 (see
// procEnviron for its layout).
func procCommand(pid int) (string, error) {
	b, err := unix.SysctlRaw("kern.procargs2", pid)
	if err != nil {
		return "", err
	}
	if len(b) < 4 {
		return "", errors.New("short kern.procargs2")
	}
	argc := int(binary.LittleEndian.Uint32(b))
	b = b[4:]
	if i := bytes.IndexByte(b, 0); i >= 0 { // the executable's path
		b = b[i:]
	}
	b = bytes.TrimLeft(b, "\x00")
	var args []string
	for ; argc > 0 && len(b) > 0; argc-- {
		i := bytes.IndexByte(b, 0)
		if i < 0 {
			i = len(b)
		}
		args = append(args, string(b[:i]))
		b = b[min(i+1, len(b)):]
	}
	return strings.Join(args, " "), nil
}

func procName(pid int) (string, error) {
	kp, err := unix.SysctlKinfoProc("kern.proc.pid", pid)
	if err != nil {
		return "", err
	}
	comm := kp.Proc.P_comm[:]
	if i := bytes.IndexByte(comm, 0); i >= 0 {
		comm = comm[:i]
	}
	return string(comm), nil
}

func lookupProc(pid int) (procInfo, bool) {
	kp, err := unix.SysctlKinfoProc("kern.proc.pid", pid)
	if err != nil || int(kp.Proc.P_pid) != pid {
		return procInfo{}, false
	}
	return procInfo{
		pid:    pid,
		ppid:   int(kp.Eproc.Ppid),
		pgrp:   int(kp.Eproc.Pgid),
		start:  uint64(kp.Proc.P_starttime.Sec)*1e6 + uint64(kp.Proc.P_starttime.Usec),
		zombie: kp.Proc.P_stat == sZomb,
	}, true
}
