package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"tether.dev/tether"
)

// jsonFormat writes records as NDJSON, the form hosts read.
type jsonFormat struct{ enc *encoder }

// format appends r as one NDJSON line.
func (f jsonFormat) format(b []byte, r *record) []byte { return f.enc.append(b, r) }

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
	f := &textFormat{color: color, colors: make(map[string]int)}
	for i, n := range names {
		f.width = max(f.width, utf8.RuneCountInString(n))
		f.colors[n] = i
	}
	return f
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

// format appends r as a line for people, or nothing for a state change.
func (f *textFormat) format(b []byte, r *record) []byte {
	ev := &r.ev
	if r.kind == recEvent && ev.Kind == tether.EventState {
		return b
	}
	b = f.paint(b, ansiDim, ev.Time.Local().Format("15:04:05.000"))
	b = append(b, ' ')
	name := ev.Name
	if name == "" {
		name = "tether"
	}
	code := ""
	if c, ok := f.colors[ev.Name]; ok {
		code = nameColor(c)
	}
	b = f.paint(b, code, name)
	if pad := f.width - utf8.RuneCountInString(name); pad > 0 {
		b = append(b, strings.Repeat(" ", pad)...)
	}
	if r.kind == recEvent && (ev.Kind == tether.EventStdout || ev.Kind == tether.EventStderr) {
		if ev.Kind == tether.EventStderr {
			b = f.paint(b, ansiRed, " | ")
		} else {
			b = append(b, " | "...)
		}
		if utf8.Valid(ev.Data) {
			b = append(b, ev.Data...)
		} else {
			b = append(b, strings.ToValidUTF8(string(ev.Data), "\uFFFD")...)
		}
		return append(b, '\n')
	}
	color, msg := describe(r)
	b = append(b, " * "...)
	b = f.paint(b, color, msg)
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
		b = append(b, l...)
		b = append(b, '\n')
	}
	return b
}

// describe says what a lifecycle record means, in a sentence, and in which
// colour to show it.
func describe(r *record) (color, msg string) {
	ev := &r.ev
	switch r.kind {
	case recStopping:
		why := map[string]string{
			"signal":  "on a signal",
			"stdin":   "because standard input ended (--lifeline stdin)",
			"parent":  "because tether's parent went away",
			"command": "as asked on standard input",
		}[r.reason]
		return ansiYell, "stopping " + why
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
		return ansiRed, fmt.Sprintf("gave up after %d restarts: %v", ev.Restarts, ev.Err)
	case tether.EventError:
		return ansiRed, fmt.Sprintf("error: %v", ev.Err)
	}
	return "", ev.Kind.String()
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
