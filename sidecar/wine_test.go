//go:build linux

package sidecar_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"tether.dev/tether/internal/proctest"
)

// The Go SDK's sidecar on Windows, under Wine (opt in: TETHER_TEST_WINE=1;
// .ci/wine/setup.sh prepares the prefix): tether.exe runs this package's
// test binary built for Windows with --ready notify (the named pipe),
// --watchdog 2s and --stop-request stdin-close. It reports ready, is
// restarted when its event loop blocks for 5 s, and stops gracefully on
// `stop` (through its stdin: Wine cannot deliver CTRL_BREAK).
func TestWindowsSidecarUnderWine(t *testing.T) {
	wine := proctest.Wine(t, "..")
	dir := t.TempDir()
	tetherExe, sidecarExe := filepath.Join(dir, "tether.exe"), filepath.Join(dir, "sidecar.exe")
	for _, b := range [][]string{{"build", "-o", tetherExe, "../cmd/tether"}, {"test", "-c", "-o", sidecarExe, "."}} {
		build := exec.Command("go", b...)
		build.Env = append(os.Environ(), "GOOS=windows", "GOARCH=amd64")
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("go %v: %v\n%s", b, err, out)
		}
	}
	record := filepath.Join(dir, "record")
	if err := os.Mkdir(record, 0o700); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(wine, tetherExe, "run", "--output", "json", "--ready", "notify", "--watchdog", "2s",
		"--stop-request", "stdin-close", "--backoff-initial", "100ms", "--", sidecarExe)
	cmd.Env = append(os.Environ(), "WINEDEBUG=-all", roleVar+"=sidecar", "SIDECAR_TEST_BLOCK=1",
		"SIDECAR_TEST_DIR=Z:"+strings.ReplaceAll(record, "/", `\`))
	if os.Getenv("WINEPREFIX") == "" {
		home, _ := os.UserHomeDir()
		cmd.Env = append(cmd.Env, "WINEPREFIX="+filepath.Join(home, ".cache", "tether", "wine"))
	}
	r := startRun(t, cmd, record)

	r.await(60*time.Second, "ready 1", func(e event) bool { return e.kind() == "ready" && e.num("attempt") == 1 })
	r.await(30*time.Second, "the blocked loop", lineHas("blocking the event loop"))
	r.await(30*time.Second, "unhealthy (watchdog)", func(e event) bool {
		return e.kind() == "unhealthy" && e.num("attempt") == 1 && strings.Contains(e.str("error"), "watchdog")
	})
	r.await(30*time.Second, "ready 2", func(e event) bool { return e.kind() == "ready" && e.num("attempt") == 2 })
	time.Sleep(5 * time.Second) // attempt 2 keeps pinging: no restart
	r.send(`{"cmd":"stop"}`)
	r.await(30*time.Second, "the stop hook", lineHas("graceful stop: stdin closed"))
	ex := r.await(30*time.Second, "exited 2", func(e event) bool { return e.kind() == "exited" && e.num("attempt") == 2 })
	if ex.num("code") != 0 || ex["expected"] != true || ex["signal"] != nil {
		t.Errorf("attempt 2 %v", ex)
	}
	r.wait(30 * time.Second)
	if last := r.seen[len(r.seen)-1]; last.kind() != "stopped" || last.num("code") != 0 {
		t.Errorf("last event %v", last)
	}
	for _, e := range r.seen {
		if e.num("attempt") > 2 {
			t.Errorf("a third attempt: %v", e)
		}
	}
}
