package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"tether.dev/tether/internal/proctest"
)

// status answers with the sidecar's state, readiness, pid, port, attempt,
// restarts and since, agreeing with the events before it; an unknown name
// gets an error naming the sidecars there are.
func TestStatusCommand(t *testing.T) {
	t.Parallel()
	flags, argv := helperArgv("cat")
	p := startTether(t, "", runArgs(append(flags, "--name", "cat", "--port", "auto", "--backoff-initial", "10ms"), argv...)...)
	_, at := p.waitFor(20*time.Second, 0, "up", func(e event) bool { return e.str("line") == "up" })
	p.send(`{"cmd":"status"}`)
	st, at := p.waitKind(20*time.Second, at, "status")
	sp, _ := p.waitKind(time.Second, 0, "spawned")
	since, err := time.Parse(time.RFC3339Nano, st.str("since"))
	if st.str("name") != "cat" || st.str("state") != "running" || st["ready"] != true || st.num("pid") != sp.num("pid") ||
		st.num("port") != sp.num("port") || st.num("attempt") != 1 || st.num("restarts") != 0 || err != nil || since.IsZero() {
		t.Errorf("status of a running sidecar: %s (spawned %s)", st, sp)
	}

	p.send(`{"cmd":"status","name":"nosuch"}`)
	e, at := p.waitKind(20*time.Second, at, "error")
	if !strings.Contains(e.str("error"), `no sidecar named "nosuch" (there are: cat)`) {
		t.Errorf("status of an unknown name: %s", e)
	}

	p.send(`{"cmd":"signal","signal":"KILL"}`)
	_, at = p.waitFor(20*time.Second, at, "up again", func(e event) bool { return e.str("line") == "up" })
	p.send(`{"cmd":"status","name":"cat"}`)
	st, _ = p.waitKind(20*time.Second, at, "status")
	sp, _ = p.waitFor(time.Second, 0, "second spawn", func(e event) bool { return e.kind() == "spawned" && e.num("attempt") == 2 })
	if st.str("state") != "running" || st.num("attempt") != 2 || st.num("restarts") != 1 || st.num("pid") != sp.num("pid") || st.num("port") != sp.num("port") {
		t.Errorf("status after a restart: %s (spawned %s)", st, sp)
	}
	p.send(`{"cmd":"stop"}`)
	if code := p.wait(20 * time.Second); code != 0 {
		t.Errorf("exit status %d after stop", code)
	}
	proctest.NoLeftovers(t, 2*time.Second)
}

// In up, status without a name answers for every sidecar, one waiting for
// its dependency included (stopped, attempt 0, no pid).
func TestUpStatus(t *testing.T) {
	t.Parallel()
	dir := writeConfig(t, "[sidecar.a]\n"+helperCommand("cat")+"ready = \"log:^never$\"\n"+
		"[sidecar.b]\n"+helperCommand("cat")+"depends_on = [\"a\"]\n")
	p := startTether(t, dir, "up")
	_, at := p.waitFor(20*time.Second, 0, "a up", func(e event) bool { return e.str("name") == "a" && e.str("line") == "up" })
	p.send(`{"cmd":"status"}`)
	sa, i := p.waitKind(20*time.Second, at, "status")
	sb, _ := p.waitKind(20*time.Second, i+1, "status")
	if sa.str("name") != "a" || sa.str("state") != "starting" || sa["ready"] != false || sa.num("pid") == 0 || sa["port"] != nil || sa.num("attempt") != 1 {
		t.Errorf("status of a, not ready yet: %s", sa)
	}
	if sb.str("name") != "b" || sb.str("state") != "stopped" || sb["pid"] != nil || sb.num("attempt") != 0 || sb.str("since") == "" {
		t.Errorf("status of b, waiting for a: %s", sb)
	}
	p.send(`{"cmd":"status","name":"zz"}`)
	e, _ := p.waitKind(20*time.Second, at, "error")
	if !strings.Contains(e.str("error"), "(there are: a, b)") {
		t.Errorf("status of an unknown name: %s", e)
	}
	p.send(`{"cmd":"stop","name":"b"}`)
	p.send(`{"cmd":"stop","name":"a"}`)
	if code := p.wait(20 * time.Second); code != 0 {
		t.Errorf("exit status %d after stop", code)
	}
	proctest.NoLeftovers(t, 2*time.Second)
}

