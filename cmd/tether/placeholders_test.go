//go:build unix

package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"tether.dev/tether/internal/proctest"
)

// {port} without a port, and {NAME.port} in run, are usage errors: exit 2,
// one line naming the flag or key, nothing started. (Before, a probe with
// {port} and no --port polled a URL that could not answer until the ready
// deadline, again and again.)
func TestPlaceholderUsageErrors(t *testing.T) {
	t.Parallel()
	start := []string{"sh", "-c", "touch started; sleep 60", "x"}
	cases := []struct {
		args []string
		want []string
	}{
		{append([]string{"run", "--ready", "http://127.0.0.1:{port}/", "--"}, start...), []string{`--ready "http://127.0.0.1:{port}/"`, "{port} needs --port", "--port auto"}},
		{append([]string{"run", "--live", "tcp://127.0.0.1:{port}", "--"}, start...), []string{`--live "tcp://127.0.0.1:{port}"`, "needs --port"}},
		{append([]string{"run", "--env", "ADDR=:{port}", "--"}, start...), []string{`--env "ADDR=:{port}"`, "needs --port"}},
		{append(append([]string{"run", "--"}, start...), "--port={port}"), []string{`COMMAND argument "--port={port}"`, "needs --port"}},
		{append(append([]string{"run", "--port", "auto", "--"}, start...), "{api.port}"), []string{`COMMAND argument "{api.port}"`, "{api.port}", "tether up"}},
		{append([]string{"run", "--port", "auto", "--env", "API=http://127.0.0.1:{api.port}", "--"}, start...), []string{"--env", "{api.port}", "tether up"}},
		{append([]string{"run", "--port", "auto", "--ready", "http://127.0.0.1:{db.port}/", "--"}, start...), []string{"--ready", "{db.port}"}},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args[:3], " "), func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			out, errText, code := tetherExec(t, dir, "", c.args...)
			if code != 2 || out != "" || strings.Count(errText, "\n") != 1 {
				t.Fatalf("exit status %d, stdout %q, stderr %q; want 2, nothing, one line", code, out, errText)
			}
			for _, w := range c.want {
				if !strings.Contains(errText, w) {
					t.Errorf("stderr %q does not mention %q", errText, w)
				}
			}
			if _, err := os.Stat(filepath.Join(dir, "started")); err == nil {
				t.Error("the sidecar was started")
			}
		})
	}
	t.Run("up", func(t *testing.T) {
		t.Parallel()
		dir := writeConfig(t, "[sidecar.api]\ncommand = [\"sh\", \"-c\", \"touch started; sleep 60\"]\nready = \"http://127.0.0.1:{port}/health\"\n")
		out, errText, code := tetherExec(t, dir, "", "up")
		if code != 2 || out != "" || !strings.Contains(errText, "sidecar.api.ready") || !strings.Contains(errText, `sidecar.api.port = "auto"`) {
			t.Fatalf("exit status %d, stdout %q, stderr %q", code, out, errText)
		}
		if _, err := os.Stat(filepath.Join(dir, "started")); err == nil {
			t.Error("the sidecar was started")
		}
	})
	proctest.NoLeftovers(t, 0)
}

// Text in braces that is not a placeholder reaches the sidecar as it is
// (arguments may hold JSON), {port} is replaced, and --port auto with no
// {port} or TETHER_PORT anywhere gets one warning line on stderr.
func TestPlaceholdersKeptAndWarning(t *testing.T) {
	t.Parallel()
	out, errText, code := tetherExec(t, t.TempDir(), "", "run", "--restart", "never", "--port", "auto", "--",
		"sh", "-c", `printf '%s|%s\n' "$1" "$2"`, "x", `{"a":{"b":1}} {x} {} {port`, "{port}")
	if code != 0 {
		t.Fatalf("status %d, stderr %q", code, errText)
	}
	evs := decodeAll(t, out)
	lines := ofKind(evs, "stdout")
	port := ofKind(evs, "spawned")[0].num("port")
	if len(lines) != 1 || lines[0].str("line") != `{"a":{"b":1}} {x} {} {port|`+strconv.Itoa(port) {
		t.Errorf("sidecar saw %v (port %d)", lines, port)
	}
	if errText != "" {
		t.Errorf("a warning although {port} is used: %q", errText)
	}

	for _, c := range []struct {
		args []string
		warn bool
	}{
		{[]string{"--port", "auto", "--", "sh", "-c", "exit 0"}, true},
		{[]string{"--port", "auto", "--", "sh", "-c", `test -n "$TETHER_PORT"`}, false},
		{[]string{"--port", "auto", "--ready", "tcp://127.0.0.1:{port}", "--ready-timeout", "1s", "--", "sh", "-c", "exit 0"}, false},
		{[]string{"--port", "8080", "--", "sh", "-c", "exit 0"}, false},
	} {
		_, errText, code := tetherExec(t, t.TempDir(), "", append([]string{"run", "--restart", "never"}, c.args...)...)
		got := strings.Contains(errText, "warning") && strings.Contains(errText, "{port}") && strings.Contains(errText, "TETHER_PORT")
		if got != c.warn || (c.warn && strings.Count(errText, "\n") != 1) {
			t.Errorf("%v: status %d, stderr %q; want a one-line warning: %v", c.args, code, errText, c.warn)
		}
	}
	proctest.NoLeftovers(t, 2*time.Second)
}
