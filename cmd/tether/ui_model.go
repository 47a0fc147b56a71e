package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"tether.dev/tether"
)

// The messages of the live view, besides keys, sizes and ticks.
type (
	recordsMsg []record // records from the event queue, in order
	endMsg     struct{} // the queue is closed: the session is over
	tickMsg    time.Time
)

// maxViewLog bounds the lines the log pane keeps of each sidecar (the
// oldest go first), and maxViewLine the bytes it keeps of one line.
const (
	maxViewLog  = 1000
	maxViewLine = 1024
)

// logLine is one line of a sidecar's log pane.
type logLine struct {
	text   string // sanitized: no control characters
	stderr bool   // a line of standard error
	life   bool   // a lifecycle line (spawned, ready, exited…), not output
	tone   string // a lifecycle line's colour, as describe gives it (ansiRed…)
}

// viewSidecar is what the view knows of one sidecar, from its events alone.
type viewSidecar struct {
	name      string
	state     string // the last state event's state; "waiting" before any
	pid, port int
	attempt   int
	restarts  int       // restarting events seen
	spawnedAt time.Time // of the live attempt; zero when none runs
	ready     bool
	unhealthy bool
	ended     bool // the stopped record came: supervision is over
	code      int  // its status, once ended
	last      string
	log       []logLine // at most 2*maxViewLog; the last maxViewLog are shown
}

// viewModel is the live view's state: the bubbletea Model.
type viewModel struct {
	sidecars  []*viewSidecar
	byName    map[string]*viewSidecar
	title     string
	sel       int // the selected sidecar
	scroll    int // log lines scrolled back from the newest; 0 follows
	width     int
	height    int
	quitting  bool   // q or Ctrl-C was pressed
	done      bool   // the session is over
	notice    string // the last message for the user (an error without a sidecar, a refused key)
	now       func() time.Time
	styles    viewStyles
	words     *textFormat // says lifecycle records in sentences, as --output text does
	send      func(cmd, name string) bool
	interrupt func()
}

// newViewModel returns the view of sidecars called names, 80×24 until the
// terminal says otherwise.
func newViewModel(names []string, title string, color bool, out io.Writer) *viewModel {
	m := &viewModel{
		byName: make(map[string]*viewSidecar), title: title, width: 80, height: 24,
		now: time.Now, styles: newViewStyles(out, color), words: newTextFormat(names, false),
		send: func(string, string) bool { return true }, interrupt: func() {},
	}
	for _, n := range names {
		c := &viewSidecar{name: n, state: "waiting"}
		m.sidecars = append(m.sidecars, c)
		m.byName[n] = c
	}
	return m
}

// tick asks for a tickMsg in a second: the uptimes move on.
func tick() tea.Cmd {
	return tea.Tick(time.Second, func(t time.Time) tea.Msg { return tickMsg(t) })
}

// Init implements tea.Model.
func (m *viewModel) Init() tea.Cmd { return tick() }

// Update implements tea.Model.
func (m *viewModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case recordsMsg:
		for i := range msg {
			m.apply(&msg[i])
		}
	case endMsg:
		m.done = true
		return m, tea.Quit
	case tickMsg:
		return m, tick()
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
	case tea.KeyMsg:
		if msg.Paste {
			break // text pasted is no command
		}
		if msg.Type == tea.KeyRunes && len(msg.Runes) > 1 {
			for _, r := range msg.Runes { // keys typed faster than read
				m.key(string(r))
			}
			break
		}
		m.key(msg.String())
	}
	return m, nil
}

// key acts on one key press.
func (m *viewModel) key(k string) {
	c := m.selected()
	switch k {
	case "q", "ctrl+c":
		if m.quitting {
			m.notice = "killing everything now"
		} else {
			m.notice = "stopping everything… (q again kills at once)"
		}
		m.quitting = true
		m.interrupt()
	case "up", "k":
		m.sel, m.scroll = max(m.sel-1, 0), 0
	case "down", "j":
		m.sel, m.scroll = min(m.sel+1, len(m.sidecars)-1), 0
	case "pgup", "b":
		m.scroll += m.logHeight() - 1
	case "pgdown", " ", "f":
		m.scroll = max(m.scroll-(m.logHeight()-1), 0)
	case "home", "g":
		m.scroll = maxViewLog
	case "end", "G":
		m.scroll = 0
	case "r", "x", "s":
		if c == nil {
			return
		}
		cmd := map[string]string{"r": "restart", "x": "stop", "s": "start"}[k]
		if m.send(cmd, c.name) {
			m.notice = cmd + " " + c.name
		} else {
			m.notice = "too many commands are waiting; try again"
		}
	}
	if c != nil {
		m.scroll = min(m.scroll, max(len(c.shown())-m.logHeight(), 0))
	}
}

