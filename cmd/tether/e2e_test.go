//go:build unix

package main

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"tether.dev/tether"
	"tether.dev/tether/bundle"
	"tether.dev/tether/internal/proctest"
)

// Every field of the events of one plain run: spawned with its port,
// ready, stdout and stderr lines, a line of bytes that are not UTF-8
// (data), a last line without a newline (partial), exited, the state
// changes, and stopped as the last event; time in RFC 3339 UTC with
// nanoseconds, name on every event.
func TestRunEventsAndFields(t *testing.T) {
	t.Parallel()
	p := startTether(t, "", "run", "--name", "api", "--port", "auto", "--restart", "never", "--",
		"sh", "-c", `echo "port={port} env=$P"; echo oops >&2; printf 'caf\303\251\n\377bin\001\n'; printf 'no newline'; exit 0`)
	if code := p.wait(20 * time.Second); code != 0 {
		t.Fatalf("exit status %d; stderr: %s", code, p.errText())
	}
	evs := p.all()
	timeRe := regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{9}Z$`)
	// Times never go back within one source (stdout, stderr, tether's own
	// events); across sources an output event carries the time its bytes
	// were read, which a busy machine may queue after a later event.
	prev := map[string]time.Time{}
	for _, e := range evs {
		if e.str("name") != "api" {
			t.Errorf("name %q in %s", e.str("name"), e)
		}
		ts := e.str("time")
		tm, err := time.Parse(time.RFC3339Nano, ts)
		if !timeRe.MatchString(ts) || err != nil {
			t.Errorf("time %q is not RFC 3339 UTC with nanoseconds", ts)
		}
		source := e.kind()
		if source != "stdout" && source != "stderr" {
			source = "tether"
		}
		if time.Since(tm) > time.Minute || tm.Before(prev[source]) {
			t.Errorf("time %v out of order within %s or far off", tm, source)
		}
		prev[source] = tm
	}
	sp := ofKind(evs, "spawned")
	if len(sp) != 1 || sp[0].num("pid") <= 0 || sp[0].num("attempt") != 1 || sp[0].num("port") <= 0 || sp[0].str("containment") == "" {
		t.Fatalf("spawned: %v", sp)
	}
	pid, port := sp[0].num("pid"), sp[0].num("port")
	rd := ofKind(evs, "ready")
	if len(rd) != 1 || rd[0].num("pid") != pid || rd[0].num("after_ms") < 0 {
		t.Errorf("ready: %v", rd)
	}
	type chunk struct {
		kind, text string
		data       bool
		partial    bool
	}
	var got []chunk
	for _, e := range evs {
		if k := e.kind(); k == "stdout" || k == "stderr" {
			if e.num("pid") != pid || e.num("attempt") != 1 {
				t.Errorf("output event without the pid and attempt: %s", e)
			}
			c := chunk{kind: k, text: e.str("line"), partial: e["partial"] == true}
			if d, ok := e["data"].(string); ok {
				b, err := base64.StdEncoding.DecodeString(d)
				if err != nil {
					t.Errorf("data %q: %v", d, err)
				}
				c.text, c.data = string(b), true
			}
			got = append(got, c)
		}
	}
	want := []chunk{
		{kind: "stdout", text: fmt.Sprintf("port=%d env=", port)},
		{kind: "stderr", text: "oops"},
		{kind: "stdout", text: "café"},
		{kind: "stdout", text: "\xffbin\x01", data: true},
		{kind: "stdout", text: "no newline", partial: true},
	}
	// stdout and stderr are separate pipes: compare each stream's order.
	for _, k := range []string{"stdout", "stderr"} {
		g := slices.DeleteFunc(slices.Clone(got), func(c chunk) bool { return c.kind != k })
		w := slices.DeleteFunc(slices.Clone(want), func(c chunk) bool { return c.kind != k })
		if !slices.Equal(g, w) {
			t.Errorf("%s chunks\n got %+v\nwant %+v", k, g, w)
		}
	}
	ex := ofKind(evs, "exited")
	if len(ex) != 1 || ex[0].num("code") != 0 || ex[0]["signal"] != nil || ex[0]["expected"] != false ||
		ex[0].num("uptime_ms") < 0 || ex[0].num("pid") != pid {
		t.Errorf("exited: %v", ex)
	}
	last := evs[len(evs)-1]
	if last.kind() != "stopped" || last.num("code") != 0 {
		t.Errorf("last event %s, want stopped with code 0", last)
	}
	ks := kinds(evs)
	order := []string{"state:starting", "spawned", "ready", "state:running", "exited", "state:exited", "stopped"}
	if !isSubsequence(order, ks) {
		t.Errorf("event order %v, want %v in that order", ks, order)
	}
	if i := slices.Index(ks, "exited"); slices.ContainsFunc(ks[i:], func(k string) bool { return k == "stdout" || k == "stderr" }) {
		t.Errorf("output after exited: %v", ks)
	}
	if st := ofKind(evs, "state"); st[0].str("from") != "stopped" || st[0].str("state") != "starting" {
		t.Errorf("first state event %s", st[0])
	}
	proctest.NoLeftovers(t, 2*time.Second)
}

// isSubsequence reports whether want appears in got in order.
func isSubsequence(want, got []string) bool {
	i := 0
	for _, g := range got {
		if i < len(want) && g == want[i] {
			i++
		}
	}
	return i == len(want)
}

// Every exit status of the contract, and the stopped event that carries
// it: 0, the child's status, 128+N, gave_up with the last status, 127, 126.
func TestExitStatuses(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	noexec := filepath.Join(dir, "noexec")
	os.WriteFile(noexec, []byte("#!/bin/sh\necho hi\n"), 0o644)
	cases := []struct {
		name   string
		args   []string
		status int
		check  func(t *testing.T, evs []event)
	}{
		{"clean exit", []string{"--restart", "never", "--", "sh", "-c", "exit 0"}, 0, nil},
		{"on-failure after a clean exit", []string{"--restart", "on-failure", "--", "sh", "-c", "exit 0"}, 0, nil},
		{"child status", []string{"--restart", "never", "--", "sh", "-c", "exit 7"}, 7, func(t *testing.T, evs []event) {
			if ex := ofKind(evs, "exited"); ex[0].num("code") != 7 || ex[0]["signal"] != nil {
				t.Errorf("exited %s", ex[0])
			}
		}},
		{"killed by a signal", []string{"--restart", "never", "--", "sh", "-c", "kill -USR1 $$"}, 128 + int(syscall.SIGUSR1), func(t *testing.T, evs []event) {
			if ex := ofKind(evs, "exited"); ex[0]["code"] != nil || ex[0].str("signal") != "USR1" {
				t.Errorf("exited %s, want code null, signal USR1", ex[0])
			}
		}},
		{"gave up: last status", []string{"--backoff-initial", "5ms", "--max-restarts", "2", "--", "sh", "-c", "exit 5"}, 5, func(t *testing.T, evs []event) {
			rs := ofKind(evs, "restarting")
			if len(rs) != 2 || rs[0].num("attempt") != 2 || rs[1].num("attempt") != 3 || rs[0].num("delay_ms") < 0 {
				t.Errorf("restarting: %v", rs)
			}
			g := ofKind(evs, "gave_up")
			if len(g) != 1 || g[0].num("restarts") != 2 || !strings.Contains(g[0].str("error"), "status 5") {
				t.Errorf("gave_up: %v", g)
			}
			if n := len(ofKind(evs, "spawned")); n != 3 {
				t.Errorf("%d attempts, want 3", n)
			}
		}},
		{"gave up after clean exits: 1", []string{"--backoff-initial", "5ms", "--max-restarts", "1", "--", "sh", "-c", "exit 0"}, 1, nil},
		{"not found", []string{"--", "./no-such-program", "x"}, 127, func(t *testing.T, evs []event) {
			g := ofKind(evs, "gave_up")
			if len(g) != 1 || !strings.Contains(g[0].str("error"), "no-such-program") || len(ofKind(evs, "spawned")) != 0 {
				t.Errorf("gave_up: %v; events %v", g, kinds(evs))
			}
		}},
		{"not found in PATH", []string{"--", "tether-no-such-program"}, 127, nil},
		{"not executable", []string{"--", noexec}, 126, func(t *testing.T, evs []event) {
			if g := ofKind(evs, "gave_up"); len(g) != 1 || !strings.Contains(g[0].str("error"), "noexec") {
				t.Errorf("gave_up: %v", g)
			}
		}},
		{"bad dir", []string{"--dir", filepath.Join(dir, "missing"), "--", "sh", "-c", "true"}, 126, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			out, errText, code := tetherExec(t, dir, "", append([]string{"run"}, c.args...)...)
			if code != c.status {
				t.Fatalf("exit status %d, want %d; stderr: %s\nstdout: %s", code, c.status, errText, out)
			}
			evs := decodeAll(t, out)
			last := evs[len(evs)-1]
			if last.kind() != "stopped" || last.num("code") != c.status {
				t.Errorf("last event %s, want stopped with code %d", last, c.status)
			}
			if c.check != nil {
				c.check(t, evs)
			}
			proctest.NoLeftovers(t, 2*time.Second)
		})
	}
}

// A bad command line: exit status 2, one line on stderr naming the flag,
// the value and what is allowed, nothing on stdout, nothing started.
func TestUsageErrors(t *testing.T) {
	t.Parallel()
	start := []string{"--", "sh", "-c", "touch started"}
	cases := []struct {
		args []string
		want []string // in the stderr line
	}{
		{nil, []string{"Usage"}},
		{[]string{"runn"}, []string{`unknown command "runn"`, "did you mean run"}},
		{[]string{"run"}, []string{"missing COMMAND"}},
		{[]string{"run", "--gracee", "1s", "--", "true"}, []string{"unknown flag --gracee", "did you mean --grace"}},
		{append([]string{"run", "--grace", "5x"}, start...), []string{`--grace "5x"`, "Go duration"}},
		{append([]string{"run", "--ready-timeout", "-1s"}, start...), []string{`--ready-timeout "-1s"`, "positive"}},
		{append([]string{"run", "--ready-timeout", "0"}, start...), []string{`--ready-timeout "0"`, "positive"}},
		{append([]string{"run", "--ready", "ftp://x"}, start...), []string{`--ready "ftp://x"`, "tcp://"}},
		{append([]string{"run", "--live", "log:ready"}, start...), []string{"--live", "readiness only"}},
		{append([]string{"run", "--stop-signal", "FOO"}, start...), []string{`--stop-signal "FOO"`, "signal name"}},
		{append([]string{"run", "--restart", "sometimes"}, start...), []string{`--restart "sometimes"`, "always, on-failure or never"}},
		{append([]string{"run", "--port", "70000"}, start...), []string{`--port "70000"`, "auto"}},
		{append([]string{"run", "--output", "yaml"}, start...), []string{`--output "yaml"`, "json or text"}},
		{append([]string{"run", "--lifeline", "pipe"}, start...), []string{`--lifeline "pipe"`, "stdin or none"}},
		{append([]string{"run", "--backoff-factor", "0.5"}, start...), []string{`--backoff-factor "0.5"`, "from 1"}},
		{append([]string{"run", "--backoff-jitter", "2"}, start...), []string{`--backoff-jitter "2"`, "fraction"}},
		{append([]string{"run", "--live-failures", "0"}, start...), []string{`--live-failures "0"`, "at least 1"}},
		{append([]string{"run", "--max-restarts", "-1"}, start...), []string{`--max-restarts "-1"`, "at least 0"}},
		{append([]string{"run", "--backoff-initial", "10s", "--backoff-max", "1s"}, start...), []string{"--backoff-max", "must not be less"}},
		{append([]string{"run", "--env", "NOEQUALS"}, start...), []string{`--env "NOEQUALS"`, "KEY=VALUE"}},
		{append([]string{"run", "--exit-with-parent=maybe"}, start...), []string{`--exit-with-parent "maybe"`, "true or false"}},
		{append([]string{"run", "--name", "two words"}, start...), []string{`--name "two words"`}},
		{[]string{"run", "--bundled", "--", "./path/server"}, []string{"plain file name"}},
		{[]string{"run", "--grace"}, []string{"--grace needs a value"}},
		{append([]string{"run", "--stop-request", "close"}, start...), []string{`--stop-request "close"`, "stdin-close, stdin:TEXT"}},
		{append([]string{"run", "--stop-request", "http://127.0.0.1:{port}/quit"}, start...), []string{`--stop-request`, "{port} needs --port"}},
		{append([]string{"run", "--stop-request", "exec:a | b"}, start...), []string{`--stop-request`, "exec:COMMAND ARGS"}},
		{append([]string{"run", "--memory-max", "64MB"}, start...), []string{`--memory-max "64MB"`, "KiB, MiB or GiB"}},
		{append([]string{"run", "--memory-max", "0"}, start...), []string{`--memory-max "0"`, "positive size"}},
		{append([]string{"run", "--memory-max", "-1MiB"}, start...), []string{`--memory-max "-1MiB"`, "positive size"}},
		{append([]string{"run", "--cpu-max", "0"}, start...), []string{`--cpu-max "0"`, "percent"}},
		{append([]string{"run", "--cpu-max", "-5"}, start...), []string{`--cpu-max "-5"`, "percent"}},
		{append([]string{"run", "--cpu-max", "half"}, start...), []string{`--cpu-max "half"`, "percent"}},
		{append([]string{"run", "--pids-max", "0"}, start...), []string{`--pids-max "0"`, "positive whole number"}},
		{append([]string{"run", "--pids-max", "many"}, start...), []string{`--pids-max "many"`, "positive whole number"}},
		{append([]string{"run", "--watchdog", "1s"}, start...), []string{`--watchdog "1s"`, "needs --ready to be the notify probe"}},
		{append([]string{"run", "--watchdog", "0", "--ready", "notify"}, start...), []string{`--watchdog "0"`, "at least 1ms"}},
		{append([]string{"run", "--watchdog", "soon", "--ready", "notify"}, start...), []string{`--watchdog "soon"`, "Go duration"}},
		{[]string{"up", "-f", "missing.toml"}, []string{"missing.toml", "no such file"}},
		{[]string{"demo", "extra"}, []string{"takes no arguments"}},
		{[]string{"help", "nothing"}, []string{`unknown command "nothing"`}},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			out, errText, code := tetherExec(t, dir, "", c.args...)
			if code != 2 {
				t.Fatalf("exit status %d, want 2; stderr %q", code, errText)
			}
			if out != "" {
				t.Errorf("stdout %q, want nothing", out)
			}
			if len(c.args) > 0 && strings.Count(errText, "\n") != 1 {
				t.Errorf("stderr is not one line: %q", errText)
			}
			for _, w := range c.want {
				if !strings.Contains(errText, w) {
					t.Errorf("stderr %q does not mention %q", errText, w)
				}
			}
			if _, err := os.Stat(filepath.Join(dir, "started")); err == nil {
				t.Error("the sidecar was started")
			}
			proctest.NoLeftovers(t, 0)
		})
	}
}

// Config errors of tether up: exit status 2, one line naming the file and
// the key, nothing started.
func TestConfigErrors(t *testing.T) {
	t.Parallel()
	const ok = "[sidecar.a]\ncommand = [\"sh\", \"-c\", \"touch started; sleep 60\"]\n"
	cases := []struct {
		name, toml string
		args       []string
		want       []string
	}{
		{"unknown key", ok + "gracee = \"1s\"\n", nil, []string{"unknown key sidecar.a.gracee", "did you mean grace"}},
		{"unknown top-level key", "verbose = true\n" + ok, nil, []string{"unknown key verbose", "allowed here"}},
		{"unknown table", ok + "[sidecar.a.extra]\nx = 1\n", nil, []string{"unknown key sidecar.a.extra"}},
		{"name key", ok + "name = \"b\"\n", nil, []string{"sidecar.a.name", "table's own name"}},
		{"bad duration", ok + "grace = \"5 seconds\"\n", nil, []string{`sidecar.a.grace = "5 seconds"`, "Go duration"}},
		{"duration as a number", ok + "ready_timeout = 30\n", nil, []string{"sidecar.a.ready_timeout = 30", "in quotes"}},
		{"bad probe", ok + "ready = \"htp://localhost\"\n", nil, []string{`sidecar.a.ready = "htp://localhost"`, "http://"}},
		{"bad port", ok + "port = \"any\"\n", nil, []string{`sidecar.a.port = "any"`, "auto"}},
		{"command as a string", "[sidecar.a]\ncommand = \"sh -c true\"\n", nil, []string{"sidecar.a.command", "argv list"}},
		{"no command", "[sidecar.a]\ngrace = \"1s\"\n", nil, []string{"sidecar.a.command", "missing"}},
		{"unknown depends_on", ok + "depends_on = [\"dbb\"]\n[sidecar.db]\ncommand = [\"true\"]\n", nil,
			[]string{"sidecar.a.depends_on", `unknown sidecar "dbb"`, `did you mean "db"`}},
		{"cycle", "[sidecar.a]\ncommand = [\"true\"]\ndepends_on = [\"b\"]\n[sidecar.b]\ncommand = [\"true\"]\ndepends_on = [\"c\"]\n[sidecar.c]\ncommand = [\"true\"]\ndepends_on = [\"a\"]\n", nil,
			[]string{"dependency cycle a → b → c → a"}},
		{"self dependency", ok + "depends_on = [\"a\"]\n", nil, []string{"dependency cycle a → a"}},
		{"syntax", ok + "grace = \n", nil, []string{"tether.toml: line 3"}},
		{"no sidecars", "lifeline = \"stdin\"\n", nil, []string{"no sidecars"}},
		{"conflicting settings", "lifeline = \"stdin\"\n" + ok + "lifeline = \"none\"\n", nil, []string{"sidecar.a.lifeline", "conflicts with lifeline"}},
		{"unknown name", ok, []string{"b"}, []string{`no sidecar "b"`}},
		{"bad env", ok + "env = { A = [1] }\n", nil, []string{"sidecar.a.env"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, "tether.toml"), []byte(c.toml), 0o644)
			out, errText, code := tetherExec(t, dir, "", append([]string{"up"}, c.args...)...)
			if code != 2 {
				t.Fatalf("exit status %d, want 2; stderr %q", code, errText)
			}
			if out != "" {
				t.Errorf("stdout %q", out)
			}
			if strings.Count(errText, "\n") != 1 {
				t.Errorf("stderr is not one line: %q", errText)
			}
			for _, w := range append(c.want, "tether up:") {
				if !strings.Contains(errText, w) {
					t.Errorf("stderr %q does not mention %q", errText, w)
				}
			}
			if _, err := os.Stat(filepath.Join(dir, "started")); err == nil {
				t.Error("a sidecar was started")
			}
			proctest.NoLeftovers(t, 0)
		})
	}
}

// SIGTERM, SIGINT and SIGHUP stop in order: stopping with reason signal,
// the stop signal to the tree, exited (expected), stopped 0, exit 0.
func TestStopOnSignal(t *testing.T) {
	t.Parallel()
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP} {
		t.Run(sig.String(), func(t *testing.T) {
			t.Parallel()
			flags, argv := helperArgv("slowstop", "50ms")
			p := startTether(t, "", runArgs(flags, argv...)...)
			p.waitFor(20*time.Second, 0, "up", func(e event) bool { return e.str("line") == "up" })
			p.signal(sig)
			if code := p.wait(20 * time.Second); code != 0 {
				t.Fatalf("exit status %d", code)
			}
			evs := p.all()
			ks := kinds(evs)
			if !isSubsequence([]string{"stopping", "state:stopping", "stdout", "exited", "state:stopped", "stopped"}, ks) {
				t.Errorf("events %v", ks)
			}
			if s := ofKind(evs, "stopping"); s[0].str("reason") != "signal" {
				t.Errorf("stopping %s", s[0])
			}
			ex := ofKind(evs, "exited")[0]
			if ex.num("code") != 0 || ex["expected"] != true {
				t.Errorf("exited %s, want code 0, expected", ex)
			}
			if out := ofKind(evs, "stdout"); out[len(out)-1].str("line") != "bye" {
				t.Errorf("the sidecar's last line is missing: %v", out)
			}
			if last := evs[len(evs)-1]; last.kind() != "stopped" || last.num("code") != 0 {
				t.Errorf("last event %s", last)
			}
			proctest.NoLeftovers(t, 2*time.Second)
		})
	}
}

// A second SIGINT during the stop kills at once, without waiting for the
// grace period.
func TestSecondInterruptKills(t *testing.T) {
	t.Parallel()
	flags, argv := helperArgv("stubborn")
	p := startTether(t, "", runArgs(append(flags, "--grace", "60s"), argv...)...)
	p.waitFor(20*time.Second, 0, "up", func(e event) bool { return e.str("line") == "up" })
	p.signal(syscall.SIGINT)
	p.waitKind(20*time.Second, 0, "stopping")
	t0 := time.Now()
	p.signal(syscall.SIGINT)
	if code := p.wait(20 * time.Second); code != 0 {
		t.Fatalf("exit status %d", code)
	}
	if d := time.Since(t0); d > 10*time.Second {
		t.Errorf("took %v after the second SIGINT", d)
	}
	evs := p.all()
	if ex := ofKind(evs, "exited")[0]; ex.str("signal") != "KILL" || ex["expected"] != true {
		t.Errorf("exited %s, want killed, expected", ex)
	}
	if n := len(ofKind(evs, "stopping")); n != 1 {
		t.Errorf("%d stopping events", n)
	}
	proctest.NoLeftovers(t, 2*time.Second)
}

// The stdin commands of run: write, signal, restart, start (no-op while
// running), stop; and bad lines, which change nothing.
func TestRunStdinCommands(t *testing.T) {
	t.Parallel()
	flags, argv := helperArgv("cat")
	p := startTether(t, "", runArgs(append(flags, "--name", "cat", "--backoff-initial", "10ms"), argv...)...)
	up := func(from int) int {
		_, i := p.waitFor(20*time.Second, from, "up", func(e event) bool { return e.str("line") == "up" })
		return i + 1
	}
	at := up(0)

	p.send(`{"cmd":"write","data":"ping\n"}`)
	_, at = p.waitFor(20*time.Second, at, "ping", func(e event) bool { return e.str("line") == "ping" })

	p.send(`{"cmd":"signal","signal":"KILL"}`)
	ex, i := p.waitKind(20*time.Second, at, "exited")
	if ex.str("signal") != "KILL" || ex["code"] != nil || ex["expected"] != false || ex.num("attempt") != 1 {
		t.Errorf("exited after a KILL: %s", ex)
	}
	rs, i := p.waitKind(20*time.Second, i, "restarting")
	if rs.num("attempt") != 2 || rs.num("delay_ms") < 0 {
		t.Errorf("restarting %s", rs)
	}
	sp, i := p.waitKind(20*time.Second, i, "spawned")
	if sp.num("attempt") != 2 {
		t.Errorf("spawned %s", sp)
	}
	at = up(i)

	p.send(`{"cmd":"start"}`) // running already: nothing happens
	p.send(`{"cmd":"restart"}`)
	ex, i = p.waitKind(20*time.Second, at, "exited")
	if ex["expected"] != true || ex.num("attempt") != 2 {
		t.Errorf("exited after restart: %s", ex)
	}
	sp, i = p.waitKind(20*time.Second, i, "spawned")
	if sp.num("attempt") != 3 {
		t.Errorf("spawned after restart %s", sp)
	}
	at = up(i)

	for _, bad := range []string{`hello`, `{"cmd":"explode"}`, `{"cmd":"stop","name":"other"}`, `{"cmd":"signal","signal":"NOPE"}`} {
		p.send(bad)
		e, j := p.waitKind(20*time.Second, at, "error")
		at = j + 1
		if !strings.Contains(e.str("error"), strconv.Quote(bad)) || !strings.Contains(e.str("error"), "stdin line") {
			t.Errorf("error for %s: %s", bad, e)
		}
	}
	p.send(`{"cmd":"stop","name":"cat"}`)
	if code := p.wait(20 * time.Second); code != 0 {
		t.Fatalf("exit status %d after stop", code)
	}
	evs := p.all()
	if s := ofKind(evs, "stopping"); len(s) != 1 || s[0].str("reason") != "command" {
		t.Errorf("stopping %v", s)
	}
	if n := len(ofKind(evs, "spawned")); n != 3 {
		t.Errorf("%d attempts, want 3: a start or a bad line changed something", n)
	}
	if last := evs[len(evs)-1]; last.kind() != "stopped" || last.num("code") != 0 {
		t.Errorf("last event %s", last)
	}
	proctest.NoLeftovers(t, 2*time.Second)
}

// --stop-request stdin-close: a sidecar that exits at the end of its stdin
// stops with no signal, long before grace.
func TestRunStopRequest(t *testing.T) {
	t.Parallel()
	flags, argv := helperArgv("until-eof")
	p := startTether(t, "", runArgs(append(flags, "--name", "polite", "--stop-request", "stdin-close", "--grace", "30s"), argv...)...)
	_, at := p.waitFor(20*time.Second, 0, "up", func(e event) bool { return e.str("line") == "up" })
	began := time.Now()
	p.send(`{"cmd":"stop"}`)
	if code := p.wait(25 * time.Second); code != 0 {
		t.Fatalf("exit status %d after stop", code)
	}
	if took := time.Since(began); took > 20*time.Second {
		t.Errorf("stop took %v: the request did not end it", took)
	}
	ex, _ := p.waitKind(time.Second, at, "exited")
	if ex["signal"] != nil || ex.num("code") != 0 || ex["expected"] != true {
		t.Errorf("exited %s: want code 0, signal null, expected", ex)
	}
	if e := ofKind(p.all(), "error"); len(e) != 0 {
		t.Errorf("errors %v", e)
	}
	proctest.NoLeftovers(t, 2*time.Second)
}

// The stdin commands of up: stop and start of one sidecar while the others
// run (start works after stop and after an exit, thanks to Hold), name
// required, and the exit once the last sidecar is stopped.
func TestUpStdinCommands(t *testing.T) {
	t.Parallel()
	dir := writeConfig(t, "[sidecar.a]\n"+helperCommand("cat")+
		"[sidecar.b]\n"+helperCommand("cat")+
		"[sidecar.once]\ncommand = [\"sh\", \"-c\", \"echo once\"]\nrestart = \"never\"\n")
	p := startTether(t, dir, "up")
	isLine := func(name, line string) func(event) bool {
		return func(e event) bool { return e.str("name") == name && e.str("line") == line }
	}
	_, ia := p.waitFor(20*time.Second, 0, "a up", isLine("a", "up"))
	_, ib := p.waitFor(20*time.Second, 0, "b up", isLine("b", "up"))
	st, _ := p.waitFor(20*time.Second, 0, "once stopped", func(e event) bool { return e.str("name") == "once" && e.kind() == "stopped" })
	if st.num("code") != 0 {
		t.Errorf("once: %s", st)
	}
	at := max(ia, ib) + 1

	p.send(`{"cmd":"stop"}`)
	e, j := p.waitKind(20*time.Second, at, "error")
	if !strings.Contains(e.str("error"), `"name" is required`) || e.str("name") != "" {
		t.Errorf("stop without a name: %s", e)
	}
	at = j + 1

	p.send(`{"cmd":"stop","name":"a"}`)
	_, at = p.waitFor(20*time.Second, at, "a stopped", func(e event) bool { return e.str("name") == "a" && e.kind() == "stopped" })
	p.send(`{"cmd":"write","name":"a","data":"x\n"}`)
	e, at = p.waitKind(20*time.Second, at, "error")
	if e.str("name") != "a" || !strings.Contains(e.str("error"), "not running") {
		t.Errorf("write to a stopped sidecar: %s", e)
	}
	p.send(`{"cmd":"write","name":"b","data":"to b\n"}`)
	p.waitFor(20*time.Second, at, "b's echo", isLine("b", "to b"))
	p.send(`{"cmd":"start","name":"a"}`)
	sp, _ := p.waitFor(20*time.Second, at, "a spawned again", func(e event) bool { return e.str("name") == "a" && e.kind() == "spawned" })
	if sp.num("attempt") != 2 {
		t.Errorf("a after start: %s", sp)
	}
	p.send(`{"cmd":"start","name":"once"}`)
	p.waitFor(20*time.Second, at, "once again", func(e event) bool { return e.str("name") == "once" && e.num("attempt") == 2 && e.str("line") == "once" })

	p.send(`{"cmd":"stop","name":"a"}`)
	p.send(`{"cmd":"stop","name":"b"}`)
	if code := p.wait(20 * time.Second); code != 0 {
		t.Fatalf("exit status %d after the last stop", code)
	}
	evs := p.all()
	for _, name := range []string{"a", "b", "once"} {
		var last event
		for _, e := range evs {
			if e.str("name") == name {
				last = e
			}
		}
		if last.kind() != "stopped" || last.num("code") != 0 {
			t.Errorf("%s: last event %s", name, last)
		}
	}
	proctest.NoLeftovers(t, 2*time.Second)
}

// up exits once every sidecar has ended, with the first non-zero status.
// A sidecar whose dependency ended before it was ready is not started.
func TestUpEndsWhenAllEnded(t *testing.T) {
	t.Parallel()
	dir := writeConfig(t, `
[sidecar.fails]
command = ["sh", "-c", "sleep 0.2; exit 3"]
restart = "never"
[sidecar.fine]
command = ["sh", "-c", "exit 0"]
restart = "never"
[sidecar.missing]
command = ["./not-there"]
[sidecar.after]
command = ["sh", "-c", "touch started"]
depends_on = ["missing"]
`)
	out, errText, code := tetherExec(t, dir, "", "up")
	if code != 127 && code != 3 {
		t.Fatalf("exit status %d, want the first failure's (127 or 3); stderr %s", code, errText)
	}
	evs := decodeAll(t, out)
	first := ""
	for _, e := range evs {
		if e.kind() == "stopped" && e.num("code") != 0 && first == "" {
			first = e.str("name")
			if e.num("code") != code {
				t.Errorf("exit status %d, but the first failure %s", code, e)
			}
		}
	}
	after := index(evs, func(e event) bool { return e.str("name") == "after" && e.kind() == "error" })
	if after < 0 || !strings.Contains(evs[after].str("error"), "missing ended before it was ready") {
		t.Errorf("no error for the dependent: %v", evs)
	}
	if st := index(evs, func(e event) bool { return e.str("name") == "after" && e.kind() == "stopped" && e.num("code") == 1 }); st < 0 {
		t.Error("no stopped 1 for the dependent")
	}
	if _, err := os.Stat(filepath.Join(dir, "started")); err == nil {
		t.Error("the dependent was started")
	}
	proctest.NoLeftovers(t, 2*time.Second)
}

// --lifeline stdin: the end of stdin stops everything (reason stdin),
// exit 0. Without it, the end of stdin changes nothing.
func TestLifeline(t *testing.T) {
	t.Parallel()
	t.Run("stdin", func(t *testing.T) {
		t.Parallel()
		flags, argv := helperArgv("slowstop", "10ms")
		p := startTether(t, "", runArgs(append(flags, "--lifeline", "stdin"), argv...)...)
		p.waitFor(20*time.Second, 0, "up", func(e event) bool { return e.str("line") == "up" })
		p.stdin.Close()
		if code := p.wait(20 * time.Second); code != 0 {
			t.Fatalf("exit status %d", code)
		}
		evs := p.all()
		if s := ofKind(evs, "stopping"); len(s) != 1 || s[0].str("reason") != "stdin" {
			t.Errorf("stopping %v", s)
		}
		if ex := ofKind(evs, "exited"); ex[0]["expected"] != true || ex[0].num("code") != 0 {
			t.Errorf("exited %v", ex)
		}
		proctest.NoLeftovers(t, 2*time.Second)
	})
	t.Run("none", func(t *testing.T) {
		t.Parallel()
		flags, argv := helperArgv("slowstop", "10ms")
		p := startTether(t, "", runArgs(flags, argv...)...)
		p.waitFor(20*time.Second, 0, "up", func(e event) bool { return e.str("line") == "up" })
		p.stdin.Close()
		time.Sleep(300 * time.Millisecond)
		if s := ofKind(p.all(), "stopping"); len(s) != 0 {
			t.Errorf("stopped at the end of stdin without --lifeline stdin: %v", s)
		}
		p.signal(syscall.SIGTERM)
		if code := p.wait(20 * time.Second); code != 0 {
			t.Fatalf("exit status %d", code)
		}
		proctest.NoLeftovers(t, 2*time.Second)
	})
}

// --exit-with-parent: tether's parent (a shell that started it in the
// background) is killed with SIGKILL; tether notices, stops the sidecar
// (reason parent), and it and the sidecar are gone within about 2s. With
// --exit-with-parent=false tether keeps running.
func TestExitWithParent(t *testing.T) {
	t.Parallel()
	for _, on := range []bool{true, false} {
		t.Run(fmt.Sprint(on), func(t *testing.T) {
			t.Parallel()
			flags, argv := helperArgv("slowstop", "10ms")
			args := runArgs(append(flags, fmt.Sprintf("--exit-with-parent=%v", on)), argv...)
			sh := exec.Command("sh", append([]string{"-c", `"$0" "$@" & wait`, tetherBin}, args...)...)
			sh.Dir = t.TempDir()
			sh.Env = append(os.Environ(), proctest.Env(t))
			p := startProc(t, sh, false)
			p.waitFor(20*time.Second, 0, "up", func(e event) bool { return e.str("line") == "up" })
			if err := sh.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			if on {
				// tether and the sidecar are gone within about 2s.
				proctest.NoLeftovers(t, 3*time.Second)
			} else {
				time.Sleep(500 * time.Millisecond)
				if s := ofKind(p.all(), "stopping"); len(s) != 0 {
					t.Fatalf("stopped with --exit-with-parent=false: %v", s)
				}
				pid := pidWithComm(t, "tether")
				if pid == 0 {
					t.Fatal("tether is gone with --exit-with-parent=false")
				}
				syscall.Kill(pid, syscall.SIGTERM)
			}
			select {
			case <-p.eof:
			case <-time.After(5 * time.Second):
				t.Fatalf("tether still writing 5s after its parent died; events:\n%s", p.dump())
			}
			proctest.NoLeftovers(t, 2*time.Second)
			evs := p.all()
			reason := "parent"
			if !on {
				reason = "signal"
			}
			if s := ofKind(evs, "stopping"); len(s) != 1 || s[0].str("reason") != reason {
				t.Errorf("stopping %v, want reason %s", s, reason)
			}
			if last := evs[len(evs)-1]; last.kind() != "stopped" || last.num("code") != 0 {
				t.Errorf("last event %s", last)
			}
		})
	}
}

// up's order: a sidecar starts once its dependencies are ready; on a stop,
// each is stopped after the sidecars that depend on it, independent ones
// in parallel.
func TestUpOrder(t *testing.T) {
	t.Parallel()
	dir := writeConfig(t, "[sidecar.db]\n"+helperCommand("delayed", "300ms")+"ready = \"log:^listening$\"\n"+
		"[sidecar.api]\n"+helperCommand("slowstop", "200ms")+"depends_on = [\"db\"]\n"+
		"[sidecar.web]\n"+helperCommand("slowstop", "200ms")+"depends_on = [\"api\"]\n"+
		"[sidecar.solo]\n"+helperCommand("slowstop", "200ms"))
	p := startTether(t, dir, "up")
	p.waitFor(20*time.Second, 0, "web up", func(e event) bool { return e.str("name") == "web" && e.str("line") == "up" })
	p.waitFor(20*time.Second, 0, "solo up", func(e event) bool { return e.str("name") == "solo" && e.str("line") == "up" })
	p.signal(syscall.SIGTERM)
	if code := p.wait(20 * time.Second); code != 0 {
		t.Fatalf("exit status %d", code)
	}
	evs := p.all()
	at := func(name, kind string) int {
		i := index(evs, func(e event) bool { return e.str("name") == name && e.kind() == kind })
		if i < 0 {
			t.Fatalf("no %s event of %s", kind, name)
		}
		return i
	}
	line := index(evs, func(e event) bool { return e.str("name") == "db" && e.str("line") == "listening" })
	if line < 0 {
		t.Fatal("db never said listening")
	}
	if at("db", "ready") < line {
		t.Fatalf("db ready before it said listening: %v", summary(evs))
	}
	if !(at("db", "ready") < at("api", "spawned") && at("api", "ready") < at("web", "spawned")) {
		t.Errorf("start order: %v", summary(evs))
	}
	// Stop: web first (solo alongside), then api, then db.
	if !(at("web", "stopped") < at("api", "stopping") && at("api", "stopped") < at("db", "stopping")) {
		t.Errorf("stop order: %v", summary(evs))
	}
	if !(at("solo", "stopping") < at("web", "exited") && at("web", "stopping") < at("solo", "exited")) {
		t.Errorf("independent sidecars were not stopped in parallel: %v", summary(evs))
	}
	proctest.NoLeftovers(t, 2*time.Second)
}

// summary lists events as name:kind.
func summary(evs []event) []string {
	var s []string
	for _, e := range evs {
		if e.kind() != "state" {
			s = append(s, e.str("name")+":"+e.kind())
		}
	}
	return s
}

// Lossless output through NDJSON: two 3 MB streams of hostile bytes
// (invalid UTF-8, control characters, a 2.5 MiB line, no final newline)
// are rebuilt byte for byte from the events.
func TestLosslessOutput(t *testing.T) {
	t.Parallel()
	flags, argv := helperArgv("fidelity", "11")
	out, errText, code := tetherExec(t, t.TempDir(), "", runArgs(append(flags, "--restart", "never"), argv...)...)
	if code != 0 {
		t.Fatalf("exit status %d; %s", code, errText)
	}
	var got [2]bytes.Buffer
	partials, datas := 0, 0
	for _, e := range decodeAll(t, out) {
		i := 0
		switch e.kind() {
		case "stdout":
		case "stderr":
			i = 1
		default:
			continue
		}
		var b []byte
		if d, ok := e["data"].(string); ok {
			datas++
			var err error
			if b, err = base64.StdEncoding.DecodeString(d); err != nil {
				t.Fatal(err)
			}
		} else {
			b = []byte(e.str("line"))
		}
		if len(b) > tether.MaxChunk {
			t.Errorf("a chunk of %d bytes", len(b))
		}
		got[i].Write(b)
		if e["partial"] == true {
			partials++
		} else {
			got[i].WriteByte('\n')
		}
	}
	for i, want := range [][]byte{hostileStream(11), hostileStream(12)} {
		if g := got[i].Bytes(); !bytes.Equal(g, want) {
			n := 0
			for n < len(g) && n < len(want) && g[n] == want[n] {
				n++
			}
			t.Errorf("stream %d: %d bytes, want %d; first difference at %d", i, len(g), len(want), n)
		}
	}
	if partials < 6 || datas == 0 {
		t.Errorf("%d partial chunks (want at least 6: two of each long line, the last lines), %d data chunks", partials, datas)
	}
	proctest.NoLeftovers(t, 2*time.Second)
}

// Closing tether's stdout (the host stopped reading) stops everything.
func TestBrokenStdout(t *testing.T) {
	t.Parallel()
	cmd := tetherCmd(t, "", "run", "--", "sh", "-c", "while :; do echo tick; sleep 0.02; done")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 100)
	out.Read(buf)
	out.Close()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatal("tether kept running with its stdout closed")
	}
	if code := cmd.ProcessState.ExitCode(); code != 0 || !strings.Contains(errb.String(), "cannot write events") {
		t.Errorf("exit status %d, stderr %q", code, errb.String())
	}
	proctest.NoLeftovers(t, 2*time.Second)
}

// --bundled finds NAME-<target-triple> beside the tether executable; a
// bundled sidecar that is missing gives up with 127 and says what it tried.
func TestBundled(t *testing.T) {
	t.Parallel()
	triple, ok := bundle.CurrentTriple()
	if !ok {
		t.Skip("no target triple for this platform")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "tether")
	data, err := os.ReadFile(tetherBin)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(bin, data, 0o755)
	os.WriteFile(filepath.Join(dir, "hello-"+triple), []byte("#!/bin/sh\necho bundled \"$@\"\n"), 0o755)
	run := func(args ...string) (string, int) {
		cmd := exec.Command(bin, args...)
		cmd.Dir = t.TempDir()
		cmd.Env = append(os.Environ(), proctest.Env(t))
		out, _ := cmd.Output()
		return string(out), cmd.ProcessState.ExitCode()
	}
	out, code := run("run", "--bundled", "--restart", "never", "--", "hello", "a", "b")
	if code != 0 {
		t.Fatalf("exit status %d: %s", code, out)
	}
	evs := decodeAll(t, out)
	if l := ofKind(evs, "stdout"); len(l) != 1 || l[0].str("line") != "bundled a b" || l[0].str("name") != "hello" {
		t.Errorf("output %v", l)
	}
	out, code = run("run", "--bundled", "--", "absent")
	evs = decodeAll(t, out)
	g := ofKind(evs, "gave_up")
	if code != 127 || len(g) != 1 || !strings.Contains(g[0].str("error"), filepath.Join(dir, "absent-"+triple)) {
		t.Errorf("exit status %d, gave_up %v", code, g)
	}
	os.WriteFile(filepath.Join(dir, "tether.toml"), []byte("[sidecar.h]\ncommand = [\"hello\", \"toml\"]\nbundled = true\nrestart = \"never\"\n"), 0o644)
	out, code = run("up", "-f", filepath.Join(dir, "tether.toml"))
	if l := ofKind(decodeAll(t, out), "stdout"); code != 0 || len(l) != 1 || l[0].str("line") != "bundled toml" {
		t.Errorf("up with bundled: status %d, output %v", code, l)
	}
	proctest.NoLeftovers(t, 2*time.Second)
}

// --output text: aligned name | line output and readable lifecycle lines,
// no colour when stdout is not a terminal.
func TestTextOutput(t *testing.T) {
	t.Parallel()
	dir := writeConfig(t, "[sidecar.a]\ncommand = [\"sh\", \"-c\", \"echo from a\"]\nrestart = \"never\"\n"+
		"[sidecar.longer]\ncommand = [\"sh\", \"-c\", \"echo from longer; exit 4\"]\nrestart = \"never\"\n")
	out, _, code := tetherExec(t, dir, "", "up", "--output", "text")
	if code != 4 {
		t.Errorf("exit status %d", code)
	}
	for _, re := range []string{
		`(?m)^\d\d:\d\d:\d\d\.\d{3} a      \| from a$`,
		`(?m)^\d\d:\d\d:\d\d\.\d{3} longer \| from longer$`,
		`(?m)^\d\d:\d\d:\d\d\.\d{3} a      \* spawned pid \d+ \(attempt 1, [a-z-]+(\+watcher)?\)$`,
		`(?m)^\d\d:\d\d:\d\d\.\d{3} longer \* exited with status 4 after .* \(unexpectedly\)$`,
	} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("text output does not match %s:\n%s", re, out)
		}
	}
	if strings.Contains(out, "\x1b[") || strings.Contains(out, "{") {
		t.Errorf("colour or JSON in text output to a pipe:\n%s", out)
	}
	proctest.NoLeftovers(t, 2*time.Second)
}

func TestHelpAndVersion(t *testing.T) {
	t.Parallel()
	out, _, code := tetherExec(t, "", "", "run", "--help")
	if code != 0 {
		t.Fatalf("run --help: %d", code)
	}
	// Every flag of the contract, with its default.
	for _, f := range []string{
		"--name NAME", "--dir DIR", "--env K=V", "--port auto|N", "--ready PROBE", "--ready-timeout DUR", "(default 30s)",
		"--live PROBE", "--live-interval DUR", "(default 5s)", "--live-timeout DUR", "(default 2s)", "--live-failures N", "(default 3)",
		"--restart always|on-failure|never", "(default always)", "--backoff-initial DUR", "(default 250ms)",
		"--backoff-max DUR", "--backoff-factor F", "(default 2)", "--backoff-jitter F", "(default 0.1)",
		"--healthy-after DUR", "--max-restarts N", "(default 0 (unlimited))", "--restart-window DUR", "(default 60s)",
		"--stop-signal SIG", "(default TERM)", "--grace DUR", "(default 5s)", "--lifeline stdin|none", "(default none)",
		"--exit-with-parent", "(default true)", "--output json|text", "--bundled", "Exit status", "Probes",
	} {
		if !strings.Contains(out, f) {
			t.Errorf("run --help does not mention %q", f)
		}
	}
	for _, args := range [][]string{{"--help"}, {"help"}, {"up", "--help"}, {"demo", "--help"}, {"help", "up"}, {"version"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			t.Parallel()
			if out, _, code := tetherExec(t, "", "", args...); code != 0 || !strings.HasPrefix(out, "tether ") && !strings.Contains(out, "Usage") {
				t.Errorf("%v: status %d, %q", args, code, out)
			}
		})
	}
}

// The events of several sidecars interleave on one stream, each line whole,
// even under a flood.
func TestUpInterleavedFlood(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	for i := range 3 {
		fmt.Fprintf(&b, "[sidecar.f%d]\n%srestart = \"never\"\n", i, helperCommand("count", fmt.Sprintf("line-%d-", i), "3000"))
	}
	dir := writeConfig(t, b.String())
	out, _, code := tetherExec(t, dir, "", "up")
	if code != 0 {
		t.Fatalf("exit status %d", code)
	}
	next := map[string]int{}
	for _, e := range decodeAll(t, out) { // decodeAll fails on a broken line
		if e.kind() != "stdout" {
			continue
		}
		want := fmt.Sprintf("line-%s-%d", strings.TrimPrefix(e.str("name"), "f"), next[e.str("name")])
		next[e.str("name")]++
		if e.str("line") != want {
			t.Fatalf("line %q, want %q", e.str("line"), want)
		}
	}
	for i := range 3 {
		if n := next[fmt.Sprintf("f%d", i)]; n != 3000 {
			t.Errorf("f%d: %d lines", i, n)
		}
	}
	proctest.NoLeftovers(t, 2*time.Second)
}

// tether itself killed with SIGKILL: its watcher empties the sidecar's
// tree, grandchildren and a setsid'd one included.
func TestTetherKilled(t *testing.T) {
	t.Parallel()
	p := startTether(t, "", "run", "--", "sh", "-c", "sleep 600 & setsid sleep 601 & echo up; wait")
	sp, _ := p.waitKind(20*time.Second, 0, "spawned")
	if c := sp.str("containment"); !strings.HasSuffix(c, "+watcher") || strings.HasSuffix(c, "+no-watcher") {
		t.Fatalf("spawned with containment %q, want a watcher", c)
	}
	p.waitFor(20*time.Second, 0, "up", func(e event) bool { return e.str("line") == "up" })
	if n := len(proctest.Tagged(proctest.Tag(t))); n < 4 { // tether, its watcher, sh, two sleeps
		t.Logf("%d tagged processes before the kill", n)
	}
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	proctest.NoLeftovers(t, 3*time.Second)
}

// A tether that cannot run its watcher says so: the spawned event's
// containment ends in "+no-watcher", and an error event says why and names
// the fix. Two causes: too few file descriptors for the watcher's pipes
// (ulimit -n 20, which once dropped the watcher silently), and the watcher
// switched off in the environment.
func TestNoWatcherReported(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("Windows needs no watcher: the job object kills the tree")
	}
	for _, tc := range []struct {
		name, fix string
		prefix    []string // runs tether
		env       string
	}{
		{"fd-limit", "ulimit -n", []string{"/bin/sh", "-c", `ulimit -n 20 && exec "$0" "$@"`, tetherBin}, ""},
		{"off", "unset TETHER_WATCHER", []string{tetherBin}, "TETHER_WATCHER=off"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command(tc.prefix[0], append(tc.prefix[1:], "run", "--restart", "never", "--", "true")...)
			cmd.Dir = t.TempDir()
			cmd.Env = append(os.Environ(), proctest.Env(t), tc.env)
			var out, errb bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &errb
			runBounded(t, cmd, 30*time.Second, &errb)
			evs := decodeAll(t, out.String())
			i := slices.IndexFunc(evs, func(e event) bool { return e.kind() == "spawned" })
			if i < 0 || i+1 >= len(evs) {
				t.Fatalf("no spawned event followed by another:\n%s\nstderr: %s", out.String(), errb.String())
			}
			if c := evs[i].str("containment"); !strings.HasSuffix(c, "+no-watcher") {
				t.Errorf("spawned with containment %q, want it to end in +no-watcher", c)
			}
			if e := evs[i+1]; e.kind() != "error" || !strings.Contains(e.str("error"), "no watcher") || !strings.Contains(e.str("error"), tc.fix) {
				t.Errorf("after spawned: %s %q, want an error naming the fix %q", e.kind(), e.str("error"), tc.fix)
			}
			proctest.NoLeftovers(t, 2*time.Second)
		})
	}
}
