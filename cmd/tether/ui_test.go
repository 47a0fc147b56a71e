package main

import (
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"tether.dev/tether"
)

// These tests drive the live view's model with the records a session
// writes and the keys a person presses, and read the screen it draws. The
// whole program in a real terminal is tested in ui_tmux_test.go.

// viewFor returns a model of names drawn at width×height, without colour
// unless color, and the view whose commands it sends.
func viewFor(t *testing.T, names []string, color bool, width, height int) (*viewModel, *liveView) {
	t.Helper()
	v := newLiveView(names, nil, io.Discard)
	m := newViewModel(names, "test", color, io.Discard)
	m.send, m.interrupt = v.send, v.interrupt
	m.Update(tea.WindowSizeMsg{Width: width, Height: height})
	return m, v
}

// feed gives m the records, as the event queue hands them on.
func feed(m *viewModel, recs ...record) {
	m.Update(recordsMsg(recs))
}

// press gives m one key, named as bubbletea names it ("r", "up", "ctrl+c").
func press(m *viewModel, key string) {
	var k tea.KeyMsg
	switch key {
	case "up":
		k = tea.KeyMsg{Type: tea.KeyUp}
	case "down":
		k = tea.KeyMsg{Type: tea.KeyDown}
	case "pgup":
		k = tea.KeyMsg{Type: tea.KeyPgUp}
	case "end":
		k = tea.KeyMsg{Type: tea.KeyEnd}
	case "ctrl+c":
		k = tea.KeyMsg{Type: tea.KeyCtrlC}
	default:
		k = tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(key)}
	}
	if k.String() != key {
		panic("press: " + k.String() + " is not " + key)
	}
	m.Update(k)
}

// ev is a library event of sidecar name, a second after t0 per step.
func ev(name string, kind tether.EventKind, step int, set func(*tether.Event)) record {
	e := tether.Event{Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC).Add(time.Duration(step) * time.Second), Name: name, Kind: kind}
	if set != nil {
		set(&e)
	}
	return record{ev: e}
}

// started are the records of name's first attempt: spawned as pid on
// port, running, ready, and the lines it printed.
func started(name string, pid, port int, lines ...string) []record {
	recs := []record{
		ev(name, tether.EventSpawned, 0, func(e *tether.Event) { e.Pid, e.Port, e.Attempt = pid, port, 1 }),
		ev(name, tether.EventState, 0, func(e *tether.Event) { e.State = tether.StateStarting }),
		ev(name, tether.EventReady, 1, func(e *tether.Event) { e.Pid, e.After = pid, 12*time.Millisecond }),
		ev(name, tether.EventState, 1, func(e *tether.Event) { e.State = tether.StateRunning }),
	}
	for _, l := range lines {
		kind := tether.EventStdout
		if s, ok := strings.CutPrefix(l, "err:"); ok {
			kind, l = tether.EventStderr, s
		}
		recs = append(recs, ev(name, kind, 2, func(e *tether.Event) { e.Pid, e.Data = pid, []byte(l) }))
	}
	return recs
}

// screen returns m's screen as lines, checking it fits width×height.
func screen(t *testing.T, m *viewModel) []string {
	t.Helper()
	lines := strings.Split(m.View(), "\n")
	if len(lines) != m.height {
		t.Errorf("the view has %d lines, want the terminal's %d:\n%s", len(lines), m.height, m.View())
	}
	for i, l := range lines {
		if w := ansi.StringWidth(l); w > m.width {
			t.Errorf("line %d is %d cells wide, more than the terminal's %d: %q", i, w, m.width, l)
		}
	}
	return lines
}

// lineWith returns the first line of lines that holds every one of words.
func lineWith(lines []string, words ...string) (string, bool) {
	for _, l := range lines {
		all := true
		for _, w := range words {
			all = all && strings.Contains(l, w)
		}
		if all {
			return l, true
		}
	}
	return "", false
}

