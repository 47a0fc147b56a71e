//go:build unix

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"tether.dev/tether/internal/proctest"
)

// The live view in a real terminal: tether up --ui runs in a tmux pane of
// 80×24; the tests type keys with send-keys and read the screen with
// capture-pane. CI installs tmux (.ci/run); elsewhere, without tmux, they
// are skipped, saying so.

// tmuxPane is one tmux server with one pane, private to a test.
type tmuxPane struct {
	t    *testing.T
	sock string
	env  []string
}

// startTmux runs argv in a new pane of w×h, with extra environment
// variables, on a tmux server of the test's own, which is killed when the
// test ends. The pane stays after argv exits, so that its last screen and
// exit status can be read.
func startTmux(t *testing.T, w, h int, extraEnv []string, argv ...string) *tmuxPane {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("tmux is not installed; .ci/run installs it")
		}
		t.Skip("tmux is not installed (apt-get install tmux): the live view's terminal tests need it")
	}
	dir := t.TempDir()
	conf := filepath.Join(dir, "tmux.conf")
	if err := os.WriteFile(conf, []byte("set -g status off\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p := &tmuxPane{t: t, sock: filepath.Join(dir, "sock")}
	// The server and all it starts carry the test's tag, for the
	// leftover check; NO_COLOR comes only from extraEnv.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "NO_COLOR=") && !strings.HasPrefix(kv, "TMUX") {
			p.env = append(p.env, kv)
		}
	}
	p.env = append(p.env, proctest.Env(t), "TERM=xterm-256color")
	args := []string{"-f", conf, "new-session", "-d", "-x", strconv.Itoa(w), "-y", strconv.Itoa(h)}
	for _, kv := range extraEnv {
		args = append(args, "-e", kv)
	}
	// The pane outlives tether and shows its exit status: tmux may lose
	// the last output of a pane whose process has exited.
	args = append(args, "--", "sh", "-c", `"$@"; echo "tether exited with status $?"; exec sleep 600`, "sh")
	p.run(append(args, argv...)...)
	t.Cleanup(func() {
		exec.Command("tmux", "-S", p.sock, "kill-server").Run()
		proctest.NoLeftovers(t, 5*time.Second)
	})
	return p
}

// run runs one tmux command on the pane's server and returns its output.
func (p *tmuxPane) run(args ...string) string {
	p.t.Helper()
	cmd := exec.Command("tmux", append([]string{"-S", p.sock}, args...)...)
	cmd.Env = p.env
	out, err := cmd.CombinedOutput()
	if err != nil {
		p.t.Fatalf("tmux %q: %v: %s", args, err, out)
	}
	return string(out)
}

// screen returns what the pane shows, with escape sequences when escapes.
func (p *tmuxPane) screen(escapes bool) string {
	p.t.Helper()
	args := []string{"capture-pane", "-p"}
	if escapes {
		args = append(args, "-e")
	}
	return p.run(args...)
}

// keys types keys (tmux key names: "j", "Up", "C-c").
func (p *tmuxPane) keys(keys ...string) {
	p.t.Helper()
	p.run(append([]string{"send-keys"}, keys...)...)
}

