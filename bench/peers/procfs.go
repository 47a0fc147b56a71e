//go:build linux

package main

import (
	"bytes"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// statFields returns the fields of /proc/PID/stat after the command name:
// [0] is the state, [11] utime, [12] stime (clock ticks).
func statFields(pid int) []string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return nil
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return nil
	}
	return strings.Fields(string(b[i+1:]))
}

// alive: the process exists and is not a zombie.
func alive(pid int) bool {
	f := statFields(pid)
	return f != nil && f[0] != "Z" && f[0] != "X"
}

const clkTck = 100 // sysconf(_SC_CLK_TCK) on Linux

// cpuSeconds is the process's own user+system time.
func cpuSeconds(pid int) float64 {
	f := statFields(pid)
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseFloat(f[11], 64)
	s, _ := strconv.ParseFloat(f[12], 64)
	return (u + s) / clkTck
}

// rssKiB is VmRSS from /proc/PID/status.
func rssKiB(pid int) int {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			f := strings.Fields(l)
			n, _ := strconv.Atoi(f[1])
			return n
		}
	}
	return 0
}

// tagged lists the live (non-zombie) processes whose initial environment
// holds the variable kv ("KEY=VALUE"); a kv ending in "*" matches every
// value that starts with what precedes the star.
func tagged(kv string) []int {
	needle := []byte(kv + "\x00")
	if strings.HasSuffix(kv, "*") {
		needle = []byte(strings.TrimSuffix(kv, "*"))
	}
	ents, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/environ")
		if err != nil {
			continue
		}
		if (bytes.HasPrefix(b, needle) || bytes.Contains(b, append([]byte{0}, needle...))) && alive(pid) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// killTagged SIGKILLs every live process that tagged(kv) lists and waits
// until none is left; it returns how many it found.
func killTagged(kv string) int {
	pids := tagged(kv)
	for _, p := range pids {
		syscall.Kill(p, syscall.SIGKILL)
	}
	for i := 0; i < 200 && len(tagged(kv)) > 0; i++ {
		time.Sleep(10 * time.Millisecond)
	}
	return len(pids)
}

// waitGone waits up to d for pid to be gone or a zombie.
func waitGone(pid int, d time.Duration) bool {
	end := time.Now().Add(d)
	for time.Now().Before(end) {
		if !alive(pid) {
			return true
		}
		time.Sleep(2 * time.Millisecond)
	}
	return !alive(pid)
}
