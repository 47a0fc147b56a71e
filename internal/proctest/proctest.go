// Package proctest holds what the tests of several packages share: above
// all, it finds the processes a test started, for the leftover checks
// every process test ends with (and WriteChopped writes output as an odd
// sidecar would). Each test tags what it starts with
// the environment variable TETHER_TEST_TAG; descendants inherit it, so even
// processes that escaped the tree (setsid, double forks) are found.
//
// It reads the process table through internal/proc (/proc on Linux, sysctl
// on macOS, a toolhelp snapshot and each process's memory on Windows), and
// finds nothing on other systems. Zombies do not count: they are dead, and
// the init of some machines (this project's CI among them) never reaps the
// orphans re-parented to it.
package proctest

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"tether.dev/tether/internal/proc"
)

// TagVar is the environment variable that carries a test's tag.
const TagVar = "TETHER_TEST_TAG"

// Tag returns t's tag: its name and this process's pid, so that parallel
// tests and parallel test binaries never share one.
func Tag(t testing.TB) string {
	return strings.NewReplacer("/", "_", " ", "_").Replace(t.Name()) + "-" + strconv.Itoa(os.Getpid())
}

// Env returns the TETHER_TEST_TAG=... entry for t.
func Env(t testing.TB) string { return TagVar + "=" + Tag(t) }

// Tagged lists the live processes (not zombies, not this one) whose
// environment holds tag.
func Tagged(tag string) []int {
	want := []byte(TagVar + "=" + tag + "\x00")
	all, err := proc.Pids()
	if err != nil {
		return nil
	}
	var pids []int
	for _, pid := range all {
		if pid == os.Getpid() {
			continue
		}
		// A zombie's environment is empty: the environment is read first,
		// the process's state only for the few that match.
		env, err := proc.Environ(pid)
		if err != nil || !bytes.Contains(env, want) || Zombie(pid) {
			continue
		}
		pids = append(pids, pid)
	}
	return pids
}

// Zombie reports whether pid is a zombie (or gone).
func Zombie(pid int) bool {
	p, ok := Lookup(pid)
	return !ok || p.Zombie
}

// Lookup returns pid's entry of the process table; false if there is none.
func Lookup(pid int) (proc.Process, bool) { return proc.Lookup(pid) }

// Named returns the live processes tagged tag whose name (see proc.Name) is
// name.
func Named(tag, name string) []int {
	var pids []int
	for _, p := range Tagged(tag) {
		if n, _ := proc.Name(p); n == name {
			pids = append(pids, p)
		}
	}
	return pids
}

// GroupHasLiveMember reports whether a live process (not a zombie) has
// process group pgid.
func GroupHasLiveMember(pgid int) bool { return proc.GroupHasLiveMember(pgid) }

// NoLeftovers fails t unless every process tagged for t is gone within d.
// Whatever is left is described, then killed, so one failure does not spill
// into the next test.
func NoLeftovers(t testing.TB, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		pids := Tagged(Tag(t))
		if len(pids) == 0 {
			return
		}
		if time.Now().After(deadline) {
			var desc []string
			for _, p := range pids {
				desc = append(desc, describe(p))
			}
			KillTagged(Tag(t))
			t.Fatalf("processes left behind after %v: %v", d, desc)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// KillTagged kills every process tagged tag, again and again while new ones
// appear (a fork loop), for up to half a second.
func KillTagged(tag string) {
	for range 50 {
		pids := Tagged(tag)
		if len(pids) == 0 {
			return
		}
		for _, p := range pids {
			if pr, err := os.FindProcess(p); err == nil {
				_ = pr.Kill()
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// describe is pid and its command line, for messages.
func describe(pid int) string {
	cmdline, _ := proc.Command(pid)
	return fmt.Sprintf("%d %q", pid, cmdline)
}

// WaitGone waits up to d for pid to be gone (or a zombie), and reports
// whether it went.
func WaitGone(pid int, d time.Duration) bool {
	for deadline := time.Now().Add(d); !Zombie(pid); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			return false
		}
	}
	return true
}
