//go:build linux

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
)

// The Windows build of tether, run under Wine (opt in: TETHER_TEST_WINE=1;
// .ci/wine/setup.sh prepares the prefix): events and a stdin command, the
// stdin lifeline, and exit-with-parent through a process handle, with a
// Windows parent that exits. Wine cannot deliver CTRL_BREAK, so the
// graceful stop itself is not what is checked here.
func TestWindowsUnderWine(t *testing.T) {
	if os.Getenv("TETHER_TEST_WINE") == "" {
		t.Skip("set TETHER_TEST_WINE=1 to run the Windows build under Wine")
	}
	const wine = "/usr/lib/wine/wine64"
	if _, err := os.Stat(wine); err != nil {
		t.Skip("wine64 is not installed (see .ci/wine/setup.sh)")
	}
	setup := exec.Command("bash", filepath.Join("..", "..", ".ci", "wine", "setup.sh"))
	if out, err := setup.CombinedOutput(); err != nil {
		t.Fatalf("wine setup: %v\n%s", err, out)
	}
	dir := t.TempDir()
	for _, b := range []struct{ out, pkg string }{{"tether.exe", "."}, {"winparent.exe", "./testdata/winparent"}} {
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
	// stdin: a bad line, then its end 3s later.
	r, w := io.Pipe()
	go func() {
		io.WriteString(w, "junk\n")
		time.Sleep(3 * time.Second)
		w.Close()
	}()
	evs := wineRun(r, nil, tether, "run", "--lifeline", "stdin", "--grace", "1s", "--", "cmd", "/c", "echo hello & ping -n 30 127.0.0.1 >nul")
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

	// Exit with parent: a Windows parent starts tether and exits after 2s.
	evs = wineRun(strings.NewReader(""), []string{"WINPARENT_LIFE=2s"}, filepath.Join(dir, "winparent.exe"), tether, "run", "--grace", "1s", "--", "ping", "-n", "60", "127.0.0.1")
	if s := ofKind(evs, "stopping"); len(s) != 1 || s[0].str("reason") != "parent" {
		t.Errorf("stopping %v; events %v", s, kinds(evs))
	}
	if last := evs[len(evs)-1]; last.kind() != "stopped" {
		t.Errorf("last event %s", last)
	}
}
