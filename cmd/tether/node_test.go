package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"tether.dev/tether/internal/proctest"
)

// examples/node/supervise.mjs, run for real: a Node host spawns tether,
// waits for ready, kills the sidecar, sees exited, restarting and a new
// ready, then closes tether's stdin; tether stops everything and exits 0,
// leaving nothing behind.
func TestNodeExample(t *testing.T) {
	t.Parallel()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not on PATH")
	}
	script, err := filepath.Abs(filepath.Join("..", "..", "examples", "node", "supervise.mjs"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, script, tetherBin)
	cmd.Env = append(os.Environ(), proctest.Env(t))
	done := make(chan struct{})
	var out []byte
	go func() {
		out, err = cmd.CombinedOutput()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(90 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatalf("the example did not finish in 90s:\n%s", out)
	}
	if err != nil || !strings.Contains(string(out), `"ok":true`) {
		t.Fatalf("example failed (%v):\n%s", err, out)
	}
	proctest.NoLeftovers(t, 2*time.Second)
}
