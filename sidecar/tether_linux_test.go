//go:build linux

package sidecar_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"tether.dev/tether/internal/proctest"
)

// event is one of tether's NDJSON events, kept as a map.
type event map[string]any

func (e event) kind() string { s, _ := e["event"].(string); return s }
func (e event) str(k string) string {
	s, _ := e[k].(string)
	return s
}
func (e event) num(k string) int {
	f, _ := e[k].(float64)
	return int(f)
}

// run is one tether process under test.
type run struct {
	t     *testing.T
	cmd   *exec.Cmd
	stdin io.WriteCloser
	dir   string     // SIDECAR_TEST_DIR
	evs   chan event // wakes await after each event; closed at the end
	mu    sync.Mutex
	seen  []event
	taken map[int]bool
	done  chan struct{} // closed when tether has exited
	err   error
}

// startTether runs `tether run ARGS -- <this test binary as a sidecar>`.
func startTether(t *testing.T, role string, extraEnv []string, args ...string) *run {
	t.Helper()
	dir := t.TempDir()
	args = append(append([]string{"run", "--output", "json", "--grace", "5s"}, args...), "--", os.Args[0])
	cmd := exec.Command(tetherBin, args...)
	cmd.Env = append(append(os.Environ(), proctest.Env(t), roleVar+"="+role, "SIDECAR_TEST_DIR="+dir), extraEnv...)
	return startRun(t, cmd, dir)
}

// startRun starts cmd, a tether whose stdout carries events; dir is the
// sidecar's SIDECAR_TEST_DIR.
func startRun(t *testing.T, cmd *exec.Cmd, dir string) *run {
	t.Helper()
	r := &run{t: t, cmd: cmd, dir: dir, evs: make(chan event, 1), taken: map[int]bool{}, done: make(chan struct{})}
	r.cmd.Stderr = os.Stderr
	var err error
	if r.stdin, err = r.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	out, err := r.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(out)
		sc.Buffer(nil, 8<<20)
		for sc.Scan() {
			var e event
			if json.Unmarshal(sc.Bytes(), &e) == nil {
				r.mu.Lock()
				r.seen = append(r.seen, e)
				r.mu.Unlock()
				select {
				case r.evs <- e:
				default: // a wake-up is pending already
				}
			}
		}
		r.err = r.cmd.Wait()
		close(r.evs)
		close(r.done)
	}()
	t.Cleanup(func() {
		r.cmd.Process.Kill()
		<-r.done
		proctest.NoLeftovers(t, 5*time.Second)
	})
	return r
}

// await returns the first event that matches and was not returned before,
// in the order tether wrote them (output and state events of one attempt
// may come in either order), failing the test after d.
func (r *run) await(d time.Duration, what string, match func(event) bool) event {
	r.t.Helper()
	timeout := time.After(d)
	for {
		r.mu.Lock()
		for i, e := range r.seen {
			if !r.taken[i] && match(e) {
				r.taken[i] = true
				r.mu.Unlock()
				return e
			}
		}
		r.mu.Unlock()
		select {
		case _, ok := <-r.evs:
			if !ok {
				r.t.Fatalf("tether exited (%v) before %s; events: %s", r.err, what, r.kinds())
			}
		case <-timeout:
			r.t.Fatalf("no %s within %v; events: %s", what, d, r.kinds())
		}
	}
}

func (r *run) kinds() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var b strings.Builder
	for _, e := range r.seen {
		b.WriteString(e.kind())
		if l := e.str("line"); l != "" {
			fmt.Fprintf(&b, "(%q)", l)
		}
		if l := e.str("error"); l != "" {
			fmt.Fprintf(&b, "(%q)", l)
		}
		b.WriteString(" ")
	}
	return b.String()
}

func isKind(k string) func(event) bool { return func(e event) bool { return e.kind() == k } }

func lineHas(s string) func(event) bool {
	return func(e event) bool { return e.kind() == "stdout" && strings.Contains(e.str("line"), s) }
}

func (r *run) send(cmd string) {
	r.t.Helper()
	if _, err := io.WriteString(r.stdin, cmd+"\n"); err != nil {
		r.t.Fatal(err)
	}
}

// wait waits for tether to exit.
func (r *run) wait(d time.Duration) {
	r.t.Helper()
	for range r.evs {
	}
	select {
	case <-r.done:
	case <-time.After(d):
		r.t.Fatalf("tether did not exit within %v", d)
	}
}

