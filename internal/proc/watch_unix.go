//go:build unix

package proc

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// host is what is inherently one per host process. It is the package's only
// mutable state, and nothing in it exists before it is needed:
//   - blocked: why this process cannot run a watcher at all (see
//     watcherBlocked), or nil; set once by the package's init;
//   - watch: the watcher process, shared by every Launcher of the process,
//     started with the first attempt and stopped when the last Launcher
//     closes;
//   - subreaper: the host's PR_SET_CHILD_SUBREAPER attribute (Linux), set
//     while any attempt in ModeSubreaper lives;
//   - walks: the reads of the process table that the walks of every
//     ModeSubreaper attempt share (Linux).
var host struct {
	blocked   error
	watch     watchHub
	subreaper subreaperFlag
	walks     tableReader
}

// hostAcquire and hostRelease bracket a Launcher's life.
func hostAcquire() { host.watch.acquire() }
func hostRelease() { host.watch.release() }

// watchHub is the host's side of the watcher: a process that outlives the
// host and, when the host dies, empties every containment unit the host had
// not released. It is one re-execution of the host's own executable (see
// RunWatcherIfRequested), reading a lifeline pipe that the host holds
// open: the host's death, however it dies, closes the pipe.
//
// The hub keeps every record it sent, so that a watcher that died (killed by
// hand) is replaced by a new one that gets them all. Records are lines far
// below PIPE_BUF, so each write is atomic: a record written before the host
// died is read whole.
type watchHub struct {
	mu       sync.Mutex
	users    int                   // open Launchers
	w        *watcherProc          // the running watcher, or nil
	failed   error                 // why the last start failed; not retried until users drops to 0
	entries  map[string]watchEntry // attempt id → what the watcher must empty
	dropped  []string              // "- ID" records not written yet (forget)
	dropping bool                  // a forget is writing dropped
}

// watchEntry is what the watcher needs to empty one attempt's unit, besides
// its tag: the child's process group (0 before it runs) and its cgroup ("").
type watchEntry struct {
	pgid   int
	cgroup string
}

func (h *watchHub) acquire() {
	h.mu.Lock()
	h.users++
	h.mu.Unlock()
}

// release ends the watcher with the last user. A record still kept then (a
// cgroup that could not be emptied) is emptied by the watcher as it goes.
func (h *watchHub) release() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.users--
	if h.users > 0 {
		return
	}
	if h.w != nil {
		h.w.stop()
		h.w = nil
	}
	h.failed = nil
	clear(h.entries)
}

// watch records (or updates) attempt id and returns nil when a watcher now
// covers it, or an error matching ErrNoWatcher that says why none does and
// what would fix it. It starts the watcher on first need. A start that failed
// for want of a resource (file descriptors, processes, memory) is tried again
// at the next attempt; any other failure stands until the last Launcher
// closes.
func (h *watchHub) watch(id string, e watchEntry) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if host.blocked != nil {
		return host.blocked
	}
	if h.users == 0 {
		return noWatcher(errors.New("no Launcher is open"), "start children through a Launcher")
	}
	if h.entries == nil {
		h.entries = make(map[string]watchEntry)
	}
	h.entries[id] = e
	if h.w != nil {
		if h.w.send(addRecord(id, e)) == nil {
			return nil
		}
		h.w.discard() // it died: a new one gets every record
		h.w = nil
	}
	if h.failed != nil && !resourceShortage(h.failed) {
		return h.failed
	}
	w, err := startWatcher()
	for id, e := range h.entries {
		if err != nil {
			break
		}
		if err = w.send(addRecord(id, e)); err != nil {
			w.discard()
		}
	}
	if err != nil {
		h.failed = noWatcher(err, fixFor(err))
		return h.failed
	}
	h.w, h.failed = w, nil
	return nil
}

// forget drops attempt id's record: its unit is empty and released. The
// watcher hears of it soon, not at once: the drops of a thousand attempts
// stopped together are written a pipe's atomic write at a time by whichever
// forget came while none was writing, not one write each in turn under the
// hub's lock, which made every release wait for all those before it. (A
// host that dies meanwhile leaves the watcher to empty a unit already empty.)
func (h *watchHub) forget(id string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.entries[id]; !ok {
		return
	}
	delete(h.entries, id)
	if h.w == nil {
		return
	}
	h.dropped = append(h.dropped, "- "+id+"\n")
	if h.dropping {
		return // the goroutine writing drops writes this one too
	}
	h.dropping = true
	for len(h.dropped) > 0 && h.w != nil {
		w, batch := h.w, h.takeDrops()
		h.mu.Unlock()
		_ = w.send(batch)
		h.mu.Lock()
	}
	h.dropped, h.dropping = h.dropped[:0], false
}