// selected returns the selected sidecar, or nil when there is none.
func (m *viewModel) selected() *viewSidecar {
	if m.sel < 0 || m.sel >= len(m.sidecars) {
		return nil
	}
	return m.sidecars[m.sel]
}

// apply updates the view with one record.
func (m *viewModel) apply(r *record) {
	ev := &r.ev
	c := m.byName[ev.Name]
	if c == nil {
		if r.kind == recEvent && ev.Kind == tether.EventError {
			m.notice = sanitize(fmt.Sprint(ev.Err))
		}
		return
	}
	switch r.kind {
	case recStopped:
		c.ended, c.code = true, ev.Code
		c.spawnedAt, c.pid, c.ready = time.Time{}, 0, false
	case recEvent:
		m.applyEvent(c, ev)
	}
	if r.kind == recEvent && ev.Kind == tether.EventState {
		return
	}
	line := logLine{life: true}
	if r.kind == recEvent && (ev.Kind == tether.EventStdout || ev.Kind == tether.EventStderr) {
		line = logLine{text: sanitize(string(ev.Data)), stderr: ev.Kind == tether.EventStderr}
		c.last = line.text
	} else {
		line.tone, line.text = m.words.describe(r)
		if r.kind == recStopping && r.reason == "command" {
			line.text = "stopping as asked" // by a key: the view reads standard input
		}
		line.text = sanitize(line.text)
	}
	c.add(ev.Time, line)
	if m.selected() == c && m.scroll > 0 {
		m.scroll++ // stay on the lines being read
	}
}

// applyEvent updates c with one library event.
func (m *viewModel) applyEvent(c *viewSidecar, ev *tether.Event) {
	switch ev.Kind {
	case tether.EventState:
		c.state = ev.State.String()
		if c.state != "stopped" && c.state != "exited" && c.state != "failed" {
			c.ended = false
		}
	case tether.EventSpawned:
		c.pid, c.port, c.attempt = ev.Pid, ev.Port, ev.Attempt
		c.spawnedAt, c.ready, c.unhealthy = ev.Time, false, false
	case tether.EventReady:
		c.ready = true
	case tether.EventUnhealthy:
		c.unhealthy = true
	case tether.EventExited:
		c.pid, c.port, c.spawnedAt, c.ready = 0, 0, time.Time{}, false
	case tether.EventRestarting:
		c.restarts++
	}
}

// add appends a line to c's log, keeping it bounded.
func (c *viewSidecar) add(at time.Time, l logLine) {
	stamp := at.Local().Format("15:04:05")
	if l.life {
		l.text = stamp + " * " + l.text
	} else {
		l.text = stamp + " | " + l.text
	}
	c.log = append(c.log, l)
	if len(c.log) >= 2*maxViewLog {
		c.log = append(c.log[:0:0], c.log[len(c.log)-maxViewLog:]...)
	}
}

// shown returns the lines of c's log that may be shown.
func (c *viewSidecar) shown() []logLine {
	return c.log[max(len(c.log)-maxViewLog, 0):]
}

// sanitize makes s safe to draw: escape sequences removed, tabs as
// spaces, other control characters and invalid UTF-8 as U+FFFD, at most
// maxViewLine bytes.
func sanitize(s string) string {
	if len(s) > maxViewLine {
		s = s[:maxViewLine]
	}
	s = ansi.Strip(strings.ToValidUTF8(s, "\uFFFD"))
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t':
			return ' '
		case unicode.IsControl(r):
			return '\uFFFD'
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
}

// uptime says how long d is, shortly: 12s, 4m05s, 2h03m, 3d04h.
func uptime(d time.Duration) string {
	s := int(d / time.Second)
	switch {
	case s < 60:
		return strconv.Itoa(s) + "s"
	case s < 3600:
		return fmt.Sprintf("%dm%02ds", s/60, s%60)
	case s < 86400:
		return fmt.Sprintf("%dh%02dm", s/3600, s%3600/60)
	}
	return fmt.Sprintf("%dd%02dh", s/86400, s%86400/3600)
}

// summary says, one line a sidecar, how each one ended: what the view
// leaves on the terminal.
func (m *viewModel) summary() string {
	var b strings.Builder
	for _, c := range m.sidecars {
		fmt.Fprintf(&b, "%s: %s", c.name, c.state)
		if c.ended {
			fmt.Fprintf(&b, ", status %d", c.code)
		}
		if c.attempt > 0 {
			fmt.Fprintf(&b, " (attempts %d, restarts %d)", c.attempt, c.restarts)
		}
		if c.last != "" {
			fmt.Fprintf(&b, "; last output: %s", c.last)
		}
		b.WriteByte('\n')
	}
	return b.String()
}