// A Python program that dies on start: the traceback is in the tail of
// exited and gave_up, in JSON and in text. (Python can take seconds to start
// on a loaded machine: the deadline is wide.)
func TestCrashTailShowsTraceback(t *testing.T) {
	t.Parallel()
	python := func(output string) string {
		cmd := tetherCmd(t, "", "run", "--output", output, "--max-restarts", "1", "--backoff-initial", "10ms", "--", "python3", "-c", "import nosuchmodule")
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		runBounded(t, cmd, 3*time.Minute, &errb)
		if code := cmd.ProcessState.ExitCode(); code != 1 {
			t.Errorf("--output %s: exit status %d, want 1; stderr %s", output, code, errb.String())
		}
		return out.String()
	}
	var text string
	done := make(chan struct{})
	go func() { defer close(done); text = python("text") }()
	evs := decodeAll(t, python("json"))
	<-done
	gu := ofKind(evs, "gave_up")
	if len(gu) != 1 {
		t.Fatalf("gave_up events: %v", gu)
	}
	tail, _ := gu[0]["tail"].([]any)
	if len(tail) == 0 || !strings.HasPrefix(tail[len(tail)-1].(string), "ModuleNotFoundError: No module named 'nosuchmodule'") ||
		tail[0] != "Traceback (most recent call last):" {
		t.Errorf("gave_up tail: %q", tail)
	}
	for _, ex := range ofKind(evs, "exited") {
		if et, _ := ex["tail"].([]any); len(et) != len(tail) {
			t.Errorf("exited tail %q, want the same as gave_up's", et)
		}
	}
	re := regexp.MustCompile(`(?m)^\d\d:\d\d:\d\d\.\d{3} python3 \* gave up after 1 restarts: .*\n +┆ last output:\n( +┆ .*\n)* +┆ ModuleNotFoundError: No module named 'nosuchmodule'\n`)
	if !re.MatchString(text) {
		t.Errorf("text output does not show the traceback under gave up:\n%s", text)
	}
	proctest.NoLeftovers(t, 2*time.Second)
}

// tetherExecLong is tetherExec in a temporary directory with no stdin,
// for runs that may take long on a loaded machine: only a hang fails.
func tetherExecLong(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	cmd := tetherCmd(t, "", args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	runBounded(t, cmd, 3*time.Minute, &errb)
	return out.String(), errb.String(), cmd.ProcessState.ExitCode()
}

// countStream is what the "count" helper prints: prefix followed by 0..n-1,
// one per line.
func countStream(prefix string, n int) []byte {
	var b []byte
	for i := range n {
		b = append(b, prefix...)
		b = strconv.AppendInt(b, int64(i), 10)
		b = append(b, '\n')
	}
	return b
}

// readRotated reads PATH.(files-1) … PATH.1, PATH, oldest first, checking
// that each holds whole lines within max bytes.
func readRotated(t *testing.T, path string, files int, max int) []byte {
	t.Helper()
	var got []byte
	for i := files - 1; i >= 0; i-- {
		name := path
		if i > 0 {
			name += "." + strconv.Itoa(i)
		}
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if len(b) == 0 || len(b) > max || b[len(b)-1] != '\n' {
			t.Fatalf("%s: %d bytes: want 1 to %d, ending in a newline", name, len(b), max)
		}
		got = append(got, b...)
	}
	if _, err := os.Stat(path + "." + strconv.Itoa(files)); !os.IsNotExist(err) {
		t.Fatalf("more than %d files kept", files)
	}
	return got
}

// Through the command: the log file (in a directory that did not exist)
// holds exactly the last bytes the sidecar wrote, rotated at line
// boundaries; the events are unaffected, or, with --output-events=false,
// hold no output events while the file still has all of it. In tether.toml,
// log_file is relative to the file.
func TestLogFileThroughCLI(t *testing.T) {
	t.Parallel()
	const n = 30000 // about 310 KB, through 64 KiB files
	want := countStream("line ", n)
	for _, quiet := range []bool{false, true} {
		dir := t.TempDir()
		flags, argv := helperArgv("count", "line ", strconv.Itoa(n))
		flags = append(flags, "--restart", "never", "--log-file", "logs/new/c.log", "--log-max-size", "64KiB", "--dir", dir)
		if quiet {
			flags = append(flags, "--output-events=false")
		}
		out, stderr, code := tetherExecLong(t, runArgs(flags, argv...)...)
		if code != 0 {
			t.Fatalf("exit status %d; stderr %s", code, stderr)
		}
		evs := decodeAll(t, out)
		if outs := len(ofKind(evs, "stdout")); quiet && outs != 0 || !quiet && outs != n {
			t.Errorf("--output-events=%v: %d stdout events", !quiet, outs)
		}
		if ex := ofKind(evs, "exited"); len(ex) != 1 || len(ex[0]["tail"].([]any)) != 20 {
			t.Errorf("exited should keep its tail: %v", ex)
		}
		got := readRotated(t, filepath.Join(dir, "logs", "new", "c.log"), 3, 64<<10)
		start := len(want) - len(got)
		if start < 0 || !bytes.Equal(got, want[start:]) || start > 0 && want[start-1] != '\n' {
			t.Errorf("the log files hold %d bytes that are not the last whole lines of the output", len(got))
		}
	}

	dir := writeConfig(t, "[sidecar.c]\n"+helperCommand("count", "x", "1000")+"restart = \"never\"\nlog_file = \"c.log\"\noutput_events = false\nlog_max_files = 1\nlog_max_size = \"1MiB\"\n")
	out, stderr, code := tetherExec(t, dir, "", "up")
	if code != 0 {
		t.Fatalf("up: exit status %d; stderr %s", code, stderr)
	}
	b, err := os.ReadFile(filepath.Join(dir, "c.log"))
	if err != nil || !bytes.Equal(b, countStream("x", 1000)) || len(ofKind(decodeAll(t, out), "stdout")) != 0 {
		t.Errorf("up with log_file: %d bytes in c.log, err %v", len(b), err)
	}
	proctest.NoLeftovers(t, 2*time.Second)
}

// Bad values of the new flags and keys: exit 2, the flag or key named,
// nothing started; so is a log directory that cannot be created, and two
// sidecars with one log file.
func TestHostsUsageErrors(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "file")
	os.WriteFile(file, nil, 0o644)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--log-max-size", "10MB"}, `--log-max-size "10MB": want a size`},
		{[]string{"--log-max-size", "12"}, `--log-max-size "12": want a size`},
		{[]string{"--log-max-files", "0"}, `--log-max-files "0": want a whole number from 1 to 100`},
		{[]string{"--ready-interval", "0s"}, `--ready-interval "0s": want a positive Go duration`},
		{[]string{"--output-events=maybe"}, `--output-events "maybe": want true or false`},
		{[]string{"--log-file", filepath.Join(file, "sub", "x.log")}, `--log-file "` + filepath.Join(file, "sub", "x.log") + `": cannot create the directory`},
	} {
		out, stderr, code := tetherExec(t, t.TempDir(), "", runArgs(tc.args, "true")...)
		if code != 2 || !strings.Contains(stderr, tc.want) || out != "" {
			t.Errorf("%q: status %d, stdout %q, stderr %q; want 2 and %q", tc.args, code, out, stderr, tc.want)
		}
	}
	dir := writeConfig(t, "[sidecar.a]\ncommand = [\"true\"]\nlog_file = \"x.log\"\n[sidecar.b]\ncommand = [\"true\"]\nlog_file = \"./x.log\"\n")
	if _, stderr, code := tetherExec(t, dir, "", "up"); code != 2 || !strings.Contains(stderr, "sidecar.b.log_file") || !strings.Contains(stderr, "a writes to that file already") {
		t.Errorf("two sidecars, one log file: status %d, stderr %q", code, stderr)
	}
	dir = writeConfig(t, "[sidecar.a]\ncommand = [\"true\"]\nlog_max_size = 5\n")
	if _, stderr, code := tetherExec(t, dir, "", "up"); code != 2 || !strings.Contains(stderr, "sidecar.a.log_max_size = 5: want a size") {
		t.Errorf("log_max_size = 5: status %d, stderr %q", code, stderr)
	}
}

