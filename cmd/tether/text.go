package main

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"tether.dev/tether"
)

// jsonFormat writes records as NDJSON, the form hosts read.
type jsonFormat struct{ enc *encoder }

// format appends r as one NDJSON line.
func (f jsonFormat) format(b []byte, r *record) []byte { return f.enc.append(b, r) }

// formatOutput appends o's events from i on, one NDJSON line each.
func (f jsonFormat) formatOutput(b []byte, o *tether.Output, i, limit int) ([]byte, int) {
	return f.enc.appendOutput(b, o, i, limit)
}

// textFormat writes records for people: a sidecar's output as
//
//	15:04:05.000 api | the line
//
// and its life as readable sentences ("api * ready after 12ms"), names
// aligned, in colour when color is set. State changes are left out: the
// other lines already tell them. Hosts must never parse this form.
type textFormat struct {
	width  int            // the longest name
	color  bool           // ANSI colours
	colors map[string]int // name → its colour

	sidecars []textSidecar          // what the sentences need to know of each sidecar, in order
	byName   map[string]textSidecar // the same, by name
	prefaced bool                   // the lines that come before the first event are written
	lastErr  map[string]string      // each sidecar's last error, so gave_up need not repeat it
}

// textSidecar is what the text form knows of one sidecar's settings.
type textSidecar struct {
	name      string
	dependsOn []string
	probe     bool          // it has a readiness probe
	grace     time.Duration // how long a stop may wait before the kill; negative: none
}

// nameColor returns the ANSI colour of the i-th name: cyan, magenta, blue,
// green, yellow, then their bright forms, round again.
func nameColor(i int) string {
	const codes = "3635343233969594"
	i %= len(codes) / 2
	return "\x1b[" + codes[2*i:2*i+2] + "m"
}

const (
	ansiReset = "\x1b[0m"
	ansiDim   = "\x1b[2m"
	ansiRed   = "\x1b[31m"
	ansiGreen = "\x1b[32m"
	ansiYell  = "\x1b[33m"
	ansiBold  = "\x1b[1m"
)

// newTextFormat returns the text form for sidecars called names, in colour
// when color is set.
func newTextFormat(names []string, color bool) *textFormat {
	f := &textFormat{color: color, colors: make(map[string]int), byName: make(map[string]textSidecar), lastErr: make(map[string]string)}
	for i, n := range names {
		f.width = max(f.width, utf8.RuneCountInString(n))
		f.colors[n] = i
	}
	return f
}

// withSidecars tells f the settings of the sidecars its sentences are
// about: their dependencies, readiness probes and grace periods.
func (f *textFormat) withSidecars(cfgs []*sidecarConfig) *textFormat {
	for _, c := range cfgs {
		grace := c.spec.Grace
		if grace == 0 {
			grace = tether.DefaultGrace
		}
		if c.spec.StopRequest != "" && grace > 0 {
			grace += time.Second // the request, grace, the signal, and the kill a second later
		}
		tc := textSidecar{name: c.name, dependsOn: c.dependsOn, probe: !c.spec.Ready.IsZero(), grace: grace}
		f.sidecars = append(f.sidecars, tc)
		f.byName[c.name] = tc
	}
	return f
}

// preface appends, once, before the first record, a line for each sidecar
// that waits for others: "worker * waits for api to be ready".
func (f *textFormat) preface(b []byte, at time.Time) []byte {
	f.prefaced = true
	for _, c := range f.sidecars {
		if len(c.dependsOn) == 0 {
			continue
		}
		b = f.head(b, at, c.name)
		b = append(b, " * "...)
		b = f.paint(b, ansiDim, "waits for "+joinAnd(c.dependsOn)+" to be ready")
		b = append(b, '\n')
	}
	return b
}

