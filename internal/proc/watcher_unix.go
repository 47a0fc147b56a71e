//go:build unix

package proc

import (
	"bytes"
	"errors"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// RunWatcherIfRequested makes this process the host-death watcher when it
// was started as one, and never returns then; otherwise it returns at once,
// having noted that the executable can serve as a watcher.
//
// A host calls it first thing in main, before anything with side effects
// (docker's reexec.Init is the same idea): tether re-executes the host's own
// executable as the watcher, so the executable must know the hidden mode.
// Without the call tether runs no watcher, and a host killed with SIGKILL
// leaves behind what its direct children do not take down with them.
func RunWatcherIfRequested() {
	v, ok := os.LookupEnv(watcherEnv)
	if !ok {
		host.capable.Store(true)
		return
	}
	pid, err := strconv.Atoi(strings.TrimPrefix(v, "v1,"))
	if !strings.HasPrefix(v, "v1,") || err != nil || pid <= 1 {
		// Not ours to interpret: behave as a host.
		host.capable.Store(true)
		return
	}
	// A set-id program must not take kill orders from whoever started it.
	if os.Getuid() != os.Geteuid() || os.Getgid() != os.Getegid() {
		unix.Exit(2)
	}
	runWatcher(pid)
}

// runWatcher is the watcher process: it reads records from the lifeline
// (stdin) until the host is gone, then empties every unit still recorded and
// exits. It exits through unix.Exit: nothing of the host's (deferred calls,
// atexit hooks, a race detector's exit report) runs in it.
func runWatcher(hostPid int) {
	// Only SIGKILL ends it early: a terminal's ^C, a hang-up or a stray
	// SIGTERM must not take it away before the host has gone.
	signal.Ignore(syscall.SIGINT, syscall.SIGQUIT, syscall.SIGHUP, syscall.SIGTERM,
		syscall.SIGPIPE, syscall.SIGTSTP, syscall.SIGTTIN, syscall.SIGTTOU, syscall.SIGUSR1, syscall.SIGUSR2)
	_, _ = unix.Write(1, []byte(watcherHello))
	entries := make(map[string]watchEntry)
	var partial []byte
	waitHost(hostPid, func(b []byte) {
		partial = append(partial, b...)
		for {
			i := bytes.IndexByte(partial, '\n')
			if i < 0 {
				break
			}
			parseRecord(string(partial[:i]), entries)
			partial = partial[i+1:]
		}
	})
	sweep(entries)
	unix.Exit(0)
}

// readUntilEOF feeds handle with what fd 0 holds until end of file.
func readUntilEOF(handle func([]byte)) {
	buf := make([]byte, 4096)
	for {
		n, err := unix.Read(0, buf)
		if n > 0 {
			handle(buf[:n])
			continue
		}
		if errors.Is(err, unix.EINTR) {
			continue
		}
		return
	}
}

// drainStdin feeds handle with what fd 0 holds now, without waiting for more:
// once the host is known to be gone, its last records are in the pipe (or
// the pipe is at end of file).
func drainStdin(handle func([]byte)) {
	_ = unix.SetNonblock(0, true)
	readUntilEOF(handle)
}

// sweep kills every process of the recorded units and removes their
// cgroups: cgroup.kill for a cgroup; SIGKILL to the process group and to every
// process tagged with a recorded id for the others (which reaches setsid'd
// descendants that kept their environment). It repeats until a pass finds
// nobody, for 10 s at most.
func sweep(entries map[string]watchEntry) {
	if len(entries) == 0 {
		return
	}
	pgids := make(map[int]bool)
	var cgroups []string
	for _, e := range entries {
		if e.pgid > 0 {
			pgids[e.pgid] = true
		}
		if e.cgroup != "" {
			cgroups = append(cgroups, e.cgroup)
		}
	}
	tagged := func(id string) bool { _, ok := entries[id]; return ok }
	self := os.Getpid()
	wait := time.Millisecond
	for deadline := time.Now().Add(10 * time.Second); ; {
		left := 0
		for _, d := range cgroups {
			if cgroupPopulated(d) {
				killCgroup(d)
				left++
			}
		}
		for pg := range pgids {
			_ = unix.Kill(-pg, unix.SIGKILL)
		}
		procs, _ := readProcTable()
		for _, p := range procs {
			if p.zombie || p.pid == self {
				continue
			}
			hit := pgids[p.pgrp]
			if !hit {
				env, err := procEnviron(p.pid)
				hit = err == nil && taggedWith(env, tagged) != ""
			}
			if hit {
				_ = unix.Kill(p.pid, unix.SIGKILL)
				left++
			}
		}
		if left == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(wait)
		wait = min(2*wait, 20*time.Millisecond)
	}
	for _, d := range cgroups {
		removeCgroup(d)
	}
}
