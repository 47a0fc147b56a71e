//go:build linux

package sidecar_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"tether.dev/tether/internal/proctest"
)

// docs/hosts.md's "The sidecar's side" shows one program per SDK; each is
// a file the tests run, included verbatim.
func TestHostsDocIncludesTheSidecars(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "docs", "hosts.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range []string{"examples/gosidecar/main.go", "sdk/python/tests/sync_sidecar.py", "sdk/node/test/fixtures/sidecar.mjs"} {
		src, err := os.ReadFile(filepath.Join("..", file))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(doc), "\n"+string(src)+"```\n") {
			t.Errorf("docs/hosts.md does not include %s verbatim in a code block", file)
		}
	}
}

// examples/gosidecar under tether: ready over notify on the port tether
// chose, then a graceful stop.
func TestGoSidecarExample(t *testing.T) {
	t.Parallel()
	bin := filepath.Join(t.TempDir(), "gosidecar")
	if out, err := exec.Command("go", "build", "-o", bin, "../examples/gosidecar").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	dir := t.TempDir()
	cmd := exec.Command(tetherBin, "run", "--output", "json", "--ready", "notify", "--port", "auto", "--", bin)
	cmd.Env = append(os.Environ(), proctest.Env(t))
	r := startRun(t, cmd, dir)
	spawned := r.await(20*time.Second, "spawned", isKind("spawned"))
	line := r.await(20*time.Second, "listening", lineHas("listening on"))
	if !strings.HasSuffix(line.str("line"), ":"+strconv.Itoa(spawned.num("port"))) {
		t.Errorf("%q, port %d", line.str("line"), spawned.num("port"))
	}
	r.await(20*time.Second, "ready", isKind("ready"))
	r.send(`{"cmd":"stop"}`)
	r.await(15*time.Second, "the stop", lineHas("stopping: sidecar: stop requested: signal TERM"))
	ex := r.await(15*time.Second, "exited", isKind("exited"))
	if ex.num("code") != 0 {
		t.Errorf("exited %v", ex)
	}
	r.wait(15 * time.Second)
}
