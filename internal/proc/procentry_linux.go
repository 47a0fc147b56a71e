package proc

import (
	"bytes"
	"os"
	"strconv"
)

func procCommand(pid int) (string, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	return string(bytes.ReplaceAll(bytes.TrimRight(b, "\x00"), []byte{0}, []byte{' '})), err
}

func procName(pid int) (string, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm")
	return string(bytes.TrimSpace(b)), err
}

func lookupProc(pid int) (procInfo, bool) { return readProcStat(pid) }
