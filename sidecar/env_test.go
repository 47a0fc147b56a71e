package sidecar

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

func TestParseEnv(t *testing.T) {
	vars := map[string]string{
		"TETHER_PORT": "8080", "TETHER_PID": "42", "TETHER_STOP_REQUEST": "stdin:quit",
		"NOTIFY_SOCKET": "/run/x.sock", "WATCHDOG_USEC": "2000000",
	}
	e, err := ParseEnv(func(k string) string { return vars[k] })
	want := Env{Port: 8080, TetherPID: 42, StopRequest: "stdin:quit", NotifySocket: "/run/x.sock", WatchdogInterval: 2 * time.Second}
	if err != nil || e != want {
		t.Fatalf("got %+v, %v; want %+v", e, err, want)
	}
	http := func(k string) string {
		if k == "TETHER_STOP_REQUEST" {
			return "http://127.0.0.1:8080/quit"
		}
		return ""
	}
	if e, err := ParseEnv(http); err != nil || e.StopRequest != "http://127.0.0.1:8080/quit" {
		t.Fatalf("an HTTP stop request: %+v, %v", e, err)
	}
	if e, err := ParseEnv(func(string) string { return "" }); err != nil || e != (Env{}) {
		t.Fatalf("empty environment: %+v, %v", e, err)
	}
	for k, v := range map[string]string{"TETHER_PORT": "70000", "TETHER_PID": "x", "WATCHDOG_USEC": "-1"} {
		_, err := ParseEnv(func(name string) string {
			if name == k {
				return v
			}
			return ""
		})
		if !errors.Is(err, ErrBadEnv) || !strings.Contains(err.Error(), k) {
			t.Errorf("%s=%s: %v", k, v, err)
		}
	}
}

// Not run by tether, everything is a no-op.
func TestZeroEnv(t *testing.T) {
	var e Env
	if err := e.Ready(); err != nil {
		t.Error(err)
	}
	if err := e.Notify(strings.Repeat("x", 5000)); err != nil {
		t.Error(err)
	}
	start := time.Now()
	if err := e.Watchdog(context.Background(), nil); err != nil || time.Since(start) > time.Second {
		t.Errorf("Watchdog without a watchdog: %v after %v", err, time.Since(start))
	}
}

func TestWatchStdin(t *testing.T) {
	cases := []struct {
		request, input, want string
	}{
		{"stdin-close", "anything\nquit\n", "stdin closed"},
		{"stdin:quit", "hello\nquit\r\nmore", `stdin line "quit"`},
		{"stdin:quit", "quitting\n" + strings.Repeat("q", 100<<10) + "quit\n", "stdin closed"},
		{"stdin:quit", "hello\nquit", `stdin line "quit"`},
		{"stdin:quit", "hello\n", "stdin closed"},
	}
	for _, c := range cases {
		var got []string
		watchStdin(strings.NewReader(c.input), c.request, func(why string) { got = append(got, why) })
		if len(got) != 1 || got[0] != c.want {
			t.Errorf("%s on %.20q: %q, want %q", c.request, c.input, got, c.want)
		}
	}
}

// The stdin watch reads as it goes: the line fires before stdin ends.
func TestWatchStdinLineBeforeEOF(t *testing.T) {
	r, w := io.Pipe()
	fired := make(chan string, 1)
	go watchStdin(r, "stdin:stop now", func(why string) { fired <- why })
	io.WriteString(w, "stop\nstop now\n")
	select {
	case why := <-fired:
		if why != `stdin line "stop now"` {
			t.Errorf("fired with %q", why)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no stop on the line")
	}
	w.Close()
}