// takeDrops removes from h.dropped the drops that fit in one atomic write to
// the lifeline (PIPE_BUF: other records are written meanwhile, and must not
// be cut into), and returns them. The caller holds h.mu.
func (h *watchHub) takeDrops() string {
	const pipeBuf = 512 // POSIX's least PIPE_BUF; Linux's is 4096
	var b strings.Builder
	n := 0
	for n < len(h.dropped) && (n == 0 || b.Len()+len(h.dropped[n]) <= pipeBuf) {
		b.WriteString(h.dropped[n])
		n++
	}
	h.dropped = h.dropped[n:]
	return b.String()
}

// addRecord and parseRecord are the lifeline's protocol: "+ ID PGID
// "CGROUP"\n" records or updates an attempt, "- ID\n" drops it.
func addRecord(id string, e watchEntry) string {
	return "+ " + id + " " + strconv.Itoa(e.pgid) + " " + strconv.Quote(e.cgroup) + "\n"
}

func parseRecord(line string, entries map[string]watchEntry) {
	op, rest, _ := strings.Cut(line, " ")
	switch op {
	case "-":
		delete(entries, rest)
	case "+":
		id, rest, _ := strings.Cut(rest, " ")
		pg, cg, _ := strings.Cut(rest, " ")
		pgid, err := strconv.Atoi(pg)
		if err != nil || id == "" {
			return
		}
		dir, err := strconv.Unquote(cg)
		if err != nil {
			return
		}
		entries[id] = watchEntry{pgid: pgid, cgroup: dir}
	}
}

// watcherEnv in the environment makes RunWatcherIfRequested become the
// watcher. Its value is "v1," and the host's pid.
const watcherEnv = "TETHER_WATCHER"

// watcherHello is what a watcher writes on its stdout once it runs.
const watcherHello = "tether-watcher v1 ready\n"

// watcherHelloTimeout bounds the wait for a new watcher's hello: the host's
// own start-up (its package initialisers) runs before it.
const watcherHelloTimeout = 10 * time.Second

// watcherProc is a running watcher.
type watcherProc struct {
	cmd  *exec.Cmd
	life *os.File // the lifeline's write end; the watcher's stdin
}

// startWatcher re-executes the host's executable as a watcher and waits for
// its hello.
func startWatcher() (*watcherProc, error) {
	exe, err := watcherExecutable()
	if err != nil {
		return nil, fmt.Errorf("watcher: find the executable: %w", err)
	}
	lifeR, lifeW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("watcher: %w", err)
	}
	helloR, helloW, err := os.Pipe()
	if err != nil {
		lifeR.Close()
		lifeW.Close()
		return nil, fmt.Errorf("watcher: %w", err)
	}
	defer helloR.Close()
	env := make([]string, 0, len(os.Environ())+2)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, watcherEnv+"=") && !strings.HasPrefix(kv, "GOMAXPROCS=") {
			env = append(env, kv)
		}
	}
	env = append(env, watcherEnv+"=v1,"+strconv.Itoa(os.Getpid()), "GOMAXPROCS=1")
	cmd := &exec.Cmd{
		Path:   exe,
		Args:   []string{"tether-watcher"},
		Env:    env,
		Stdin:  lifeR,
		Stdout: helloW,
		// Its own process group: a signal to the host's group (a
		// terminal's ^C, kill -9 -PGID) must not take it along.
		// No parent-death signal: it must outlive the host.
		SysProcAttr: &syscall.SysProcAttr{Setpgid: true},
	}
	err = cmd.Start()
	lifeR.Close()
	helloW.Close()
	if err != nil {
		lifeW.Close()
		return nil, fmt.Errorf("watcher: start %s: %w", exe, err)
	}
	w := &watcherProc{cmd: cmd, life: lifeW}
	_ = helloR.SetReadDeadline(time.Now().Add(watcherHelloTimeout))
	got := make([]byte, len(watcherHello))
	if _, err := io.ReadFull(helloR, got); err != nil || !bytes.Equal(got, []byte(watcherHello)) {
		w.discard()
		if err == nil {
			err = fmt.Errorf("said %q", got)
		}
		return nil, fmt.Errorf("watcher %s did not start (something in the program's initialisation exits or blocks before package tether's): %w", exe, err)
	}
	return w, nil
}

func (w *watcherProc) send(rec string) error {
	_, err := io.WriteString(w.life, rec)
	return err
}

// stop closes the lifeline and reaps the watcher, which empties what is
// still recorded and exits.
func (w *watcherProc) stop() {
	w.life.Close()
	_ = w.cmd.Wait()
}

// discard kills and reaps a watcher that is dead or useless.
func (w *watcherProc) discard() {
	w.life.Close()
	_ = w.cmd.Process.Kill() // it may be gone already; Wait reaps it either way
	_ = w.cmd.Wait()
}
