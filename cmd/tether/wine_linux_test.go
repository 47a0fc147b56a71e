package main

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"tether.dev/tether/internal/proctest"
)

// The Windows build of tether, run under Wine (opt in: TETHER_TEST_WINE=1;
// .ci/wine/setup.sh prepares the prefix): events and a stdin command, the
// stdin lifeline, and exit-with-parent through a process handle, with a
// Windows parent that exits; the stop request (stdin-close); notify over
// the named pipe and the watchdog. Wine cannot deliver CTRL_BREAK, so the
// signal's graceful stop itself is not what is checked here.
func TestWindowsUnderWine(t *testing.T) {
	wine := proctest.Wine(t, filepath.Join("..", ".."))
	dir := t.TempDir()
	for _, b := range []struct{ out, pkg string }{{"tether.exe", "."}, {"winparent.exe", "./testdata/winparent"}, {"winsidecar.exe", "./testdata/winsidecar"}} {
		build := exec.Command("go", "build", "-o", filepath.Join(dir, b.out), b.pkg)
		build.Env = append(os.Environ(), "GOOS=windows", "GOARCH=amd64")
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("build %s: %v\n%s", b.out, err, out)
		}
	}
	wineRun := func(stdin io.Reader, env []string, args ...string) []event {
		t.Helper()
		cmd := exec.Command(wine, args...)
		cmd.Env = append(append(os.Environ(), "WINEDEBUG=-all"), env...)
		if os.Getenv("WINEPREFIX") == "" {
			home, _ := os.UserHomeDir()
			cmd.Env = append(cmd.Env, "WINEPREFIX="+filepath.Join(home, ".cache", "tether", "wine"))
		}
		cmd.Stdin = stdin
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		runBounded(t, cmd, 60*time.Second, &errb)
		time.Sleep(2 * time.Second) // tether may outlive a parent that exited
		return decodeAll(t, out.String())
	}
	tether := filepath.Join(dir, "tether.exe")

	// Events, a bad stdin line, the lifeline.
	// stdin: a bad line, then its end once the sidecar has said hello (a
	// file tells; Wine may take seconds to start under load).
	helloFile := filepath.Join(dir, "hello")
	r, w := io.Pipe()
	go func() {
		io.WriteString(w, "junk\n")
		waitFile(helloFile, 50*time.Second)
		w.Close()
	}()
	evs := wineRun(r, nil, tether, "run", "--lifeline", "stdin", "--grace", "1s", "--", "cmd", "/c",
		"echo hello & echo hello>"+winPath(helloFile)+" & ping -n 30 127.0.0.1 >nul")
	if i := index(evs, func(e event) bool { return e.str("line") == "hello \r" }); i < 0 {
		t.Errorf("no hello line: %v", kinds(evs))
	}
	if s := ofKind(evs, "stopping"); len(s) != 1 || s[0].str("reason") != "stdin" {
		t.Errorf("stopping %v", s)
	}
	if e := ofKind(evs, "error"); len(e) == 0 || !strings.Contains(e[0].str("error"), `"junk"`) {
		t.Errorf("errors %v", e)
	}
	if last := evs[len(evs)-1]; last.kind() != "stopped" || last.num("code") != 0 {
		t.Errorf("last event %s", last)
	}

	// A stop request: a sidecar that exits 0 at the end of its stdin is
	// stopped by closing it, with no kill, long before grace.
	sidecar := filepath.Join(dir, "winsidecar.exe")
	// The stop goes to tether once the sidecar says it is up (Wine may
	// take seconds to start under load: no fixed sleep).
	upFile := filepath.Join(dir, "up")
	stopIn, stopW := io.Pipe()
	go func() {
		waitFile(upFile, 50*time.Second)
		io.WriteString(stopW, `{"cmd":"stop"}`+"\n")
		stopW.Close() // without --lifeline stdin, the end of stdin is nothing
	}()
	evs = wineRun(stopIn, nil, tether, "run", "--stop-request", "stdin-close", "--grace", "30s", "--", sidecar, "eof", winPath(upFile))
	if ex := ofKind(evs, "exited"); len(ex) == 1 {
		if took := time.Duration(ex[0].num("uptime_ms")) * time.Millisecond; took > 25*time.Second {
			t.Errorf("stop request: the sidecar lived %v; closing its stdin did not stop it before grace", took)
		}
	}
	if ex := ofKind(evs, "exited"); len(ex) != 1 || ex[0].num("code") != 0 || ex[0]["signal"] != nil || ex[0]["expected"] != true {
		t.Errorf("stop request: exited %v, want code 0 (not killed), expected; events %v", ex, kinds(evs))
	}
	if i := index(evs, func(e event) bool { return e.str("line") == "bye\r" || e.str("line") == "bye" }); i < 0 {
		t.Errorf("stop request: no bye line: %v", kinds(evs))
	}

	// notify over the named pipe, and the watchdog: fed for 2s, then
	// unhealthy and restarted.
	// --max-restarts 1: the second unhealthy attempt gives up, and tether
	// ends by itself.
	evs = wineRun(strings.NewReader(""), nil, tether, "run", "--max-restarts", "1", "--ready", "notify", "--watchdog", "500ms", "--grace", "0", "--", sidecar, "notify", "2s")
	if n := len(ofKind(evs, "ready")); n < 2 {
		t.Errorf("notify: %d ready events, want at least 2 (one per attempt); events %v", n, kinds(evs))
	}
	if len(ofKind(evs, "gave_up")) != 1 {
		t.Errorf("watchdog: no gave_up after the second unhealthy attempt; events %v", kinds(evs))
	}
	if u := ofKind(evs, "unhealthy"); len(u) != 2 || !strings.Contains(u[0].str("error"), "watchdog") {
		t.Errorf("watchdog: unhealthy %v; events %v", u, kinds(evs))
	}
	if i := index(evs, func(e event) bool { return strings.Contains(e.str("line"), "WATCHDOG_USEC=500000") }); i < 0 {
		t.Errorf("watchdog: WATCHDOG_USEC not 500000 in the sidecar's environment: %v", kinds(evs))
	}

	// Exit with parent: a Windows parent starts tether and exits after 2s.
	evs = wineRun(strings.NewReader(""), []string{"WINPARENT_LIFE=2s"}, filepath.Join(dir, "winparent.exe"), tether, "run", "--grace", "1s", "--", "ping", "-n", "60", "127.0.0.1")
	if s := ofKind(evs, "stopping"); len(s) != 1 || s[0].str("reason") != "parent" {
		t.Errorf("stopping %v; events %v", s, kinds(evs))
	}
	if last := evs[len(evs)-1]; last.kind() != "stopped" {
		t.Errorf("last event %s", last)
	}
}

// waitFile waits until path exists, for at most d.
func waitFile(path string, d time.Duration) {
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if _, err := os.Stat(path); err == nil {
			return
		}
	}
}

// winPath is how a Windows program under Wine names the Linux path p.
func winPath(p string) string { return `Z:` + strings.ReplaceAll(p, "/", `\`) }
