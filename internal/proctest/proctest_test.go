package proctest

import (
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// The test binary plays the tagged child: with PROCTEST_CHILD set it waits
// to be killed.
func TestMain(m *testing.M) {
	if os.Getenv("PROCTEST_CHILD") != "" {
		time.Sleep(time.Minute)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestTaggedFindsChildAndNoLeftoversAfterKill proves the process-table seam
// on the system the tests run on: a tagged child is found, with its
// command line and name, and is gone once killed.
func TestTaggedFindsChildAndNoLeftoversAfterKill(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$", "marker-arg")
	cmd.Env = append(os.Environ(), "PROCTEST_CHILD=1", Env(t))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var pids []int
	for deadline := time.Now().Add(10 * time.Second); len(pids) == 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatal("the tagged child was not found")
		}
		pids = Tagged(Tag(t))
	}
	if len(pids) != 1 || pids[0] != cmd.Process.Pid {
		t.Errorf("Tagged = %v, want [%d]", pids, cmd.Process.Pid)
	}
	if Zombie(cmd.Process.Pid) {
		t.Error("a live child is reported as a zombie")
	}
	if p, ok := Lookup(cmd.Process.Pid); !ok || p.PPid != os.Getpid() {
		t.Errorf("Lookup = %+v, %v; want parent %d", p, ok, os.Getpid())
	}
	if got := describe(cmd.Process.Pid); !strings.Contains(got, "marker-arg") {
		t.Errorf("command line %q lacks the child's argument", got)
	}
	if len(Tagged("no-such-tag")) != 0 {
		t.Error("an unused tag found processes")
	}
	cmd.Process.Kill()
	cmd.Wait()
	NoLeftovers(t, 5*time.Second)
	if !Zombie(cmd.Process.Pid) {
		t.Error("a reaped child is reported alive")
	}
}