// At 80×24: a row per sidecar with every column, the selected one's log.
func TestViewRowsAndLog(t *testing.T) {
	m, _ := viewFor(t, []string{"api", "db"}, false, 80, 24)
	m.now = func() time.Time { return time.Date(2026, 1, 2, 3, 5, 10, 0, time.UTC) } // 65 s after spawn
	feed(m, started("api", 4101, 38011, "hello", "err:oops")...)
	feed(m, ev("db", tether.EventState, 0, func(e *tether.Event) { e.State = tether.StateBackoff }),
		ev("db", tether.EventRestarting, 0, func(e *tether.Event) { e.Attempt, e.Delay = 2, time.Second }))
	lines := screen(t, m)
	if !strings.HasPrefix(lines[0], "tether · test · 2 sidecars") {
		t.Errorf("title line %q", lines[0])
	}
	for _, want := range [][]string{
		{"NAME", "STATE", "PID", "PORT", "ATT", "RST", "UPTIME", "READY", "LAST OUTPUT"},
		{"> api", "running", "4101", "38011", " 1 ", "1m05s", "ready", "oops"},
		{"  db", "backoff", "   -     - ", "   - ", " 1 "}, // no pid, no port, no attempt yet, one restart
		{"── api ", "following"},
		{"| hello"},
		{"| oops"},
		{"* ready after 12ms (pid 4101)"},
		{"r restart", "x stop", "s start", "q quit"},
	} {
		if _, ok := lineWith(lines, want...); !ok {
			t.Errorf("no line holds %q:\n%s", want, m.View())
		}
	}
}

// The keys send the commands of the stdin protocol, which the session
// parses as it parses a host's; q (or Ctrl-C) interrupts, twice to kill.
func TestViewKeys(t *testing.T) {
	m, v := viewFor(t, []string{"api", "db"}, false, 80, 24)
	feed(m, started("api", 1, 0)...)
	feed(m, started("db", 2, 0)...)
	press(m, "down")
	if l, ok := lineWith(screen(t, m), "> db"); !ok {
		t.Fatalf("down did not select db:\n%s", m.View())
	} else if _, ok := lineWith([]string{l}, "running"); !ok {
		t.Errorf("db's row: %q", l)
	}
	press(m, "r")
	press(m, "x")
	press(m, "s")
	press(m, "up")
	press(m, "r")
	want := []string{"restart db", "stop db", "start db", "restart api"}
	for _, w := range want {
		line := <-v.commands
		cmd, err := parseCommand(line)
		if err != nil {
			t.Fatalf("the view sent %q, which the session refuses: %v", line, err)
		}
		if got := cmd.Cmd + " " + *cmd.Name; got != w {
			t.Errorf("sent %q, want %s", line, w)
		}
	}
	if _, ok := lineWith(screen(t, m), "restart api"); !ok {
		t.Errorf("the notice line does not say what was sent:\n%s", m.View())
	}
	press(m, "q")
	if _, ok := lineWith(screen(t, m), "stopping everything", "q again kills"); !ok {
		t.Errorf("q does not say it stops everything:\n%s", m.View())
	}
	press(m, "ctrl+c")
	for i := range 2 {
		select {
		case <-v.interrupts:
		default:
			t.Fatalf("interrupt %d was not sent", i+1)
		}
	}
	if _, cmd := m.Update(endMsg{}); cmd == nil {
		t.Error("the end of the session does not end the view")
	}
}

// Keys pressed faster than the session reads them are refused, never
// queued without bound.
func TestViewCommandsBounded(t *testing.T) {
	m, v := viewFor(t, []string{"api"}, false, 80, 24)
	for range maxViewCommands {
		press(m, "r")
	}
	press(m, "r")
	if _, ok := lineWith(screen(t, m), "too many commands"); !ok {
		t.Errorf("a key beyond the bound was not refused:\n%s", m.View())
	}
	if len(v.commands) != maxViewCommands {
		t.Errorf("%d commands wait, want %d", len(v.commands), maxViewCommands)
	}
}

// Colour follows the flag (NO_COLOR turns it off): states in colour, or
// no escape sequence at all.
func TestViewColor(t *testing.T) {
	for _, color := range []bool{false, true} {
		m, _ := viewFor(t, []string{"api"}, color, 80, 24)
		feed(m, started("api", 1, 0, "err:bad")...)
		got := m.View()
		hasColor := strings.Contains(got, "\x1b[32m") && strings.Contains(got, "\x1b[31m") // running, stderr
		switch {
		case color && !hasColor:
			t.Errorf("with colour, no green state or red stderr: %q", got)
		case !color && strings.Contains(got, "\x1b["):
			t.Errorf("without colour, an escape sequence: %q", got)
		}
	}
}