// joinAnd joins names as a sentence does: "a", "a and b", "a, b and c".
func joinAnd(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// head appends a line's time and name, the name padded and coloured.
func (f *textFormat) head(b []byte, at time.Time, name string) []byte {
	b = f.paint(b, ansiDim, at.Local().Format("15:04:05.000"))
	b = append(b, ' ')
	code := ""
	if c, ok := f.colors[name]; ok {
		code = nameColor(c)
	}
	if name == "" {
		name = "tether"
	}
	b = f.paint(b, code, name)
	if pad := f.width - utf8.RuneCountInString(name); pad > 0 {
		b = append(b, strings.Repeat(" ", pad)...)
	}
	return b
}

// appendForTerminal appends s for a terminal: bytes that are not UTF-8 become
// U+FFFD, and control characters (ESC, carriage return, NUL, newline, DEL,
// the C1 controls and the bidirectional overrides; not tab) are written as
// Go escapes (\x1b, \r, \x00, \u202e), so that a sidecar's output can
// neither move the cursor, recolour the screen nor hide text.
func appendForTerminal(b []byte, s string) []byte {
	plain := true
	for i := 0; i < len(s) && plain; i++ {
		c := s[i]
		plain = c == '\t' || (c >= 0x20 && c < 0x7f)
	}
	if plain {
		return append(b, s...)
	}
	for _, r := range s {
		switch {
		case r == '\t' || (r >= 0x20 && r < 0x7f):
			b = append(b, byte(r))
		case r == '\r':
			b = append(b, `\r`...)
		case r == '\n':
			b = append(b, `\n`...)
		case r < 0x20 || r == 0x7f:
			b = append(b, fmt.Sprintf(`\x%02x`, r)...)
		case unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r):
			b = append(b, fmt.Sprintf(`\u%04x`, r)...)
		default:
			b = utf8.AppendRune(b, r)
		}
	}
	return b
}

// paint appends s, in the ANSI colour code when colours are on.
func (f *textFormat) paint(b []byte, code, s string) []byte {
	if !f.color || code == "" {
		return append(b, s...)
	}
	b = append(b, code...)
	b = append(b, s...)
	return append(b, ansiReset...)
}

// formatOutput appends o's events from i on, one line each.
func (f *textFormat) formatOutput(b []byte, o *tether.Output, i, limit int) ([]byte, int) {
	for n := o.Len(); i < n; {
		r := record{ev: o.Event(i)}
		b = f.format(b, &r)
		i++
		if len(b) >= limit {
			break
		}
	}
	return b, i
}

// format appends r as a line for people, or nothing for a state change;
// an output record, one line for each of its events.
func (f *textFormat) format(b []byte, r *record) []byte {
	if r.kind == recOutput {
		b, _ = f.formatOutput(b, &r.out, 0, math.MaxInt)
		return b
	}
	ev := &r.ev
	if !f.prefaced {
		b = f.preface(b, ev.Time)
	}
	if r.kind == recEvent && ev.Kind == tether.EventState {
		return b
	}
	b = f.head(b, ev.Time, ev.Name)
	if r.kind == recEvent && (ev.Kind == tether.EventStdout || ev.Kind == tether.EventStderr) {
		if ev.Kind == tether.EventStderr {
			b = f.paint(b, ansiRed, " | ")
		} else {
			b = append(b, " | "...)
		}
		b = appendForTerminal(b, string(ev.Data))
		return append(b, '\n')
	}
	color, msg := f.describe(r)
	b = append(b, " * "...)
	b = f.paint(b, color, string(appendForTerminal(nil, msg)))
	b = append(b, '\n')
	if r.kind == recEvent && (ev.Kind == tether.EventGaveUp || ev.Kind == tether.EventExited && !ev.Expected) {
		b = f.tail(b, ev.Tail, strings.Repeat(" ", len("15:04:05.000 ")+f.width))
	}
	return b
}

// tail appends the crash tail under an event, one indented line each, so
// that why a sidecar died is on screen where it is reported.
func (f *textFormat) tail(b []byte, lines []string, indent string) []byte {
	if len(lines) == 0 {
		return b
	}
	b = append(b, indent...)
	b = f.paint(b, ansiDim, " ┆ last output:")
	b = append(b, '\n')
	for _, l := range lines {
		b = append(b, indent...)
		b = f.paint(b, ansiDim, " ┆ ")
		b = appendForTerminal(b, l)
		b = append(b, '\n')
	}
	return b
}

