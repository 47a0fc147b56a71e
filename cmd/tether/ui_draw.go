package main

import (
	"strconv"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
)

// The live view's screen, top to bottom: a title line, the table header,
// one row per sidecar, a rule naming the selected sidecar, its log pane,
// a notice line and the keys.
//
//	tether · 2 sidecars
//	  NAME  STATE    PID    PORT   ATT RST UPTIME READY     LAST OUTPUT
//	> api   running  41236  38011    1   0    12s ready     GET /health 200
//	  db    running  41230      -    1   0    13s ready     listening
//	── api ────────────────────────────────────────────────── following ──
//	12:04:01 * spawned pid 41236 (attempt 1, port 38011, cgroup)
//	12:04:01 | GET /health 200
//
//	↑↓ select  r restart  x stop  s start  PgUp/PgDn scroll  q quit

// viewColumn is one column of the table: its heading and width, and
// whether it is aligned right.
type viewColumn struct {
	head  string
	width int
	right bool
}

// columns returns the table's columns but the last (the last output,
// which takes what is left of the width).
func (m *viewModel) columns() []viewColumn {
	nameWidth := 4
	for _, c := range m.sidecars {
		nameWidth = max(nameWidth, ansi.StringWidth(c.name))
	}
	return []viewColumn{
		{head: "NAME", width: min(nameWidth, 16)},
		{head: "STATE", width: 8},
		{head: "PID", width: 7, right: true},
		{head: "PORT", width: 5, right: true},
		{head: "ATT", width: 3, right: true},
		{head: "RST", width: 3, right: true},
		{head: "UPTIME", width: 6, right: true},
		{head: "READY", width: 9},
	}
}

// fit truncates s to width cells, with an ellipsis, and pads it to width.
func fit(s string, width int, right bool) string {
	if width <= 0 {
		return ""
	}
	s = ansi.Truncate(s, width, "…")
	pad := strings.Repeat(" ", width-ansi.StringWidth(s))
	if right {
		return pad + s
	}
	return s + pad
}

// tableRows is how many sidecar rows fit: all of them, unless they would
// leave the log pane fewer than half the lines.
func (m *viewModel) tableRows() int {
	room := max(m.height-6, 1) // title, header, rule, notice, keys, one log line
	return max(min(len(m.sidecars), room/2+room%2), 1)
}

// logHeight is how many log lines fit.
func (m *viewModel) logHeight() int {
	return max(m.height-5-m.tableRows(), 1)
}

// View implements tea.Model.
func (m *viewModel) View() string {
	lines := make([]string, 0, m.height)
	lines = append(lines, m.titleLine())
	lines = append(lines, m.tableLines()...)
	lines = append(lines, m.ruleLine())
	lines = append(lines, m.logLines()...)
	lines = append(lines, m.styles.dim.Render(fit(m.notice, m.width, false)))
	lines = append(lines, fit(keyHelp(m.width), m.width, false))
	if len(lines) > m.height { // a terminal too small for all of it: the top stays
		lines = lines[:max(m.height, 1)]
	}
	return strings.Join(lines, "\n")
}

// titleLine is the first line: tether, the title, how many sidecars.
func (m *viewModel) titleLine() string {
	s := "tether"
	if m.title != "" {
		s += " · " + m.title
	}
	n := len(m.sidecars)
	s += " · " + strconv.Itoa(n) + " sidecar"
	if n != 1 {
		s += "s"
	}
	if m.quitting && !m.done {
		s += " · stopping"
	}
	return m.styles.title.Render(fit(s, m.width, false))
}

// tableLines are the header and the rows that fit, scrolled so that the
// selected sidecar is among them.
func (m *viewModel) tableLines() []string {
	cols := m.columns()
	rest := m.width - 2
	var head strings.Builder
	head.WriteString("  ")
	for _, col := range cols {
		head.WriteString(fit(col.head, col.width, col.right) + " ")
		rest -= col.width + 1
	}
	head.WriteString(fit("LAST OUTPUT", rest, false))
	lines := []string{m.styles.header.Render(fit(head.String(), m.width, false))}
	rows := m.tableRows()
	first := min(max(m.sel-rows+1, 0), len(m.sidecars)-rows)
	for i := max(first, 0); i < len(m.sidecars) && i < first+rows; i++ {
		lines = append(lines, m.row(m.sidecars[i], i == m.sel, cols, rest))
	}
	return lines
}

// row draws one sidecar's row; rest is the width of the last output.
func (m *viewModel) row(c *viewSidecar, selected bool, cols []viewColumn, rest int) string {
	dash := func(n int) string {
		if n == 0 {
			return "-"
		}
		return strconv.Itoa(n)
	}
	up, ready := "-", "-"
	if !c.spawnedAt.IsZero() {
		up = uptime(m.now().Sub(c.spawnedAt))
		ready = "waiting"
	}
	switch {
	case c.unhealthy && c.pid != 0:
		ready = "unhealthy"
	case c.ready:
		ready = "ready"
	}
	cells := []string{c.name, c.state, dash(c.pid), dash(c.port), dash(c.attempt), strconv.Itoa(c.restarts), up, ready}
	var b strings.Builder
	if selected {
		b.WriteString(m.styles.key.Render(">") + " ")
	} else {
		b.WriteString("  ")
	}
	for i, col := range cols {
		cell := fit(cells[i], col.width, col.right)
		switch i {
		case 0:
			if selected {
				cell = m.styles.selected.Render(cell)
			}
		case 1:
			cell = m.styleOf(c.state).Render(cell)
		}
		b.WriteString(cell + " ")
	}
	b.WriteString(m.styles.dim.Render(fit(c.last, rest, false)))
	return ansi.Truncate(b.String(), m.width, "")
}

// styleOf returns the style of a state's name.
func (m *viewModel) styleOf(state string) lipgloss.Style {
	if s, ok := m.styles.state[state]; ok {
		return s
	}
	return m.styles.dim
}

// ruleLine names the selected sidecar above its log, and whether the log
// follows new lines or is scrolled back.
func (m *viewModel) ruleLine() string {
	c := m.selected()
	if c == nil {
		return m.styles.dim.Render(strings.Repeat("─", max(m.width, 0)))
	}
	left := "── " + c.name + " "
	right := " following ──"
	if m.scroll > 0 {
		right = " " + strconv.Itoa(m.scroll) + " lines back (End follows) ──"
	}
	fill := m.width - ansi.StringWidth(left) - ansi.StringWidth(right)
	if fill < 1 {
		return m.styles.dim.Render(fit(left, m.width, false))
	}
	return m.styles.dim.Render(left + strings.Repeat("─", fill) + right)
}

// logLines are the log pane: the selected sidecar's lines that fit,
// scroll lines back from the newest, padded to the pane's height.
func (m *viewModel) logLines() []string {
	h := m.logHeight()
	out := make([]string, 0, h)
	if c := m.selected(); c != nil {
		shown := c.shown()
		end := max(len(shown)-m.scroll, 0)
		for _, l := range shown[max(end-h, 0):end] {
			text := fit(l.text, m.width, false)
			switch {
			case l.stderr:
				text = m.styles.stderr.Render(text)
			case l.tone == ansiRed:
				text = m.styles.stderr.Render(text)
			case l.tone == ansiGreen:
				text = m.styleOf("running").Render(text)
			case l.tone == ansiYell:
				text = m.styleOf("starting").Render(text)
			case l.life:
				text = m.styles.dim.Render(text)
			}
			out = append(out, text)
		}
	}
	for len(out) < h {
		out = append(out, "")
	}
	return out
}
