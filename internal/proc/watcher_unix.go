//go:build unix

package proc

import (
	"bytes"
	"errors"
	"os"
	"os/signal"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// init makes this process the host-death watcher when it was started as
// one, before any package that imports this one is initialised, and before
// main: any Go program that uses tether can serve as its own watcher without
// doing anything (see docs/containment.md, "Why package init"). Otherwise it
// notes whether this process can run a watcher at all.
func init() {
	if v, ok := os.LookupEnv(watcherEnv); ok {
		if pid, ok := watcherRequest(v); ok {
			runWatcher(pid)
		}
	}
	host.blocked = watcherBlocked()
}

// RunWatcherIfRequested is kept for hosts written before the watcher started
// from package initialisation: it does nothing, since a process started as
// a watcher never gets this far.
func RunWatcherIfRequested() {}

// watcherRequest reports whether the value v of TETHER_WATCHER asks this
// process to be a watcher, and for which host. It must be "v1," and the
// host's pid, and the lifeline (stdin) and the hello channel (stdout) must
// be pipes, as the host sets them up: a stray TETHER_WATCHER in a user's
// environment does not turn a program into a watcher.
func watcherRequest(v string) (hostPid int, ok bool) {
	rest, ok := strings.CutPrefix(v, "v1,")
	if !ok {
		return 0, false
	}
	pid, err := strconv.Atoi(rest)
	if err != nil || pid <= 1 || !isPipe(0) || !isPipe(1) {
		return 0, false
	}
	// A set-id program must not take kill orders from whoever started it.
	if os.Getuid() != os.Geteuid() || os.Getgid() != os.Getegid() {
		unix.Exit(2)
	}
	return pid, true
}

// isPipe reports whether fd is a pipe.
func isPipe(fd int) bool {
	var st unix.Stat_t
	return unix.Fstat(fd, &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFIFO
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
	debug.FreeOSMemory()
	shedFilePages()
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