// describe says what a lifecycle record means, in a sentence, and in which
// colour to show it.
func (f *textFormat) describe(r *record) (color, msg string) {
	ev := &r.ev
	switch r.kind {
	case recStopping:
		why := map[string]string{
			"signal":  "on a signal",
			"stdin":   "because standard input ended (--lifeline stdin)",
			"parent":  "because tether's parent went away",
			"command": "as asked on standard input",
		}[r.reason]
		return ansiYell, "stopping " + why + f.stopPlan(ev.Name, r.reason)
	case recStopped:
		return ansiBold, "supervision ended, status " + strconv.Itoa(ev.Code)
	case recStatus:
		return "", describeStatus(r.status)
	}
	switch ev.Kind {
	case tether.EventSpawned:
		s := fmt.Sprintf("spawned pid %d (attempt %d", ev.Pid, ev.Attempt)
		if ev.Port != 0 {
			s += fmt.Sprintf(", port %d", ev.Port)
		}
		if ev.Containment != "" {
			s += ", " + ev.Containment
		}
		return "", s + ")"
	case tether.EventReady:
		if c, ok := f.byName[ev.Name]; ok && !c.probe {
			return ansiGreen, fmt.Sprintf("ready (no probe), pid %d", ev.Pid)
		}
		return ansiGreen, fmt.Sprintf("ready after %v (pid %d)", roundDur(ev.After), ev.Pid)
	case tether.EventUnhealthy:
		return ansiRed, fmt.Sprintf("unhealthy: %d liveness checks failed in a row: %v", ev.Failures, ev.Err)
	case tether.EventExited:
		how := fmt.Sprintf("exited with status %d", ev.Code)
		if ev.Signal != "" {
			how = "killed by signal " + ev.Signal
		}
		how += fmt.Sprintf(" after %v", roundDur(ev.Uptime))
		switch {
		case ev.Expected:
			return "", how + " (tether stopped it)"
		case ev.Code == 0 && ev.Signal == "":
			return "", how
		}
		return ansiRed, how + " (unexpectedly)"
	case tether.EventRestarting:
		return ansiYell, fmt.Sprintf("restarting in %v (attempt %d)", roundDur(ev.Delay), ev.Attempt)
	case tether.EventGaveUp:
		if ev.Err != nil && ev.Err.Error() == f.lastErr[ev.Name] {
			if ev.Restarts == 0 {
				return ansiRed, "gave up (see the error above)"
			}
			return ansiRed, fmt.Sprintf("gave up after %d restarts (see the error above)", ev.Restarts)
		}
		return ansiRed, fmt.Sprintf("gave up after %d restarts: %v", ev.Restarts, ev.Err)
	case tether.EventError:
		msg := fmt.Sprintf("error: %v", ev.Err)
		if ev.Err != nil {
			f.lastErr[ev.Name] = ev.Err.Error()
		}
		if ev.Pid != 0 {
			msg += fmt.Sprintf(" (pid %d, attempt %d)", ev.Pid, ev.Attempt)
		}
		return ansiRed, msg
	}
	return "", ev.Kind.String()
}

// stopPlan says what a stop of the sidecar called name does next:
// ": waiting up to 5s for api to stop; Ctrl-C again to kill now". A stop
// of everything can be hurried with a second Ctrl-C; a stop command of one
// sidecar cannot.
func (f *textFormat) stopPlan(name, reason string) string {
	c, ok := f.byName[name]
	if !ok {
		return ""
	}
	if c.grace < 0 {
		return ": killing " + name + " now (grace 0)"
	}
	s := fmt.Sprintf(": waiting up to %v for %s to stop", roundDur(c.grace), name)
	if reason != "command" {
		s += "; Ctrl-C again to kill now"
	}
	return s
}

// describeStatus says a status in a sentence: "status: running, ready,
// pid 4242, port 8080, attempt 1, 0 restarts, since 15:04:05.000".
func describeStatus(st *tether.Status) string {
	s := "status: " + st.State.String()
	if st.Ready {
		s += ", ready"
	}
	if st.Pid != 0 {
		s += fmt.Sprintf(", pid %d", st.Pid)
	}
	if st.Port != 0 {
		s += fmt.Sprintf(", port %d", st.Port)
	}
	return s + fmt.Sprintf(", attempt %d, %d restarts, since %s", st.Attempt, st.Restarts, st.Since.Local().Format("15:04:05.000"))
}

// roundDur rounds d for reading: microseconds below 1ms, milliseconds
// below 10s, tenths above.
func roundDur(d time.Duration) time.Duration {
	if d < time.Millisecond {
		return d.Round(time.Microsecond)
	}
	if d < 10*time.Second {
		return d.Round(time.Millisecond)
	}
	return d.Round(100 * time.Millisecond)
}