// TestReadyAndStopKinds: a sidecar written with the SDK reports ready over
// notify, gets its port, and its stop hook fires on each kind of stop
// tether can ask for; it then stops gracefully (exit 0, expected).
func TestReadyAndStopKinds(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		args  []string
		stop  func(r *run)
		cause string
	}{
		{"stop command (TERM)", nil, func(r *run) { r.send(`{"cmd":"stop"}`) }, "signal TERM"},
		{"SIGTERM to tether", nil, func(r *run) { r.cmd.Process.Signal(syscall.SIGTERM) }, "signal TERM"},
		{"stop signal INT", []string{"--stop-signal", "INT"}, func(r *run) { r.send(`{"cmd":"stop"}`) }, "signal INT"},
		{"stop request stdin-close", []string{"--stop-request", "stdin-close"}, func(r *run) { r.send(`{"cmd":"stop"}`) }, "stdin closed"},
		{"stop request stdin:quit", []string{"--stop-request", "stdin:quit"}, func(r *run) { r.send(`{"cmd":"stop"}`) }, `stdin line "quit"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"--ready", "notify", "--port", "auto", "--lifeline", "stdin"}, c.args...)
			r := startTether(t, "sidecar", nil, args...)
			spawned := r.await(20*time.Second, "spawned", isKind("spawned"))
			hello := r.await(20*time.Second, "the sidecar's first line", lineHas("port="))
			if want := fmt.Sprintf("port=%d", spawned.num("port")); spawned.num("port") == 0 || !strings.Contains(hello.str("line"), want) {
				t.Fatalf("sidecar said %q; spawned had port %d", hello.str("line"), spawned.num("port"))
			}
			r.await(20*time.Second, "ready", isKind("ready"))
			c.stop(r)
			r.await(15*time.Second, "the stop hook", lineHas("graceful stop: "+c.cause))
			ex := r.await(15*time.Second, "exited", isKind("exited"))
			if ex.num("code") != 0 || ex["expected"] != true {
				t.Errorf("exited %v", ex)
			}
			r.wait(15 * time.Second)
		})
	}
}

// TestWatchdogRestartsBlockedLoop: under --watchdog 2s, a sidecar whose
// event loop blocks for 5 s stops pinging; tether restarts it, and the new
// attempt is ready again and stops gracefully.
func TestWatchdogRestartsBlockedLoop(t *testing.T) {
	t.Parallel()
	r := startTether(t, "sidecar", []string{"SIDECAR_TEST_BLOCK=1"},
		"--ready", "notify", "--watchdog", "2s", "--backoff-initial", "100ms")
	r.await(20*time.Second, "ready 1", func(e event) bool { return e.kind() == "ready" && e.num("attempt") == 1 })
	r.await(20*time.Second, "the blocked loop", lineHas("blocking the event loop"))
	start := time.Now()
	r.await(20*time.Second, "unhealthy (watchdog)", func(e event) bool {
		return e.kind() == "unhealthy" && e.num("attempt") == 1 && strings.Contains(e.str("error"), "watchdog")
	})
	if d := time.Since(start); d > 4500*time.Millisecond {
		t.Errorf("the watchdog took %v to act on a loop blocked for 5s (period 2s)", d)
	}
	r.await(20*time.Second, "exited 1", func(e event) bool { return e.kind() == "exited" && e.num("attempt") == 1 })
	r.await(20*time.Second, "ready 2", func(e event) bool { return e.kind() == "ready" && e.num("attempt") == 2 })
	// Attempt 2 stays up for more than two periods: its pings arrive.
	time.Sleep(5 * time.Second)
	r.send(`{"cmd":"stop"}`)
	r.await(15*time.Second, "the stop hook", lineHas("graceful stop: signal TERM"))
	r.wait(15 * time.Second)
	for _, e := range r.seen {
		if e.kind() == "exited" && e.num("attempt") == 2 && (e.num("code") != 0 || e["expected"] != true) {
			t.Errorf("attempt 2 %v", e)
		}
		if e.num("attempt") > 2 {
			t.Errorf("a third attempt: %v", e)
		}
	}
}

// TestTetherKilled: when tether is SIGKILLed, the sidecar is gone soon
// after (tether's watcher kills the tree; the SDK's own watch on TETHER_PID
// is the backstop that TestParentDeath proves).
func TestTetherKilled(t *testing.T) {
	t.Parallel()
	r := startTether(t, "sidecar", nil, "--ready", "notify")
	e := r.await(20*time.Second, "the sidecar's first line", lineHas("pid="))
	pid, err := strconv.Atoi(strings.Fields(strings.TrimPrefix(e.str("line"), "pid="))[0])
	if err != nil {
		t.Fatal(err)
	}
	r.await(20*time.Second, "ready", isKind("ready"))
	r.cmd.Process.Kill()
	<-r.done
	deadline := time.Now().Add(10 * time.Second)
	for !proctest.Zombie(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("the sidecar (pid %d) outlived a SIGKILLed tether by 10s", pid)
		}
		time.Sleep(50 * time.Millisecond)
	}
	proctest.NoLeftovers(t, 5*time.Second)
}

// TestParentDeath: the stop hook fires when tether (TETHER_PID) dies, with
// no help from tether's watcher: a stand-in for tether starts the sidecar,
// directly or through a shell, and exits. The sidecar stops gracefully.
func TestParentDeath(t *testing.T) {
	t.Parallel()
	for _, indirect := range []string{"", "1"} {
		t.Run("indirect="+indirect, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			cmd := exec.Command(os.Args[0])
			cmd.Env = append(os.Environ(), proctest.Env(t), roleVar+"=middle", "SIDECAR_TEST_DIR="+dir, "SIDECAR_TEST_INDIRECT="+indirect)
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("%v: %s", err, out)
			}
			deadline := time.Now().Add(10 * time.Second)
			for {
				files, _ := filepath.Glob(filepath.Join(dir, "stopped-*"))
				if len(files) == 1 {
					b, _ := os.ReadFile(files[0])
					if len(b) > 0 {
						if !strings.Contains(string(b), "tether is gone") {
							t.Errorf("stopped because %q", b)
						}
						break
					}
				}
				if time.Now().After(deadline) {
					t.Fatalf("the sidecar did not see its parent die within 10s; it said %q", out)
				}
				time.Sleep(50 * time.Millisecond)
			}
			proctest.NoLeftovers(t, 5*time.Second)
		})
	}
}