// --ready-interval spaces readiness tries: a server that can answer 300ms
// after it starts is found at the second try, 2s after the first.
func TestReadyIntervalCLI(t *testing.T) {
	t.Parallel()
	flags, argv := helperArgv("listen", "{port}", "300ms", "1h")
	flags = append(flags, "--port", "auto", "--ready", "tcp://127.0.0.1:{port}", "--ready-interval", "2s")
	p := startTether(t, "", runArgs(flags, argv...)...)
	r, _ := p.waitKind(20*time.Second, 0, "ready")
	if r.num("after_ms") < 1900 {
		t.Errorf("ready after %d ms with --ready-interval 2s: the probe was tried more often", r.num("after_ms"))
	}
	p.send(`{"cmd":"stop"}`)
	p.wait(20 * time.Second)
	proctest.NoLeftovers(t, 2*time.Second)
}

// The event examples of the docs (every line of a json block that is an
// event) are valid against the schema, and the crash-tail example shows
// the command TestCrashTailShowsTraceback runs, with a gave_up event of the
// shape it checks.
func TestDocEventExamples(t *testing.T) {
	t.Parallel()
	seen := map[string]int{}
	for _, name := range []string{"cli.md", "hosts.md"} {
		text, err := os.ReadFile(filepath.Join("..", "..", "docs", name))
		if err != nil {
			t.Fatal(err)
		}
		inJSON := false
		for _, line := range strings.Split(string(text), "\n") {
			switch {
			case strings.HasPrefix(line, "```"):
				inJSON = line == "```json"
			case inJSON && strings.Contains(line, `"event":`):
				var e event
				if err := checkEvent([]byte(line+"\n"), &e); err != nil {
					t.Errorf("%s: %v: %s", name, err, line)
				}
				seen[e.kind()]++
			}
		}
	}
	if seen["status"] < 2 {
		t.Errorf("the status examples of cli.md and hosts.md were not found: %v", seen)
	}

	text, _ := os.ReadFile(filepath.Join("..", "..", "docs", "cli.md"))
	const cmd = "$ tether run --max-restarts 1 -- python3 -c 'import nosuchmodule' | grep gave_up\n"
	i := strings.Index(string(text), cmd)
	if i < 0 {
		t.Fatalf("cli.md does not show %q", cmd)
	}
	line, _, _ := strings.Cut(string(text)[i+len(cmd):], "\n")
	line = strings.Replace(line, `"time":"…"`, `"time":"2026-01-02T03:04:05.000000000Z"`, 1)
	var e event
	if err := checkEvent([]byte(line+"\n"), &e); err != nil || e.kind() != "gave_up" ||
		!strings.Contains(line, `ModuleNotFoundError: No module named 'nosuchmodule'"]`) {
		t.Errorf("cli.md's gave_up example: %v: %s", err, line)
	}
}