// A resize redraws to the new size; a tiny terminal keeps the top.
func TestViewResize(t *testing.T) {
	m, _ := viewFor(t, []string{"api", "db", "worker"}, false, 80, 24)
	feed(m, started("api", 1, 0, "a line that is long enough to be cut at eighty columns, which it is, surely, yes")...)
	for _, size := range [][2]int{{120, 40}, {80, 24}, {40, 10}, {20, 3}} {
		m.Update(tea.WindowSizeMsg{Width: size[0], Height: size[1]})
		lines := screen(t, m)
		if size[1] >= 10 {
			if l, ok := lineWith(lines, "── api "); !ok || ansi.StringWidth(l) != size[0] {
				t.Errorf("at %v the rule is %q, want it %d wide", size, l, size[0])
			}
			if _, ok := lineWith(lines, "> api"); !ok {
				t.Errorf("at %v no row of api:\n%s", size, m.View())
			}
		}
	}
}

// Output is drawn safely: escape sequences and control characters cannot
// reach the terminal.
func TestViewSanitizes(t *testing.T) {
	m, _ := viewFor(t, []string{"api"}, false, 80, 24)
	feed(m, started("api", 1, 0, "\x1b[2J\x1b[31mred\x1b[0m\tand\x07bell\x00 \xff")...)
	want := "red and\uFFFDbell\uFFFD \uFFFD"
	if _, ok := lineWith(screen(t, m), "| "+want); !ok {
		t.Errorf("want the line shown as %q:\n%q", want, m.View())
	}
	if strings.Contains(m.View(), "\x1b") || strings.Contains(m.View(), "\x07") {
		t.Errorf("a control character reached the screen: %q", m.View())
	}
}

// The log pane keeps a bounded number of lines, scrolls back with PgUp
// and follows again with End.
func TestViewLogBoundedAndScrolls(t *testing.T) {
	m, _ := viewFor(t, []string{"api"}, false, 80, 24)
	recs := started("api", 1, 0)
	for i := range 3 * maxViewLog {
		recs = append(recs, ev("api", tether.EventStdout, 3, func(e *tether.Event) { e.Data = []byte("line " + strconv.Itoa(i)) }))
	}
	feed(m, recs...)
	c := m.byName["api"]
	if len(c.log) >= 2*maxViewLog || len(c.shown()) != maxViewLog {
		t.Errorf("the log holds %d lines (%d shown); want fewer than %d, %d shown", len(c.log), len(c.shown()), 2*maxViewLog, maxViewLog)
	}
	last := "| line " + strconv.Itoa(3*maxViewLog-1)
	if _, ok := lineWith(screen(t, m), last); !ok {
		t.Errorf("the newest line %q is not shown:\n%s", last, m.View())
	}
	press(m, "pgup")
	lines := screen(t, m)
	if _, ok := lineWith(lines, "lines back"); !ok {
		t.Errorf("PgUp did not scroll back:\n%s", m.View())
	}
	if _, ok := lineWith(lines, last); ok {
		t.Errorf("after PgUp the newest line is still shown:\n%s", m.View())
	}
	feed(m, ev("api", tether.EventStdout, 4, func(e *tether.Event) { e.Data = []byte("newer") }))
	if _, ok := lineWith(screen(t, m), "| newer"); ok {
		t.Errorf("a new line moved the scrolled-back pane:\n%s", m.View())
	}
	press(m, "end")
	if _, ok := lineWith(screen(t, m), "| newer"); !ok {
		t.Errorf("End does not follow again:\n%s", m.View())
	}
}

// What the view leaves on the terminal: how each sidecar ended.
func TestViewSummary(t *testing.T) {
	m, _ := viewFor(t, []string{"api", "db"}, false, 80, 24)
	feed(m, started("api", 7, 0, "bye")...)
	feed(m,
		ev("api", tether.EventExited, 3, func(e *tether.Event) { e.Pid, e.Code, e.Expected = 7, 0, true }),
		ev("api", tether.EventState, 3, func(e *tether.Event) { e.State = tether.StateStopped }),
		record{kind: recStopped, ev: tether.Event{Name: "api", Code: 0}},
		ev("", tether.EventError, 3, func(e *tether.Event) { e.Err = errors.New("tether: stdin line 1: bad") }),
	)
	want := "api: stopped, status 0 (attempts 1, restarts 0); last output: bye\ndb: waiting\n"
	if got := m.summary(); got != want {
		t.Errorf("summary %q, want %q", got, want)
	}
	if _, ok := lineWith(screen(t, m), "stdin line 1: bad"); !ok {
		t.Errorf("an error of no sidecar is not shown:\n%s", m.View())
	}
}