// waitFor waits until the screen matches every one of patterns (regular
// expressions, matched against one line each), and returns it. The wait
// is long, to catch only a hang: the screen is read every 50ms.
func (p *tmuxPane) waitFor(what string, patterns ...string) string {
	p.t.Helper()
	res := make([]*regexp.Regexp, len(patterns))
	for i, pat := range patterns {
		res[i] = regexp.MustCompile("(?m)" + pat)
	}
	deadline := time.Now().Add(time.Minute)
	for {
		s := p.screen(false)
		ok := true
		for _, re := range res {
			ok = ok && re.MatchString(s)
		}
		if ok {
			return s
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("%s: the screen never matched %q; it shows:\n%s", what, patterns, s)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// exitStatus waits for tether to exit and returns its exit status.
func (p *tmuxPane) exitStatus() string {
	p.t.Helper()
	s := p.waitFor("tether exits", `^tether exited with status \d+$`)
	return regexp.MustCompile(`(?m)^tether exited with status (\d+)$`).FindStringSubmatch(s)[1]
}

// A person's session with tether up --ui: both sidecars come up in the
// table, keys select, restart, stop and start one, the view follows a
// resize, and q stops everything cleanly, leaving a summary and nothing
// running.
func TestViewInTerminal(t *testing.T) {
	t.Parallel()
	dir := writeConfig(t, "[sidecar.api]\n"+helperCommand("cat")+"port = \"auto\"\n"+
		"[sidecar.db]\n"+helperCommand("lines", "db says hello", "err:db warns")+"restart = \"always\"\nbackoff_initial = \"10m\"\n")
	p := startTmux(t, 80, 24, nil, tetherBin, "up", "--ui", "-f", filepath.Join(dir, "tether.toml"))

	p.waitFor("api comes up",
		`^tether · 2 sidecars`,
		`^  NAME +STATE +PID +PORT +ATT +RST +UPTIME +READY +LAST OUTPUT`,
		`^> api +running +\d+ +\d+ +1 +0 +\d+s +ready +up`,
		`^── api ─+ following ──$`,
		`^\d\d:\d\d:\d\d \* spawned pid \d+ \(attempt 1, port \d+`,
		`^\d\d:\d\d:\d\d \| up$`,
		`q quit`)
	p.waitFor("db exits and waits to restart",
		`^  db +backoff +- +- +1 +1 +- +- +db (warns|says hello)$`)

	p.keys("j")
	p.waitFor("down selects db, and its log shows",
		`^> db `, `^── db ─`, `\| db says hello$`, `\| db warns$`, `\* restarting in [0-9hms.]+ \(attempt 2\)`)

	p.keys("k", "r")
	p.waitFor("r restarts api", `^> api +running +\d+ +\d+ +2 +1 `, `\* (exited|killed) .*\(tether stopped it\)`)

	p.keys("x")
	p.waitFor("x stops api", `^> api +stopped +- +- +2 +1 +- +- `, `\* stopping as asked$`)

	p.keys("s")
	p.waitFor("s starts api", `^> api +running +\d+ +\d+ +3 +1 `)

	p.run("resize-window", "-x", "100", "-y", "30")
	// The rule 100 wide: "── api " and " following ──" are 20 of them. Any
	// width would match the screen from before the redraw (CI failed so).
	s := p.waitFor("the view follows a resize", `^── api ─{80} following ──$`)
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, "── api") && len([]rune(l)) != 100 {
			t.Errorf("after the resize to 100 columns the rule is %d wide: %q", len([]rune(l)), l)
		}
	}

	p.keys("q")
	if st := p.exitStatus(); st != "0" {
		t.Errorf("tether exited with %s after q, want 0", st)
	}
	p.waitFor("the summary is left on the terminal",
		`^api: stopped, status 0 \(attempts 3, restarts 1\); last output: up`,
		`^db: stopped, status 0`)
}

// NO_COLOR: the same screen, and not one colour on it; without it, the
// states are coloured. Ctrl-C stops everything as q does.
func TestViewInTerminalColor(t *testing.T) {
	t.Parallel()
	sgrColor := regexp.MustCompile(`\x1b\[([0-9]+;)*(3[0-8]|9[0-7])(;[0-9]+)*m`)
	for _, noColor := range []bool{false, true} {
		name := "color"
		var env []string
		if noColor {
			name, env = "NO_COLOR", []string{"NO_COLOR=1"}
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			exe, _ := os.Executable()
			p := startTmux(t, 80, 24, env, tetherBin, "run", "--ui", "--name", "api",
				"--env", "TETHER_TEST_HELPER=cat", "--", exe)
			p.waitFor("api comes up", `^> api +running +\d+ +- +1 +0 +\d+s +ready +up$`)
			colored := sgrColor.FindString(p.screen(true))
			switch {
			case noColor && colored != "":
				t.Errorf("with NO_COLOR the screen has the colour %q:\n%q", colored, p.screen(true))
			case !noColor && colored == "":
				t.Errorf("no colour on the screen:\n%q", p.screen(true))
			}
			p.keys("C-c")
			if st := p.exitStatus(); st != "0" {
				t.Errorf("tether exited with %s after Ctrl-C, want 0", st)
			}
			p.waitFor("the summary", `^api: stopped, status 0 \(attempts 1, restarts 0\); last output: up$`)
		})
	}
}

// Where the view cannot run it says why and starts nothing: not on a
// terminal, with --output, with a stdin lifeline.
func TestViewUsageErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "--ui", "--", "true"}, "--ui needs a terminal"},
		{[]string{"run", "--ui", "--output", "json", "--", "true"}, "--ui and --output exclude each other"},
		{[]string{"run", "--ui", "--lifeline", "stdin", "--", "true"}, "cannot be a lifeline (--lifeline stdin)"},
		{[]string{"demo", "--ui=maybe"}, `--ui "maybe": want true or false`},
	} {
		out, errOut, code := tetherExec(t, t.TempDir(), "", tc.args...)
		if code != 2 || out != "" || !strings.Contains(errOut, tc.want) {
			t.Errorf("tether %q: status %d, stdout %q, stderr %q; want 2, nothing, %q", tc.args, code, out, errOut, tc.want)
		}
	}
}

// tether demo --ui: the demo's cycle in the live view (ready, the crash,
// the restart on a new port), and q stops it, worker processes included.
func TestViewDemo(t *testing.T) {
	t.Parallel()
	p := startTmux(t, 80, 24, nil, tetherBin, "demo", "--ui")
	p.waitFor("attempt 1 is ready",
		`^tether · demo: watch it get ready, crash, restart, wedge, recover · 1 sidecar`,
		`^> demo +running +\d+ +\d+ +1 +0 +\d+s +ready `,
		`\| serving http://127\.0\.0\.1:\d+/healthz \(role this attempt: crash\)$`)
	p.waitFor("the crash and the restart",
		`\* exited with status 1 after .* \(unexpectedly\)$`,
		`\* restarting in \d+ms \(attempt 2\)$`,
		`^> demo +(starting|running) +\d+ +\d+ +2 +1 `)
	p.keys("q")
	if st := p.exitStatus(); st != "0" {
		t.Errorf("tether demo exited with %s after q, want 0", st)
	}
	p.waitFor("the summary", `^demo: stopped, status 0 \(attempts 2, restarts 1\)`)
}
