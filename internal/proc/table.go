package proc

// Process is one entry of the system's process table, as the tests'
// leftover checks (internal/proctest) read it.
type Process struct {
	Pid    int
	PPid   int  // parent's pid
	Pgrp   int  // process group; 0 where there are none (Windows)
	Zombie bool // exited, not yet reaped
}

// Processes lists every process of the system: from /proc on Linux, sysctl
// kern.proc on macOS, a toolhelp snapshot on Windows. Elsewhere it fails
// with an error matching errors.ErrUnsupported.
func Processes() ([]Process, error) {
	procs, err := readProcTable()
	if err != nil {
		return nil, err
	}
	out := make([]Process, len(procs))
	for i, p := range procs {
		out[i] = Process{Pid: p.pid, PPid: p.ppid, Pgrp: p.pgrp, Zombie: p.zombie}
	}
	return out, nil
}

// Pids lists the pids of every process of the system, zombies included:
// cheaper than Processes where the table is a directory (Linux).
func Pids() ([]int, error) { return listPids() }

// Lookup returns process pid's entry of the process table; false if there
// is none (or, on systems without a table reader, always).
func Lookup(pid int) (Process, bool) {
	p, ok := lookupProc(pid)
	return Process{Pid: p.pid, PPid: p.ppid, Pgrp: p.pgrp, Zombie: p.zombie}, ok
}

// Environ returns the environment block of process pid, NUL separated.
// Another user's processes are readable only by an administrator; a
// zombie's is empty.
func Environ(pid int) ([]byte, error) { return procEnviron(pid) }

// Command returns process pid's command line, arguments separated by
// spaces, for messages (on Windows: its executable's name alone).
func Command(pid int) (string, error) { return procCommand(pid) }

// Name returns the name the system shows for process pid (Linux's comm, at
// most 15 bytes; the executable's base name elsewhere).
func Name(pid int) (string, error) { return procName(pid) }
