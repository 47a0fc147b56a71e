package main

import (
	"errors"
	"strings"
	"testing"
	"time"

	"tether.dev/tether"
)

// The text form says what is happening and what to do: who waits for
// whom, "ready (no probe)" rather than a meaningless delay, how long a stop
// may take and how to hurry it, which attempt a failed write was for, an
// error once rather than twice, and never a raw control character from a
// sidecar.
func TestTextForPeople(t *testing.T) {
	t.Parallel()
	api, worker := newSidecarConfig(), newSidecarConfig()
	api.name, api.spec.Grace = "api", 4*time.Second
	worker.name, worker.dependsOn = "worker", []string{"api"}
	worker.spec.Ready = tether.TCPProbe("127.0.0.1:9")
	f := newTextFormat([]string{"api", "worker"}, false).withSidecars([]*sidecarConfig{api, worker})
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.Local)
	format := func(r record) string {
		r.ev.Time = at
		return string(f.format(nil, &r))
	}

	first := format(record{ev: tether.Event{Name: "api", Kind: tether.EventState}})
	if first != "03:04:05.000 worker * waits for api to be ready\n" {
		t.Errorf("first lines %q, want worker's wait", first)
	}
	if again := format(record{ev: tether.Event{Name: "api", Kind: tether.EventState}}); again != "" {
		t.Errorf("the wait told twice: %q", again)
	}
	checks := []struct {
		r    record
		want string
	}{
		{record{ev: tether.Event{Name: "api", Kind: tether.EventReady, Pid: 7, Attempt: 1, After: 10 * time.Microsecond}}, "api    * ready (no probe), pid 7\n"},
		{record{ev: tether.Event{Name: "worker", Kind: tether.EventReady, Pid: 8, Attempt: 1, After: 12 * time.Millisecond}}, "worker * ready after 12ms (pid 8)\n"},
		{record{kind: recStopping, reason: "signal", ev: tether.Event{Name: "api"}}, "api    * stopping on a signal: waiting up to 4s for api to stop; Ctrl-C again to kill now\n"},
		{record{kind: recStopping, reason: "command", ev: tether.Event{Name: "worker"}}, "worker * stopping as asked on standard input: waiting up to 5s for worker to stop\n"},
		{record{ev: tether.Event{Name: "api", Kind: tether.EventError, Pid: 7, Attempt: 2, Err: errors.New("tether: write to api's stdin: broken pipe")}},
			"api    * error: tether: write to api's stdin: broken pipe (pid 7, attempt 2)\n"},
		{record{ev: tether.Event{Name: "api", Kind: tether.EventStdout, Data: []byte("a\x1b[2J\rb\x00c\x7f\u202edone\tx \xff")}},
			`api    | a\x1b[2J\rb\x00c\x7f\u202edone` + "\tx \uFFFD\n"},
		{record{ev: tether.Event{Name: "api", Kind: tether.EventError, Err: errors.New("probe said \x1b]0;title\x07\nnext")}},
			`api    * error: probe said \x1b]0;title\x07\nnext` + "\n"},
	}
	for _, c := range checks {
		if got := format(c.r); !strings.HasSuffix(got, c.want) {
			t.Errorf("got %q, want it to end in %q", got, c.want)
		}
	}

	notFound := errors.New(`tether: start "nope": command not found (looked in PATH=/a:/b)`)
	out := format(record{ev: tether.Event{Name: "api", Kind: tether.EventError, Attempt: 1, Err: notFound}}) +
		format(record{ev: tether.Event{Name: "api", Kind: tether.EventGaveUp, Attempt: 1, Err: notFound}})
	if strings.Count(out, "PATH=") != 1 || strings.Count(out, `"nope"`) != 1 || !strings.Contains(out, "gave up (see the error above)") {
		t.Errorf("not found told twice, or not at all:\n%s", out)
	}
	other := format(record{ev: tether.Event{Name: "api", Kind: tether.EventGaveUp, Restarts: 3, Err: errors.New("too many restarts")}})
	if !strings.Contains(other, "gave up after 3 restarts: too many restarts") {
		t.Errorf("gave up %q", other)
	}

	tail := format(record{ev: tether.Event{Name: "api", Kind: tether.EventExited, Code: 1, Tail: []string{"\x1b[31mboom\r"}}})
	if strings.ContainsAny(tail, "\x1b\r") || !strings.Contains(tail, `\x1b[31mboom\r`) {
		t.Errorf("tail not escaped: %q", tail)
	}

	req := newTextFormat([]string{"a"}, false).withSidecars([]*sidecarConfig{{name: "a", spec: tether.Spec{Grace: 2 * time.Second, StopRequest: "stdin-close"}}})
	if s := string(req.format(nil, &record{kind: recStopping, reason: "signal", ev: tether.Event{Time: at, Name: "a"}})); !strings.Contains(s, "waiting up to 3s for a to stop") {
		t.Errorf("with a stop request: %q", s)
	}
	kill := newTextFormat([]string{"a"}, false).withSidecars([]*sidecarConfig{{name: "a", spec: tether.Spec{Grace: -1}}})
	if s := string(kill.format(nil, &record{kind: recStopping, reason: "signal", ev: tether.Event{Time: at, Name: "a"}})); !strings.Contains(s, "killing a now") {
		t.Errorf("grace 0: %q", s)
	}
}
