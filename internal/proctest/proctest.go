// Package proctest holds what the tests of several packages share: above
// all, it finds the processes a test started, for the leftover checks
// every process test ends with (and WriteChopped writes output as an odd
// sidecar would). Each test tags what it starts with
// the environment variable TETHER_TEST_TAG; descendants inherit it, so even
// processes that escaped the tree (setsid, double forks) are found.
//
// It reads /proc and so finds nothing elsewhere. Zombies do not count: they
// are dead, and the init of some machines (this project's CI among them)
// never reaps the orphans re-parented to it.
package proctest

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
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
	d, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var pids []int
	for _, e := range d {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		env, err := os.ReadFile("/proc/" + e.Name() + "/environ")
		if err != nil || !bytes.Contains(env, want) || Zombie(pid) {
			continue
		}
		pids = append(pids, pid)
	}
	return pids
}

// Zombie reports whether pid is a zombie (or gone).
func Zombie(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	// pid (comm) state ...; comm may hold spaces and parentheses.
	i := bytes.LastIndexByte(b, ')')
	return i < 0 || len(b) < i+3 || b[i+2] == 'Z' || b[i+2] == 'X'
}

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
				cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", p))
				desc = append(desc, fmt.Sprintf("%d %q", p, bytes.ReplaceAll(bytes.TrimRight(cmdline, "\x00"), []byte{0}, []byte{' '})))
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
