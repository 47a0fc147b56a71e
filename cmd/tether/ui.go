package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"
)

// liveView is the live terminal view of tether run, up and demo (--ui):
// a table of the sidecars, a log pane of the selected one, keys to
// restart, stop and start them and to quit.
//
// It is a consumer of the very records the NDJSON and text outputs write,
// and a sender of the very commands a host writes on stdin: it knows
// nothing of how the sidecars are supervised. Whatever runs them hands it
// the event queue (run) and reads what it sends on commands (lines of the
// stdin protocol) and interrupts (q or Ctrl-C, to be taken as SIGINT: the
// first stops everything in order, the second kills at once).
type liveView struct {
	in    io.Reader
	out   io.Writer
	names []string
	title string      // shown in the header, after "tether"
	words *textFormat // the sentences of --output text, for the log pane; nil: without the sidecars' settings
	color bool

	commands   chan []byte   // stdin-protocol lines: {"cmd":"restart","name":"api"}
	interrupts chan struct{} // q or Ctrl-C
}

// maxViewCommands bounds the commands the view has sent that the session
// has not yet read; a key pressed beyond that is refused on screen.
const maxViewCommands = 64

// newLiveView returns a view of the sidecars called names that reads keys
// from in and draws on out, in colour unless NO_COLOR is set.
func newLiveView(names []string, in io.Reader, out io.Writer) *liveView {
	return &liveView{
		in: in, out: out, names: names, color: !noColor(),
		commands:   make(chan []byte, maxViewCommands),
		interrupts: make(chan struct{}, 2),
	}
}

// checkLiveView tells why the live view cannot run on in and out, or nil.
func checkLiveView(in io.Reader, out io.Writer) error {
	f, ok := in.(*os.File)
	if !ok || !isTerminal(f) || !isTerminal(out) {
		return usagef("tether: --ui needs a terminal on standard input and standard output; elsewhere use --output text (for people) or --output json (for programs)")
	}
	return nil
}

// run shows the view until q is closed and drained, and then prints a
// one-line summary of each sidecar. Should the terminal fail, it reports
// that on stderr, asks for everything to stop, and goes on reading the
// queue, so that the sidecars never wait for it.
func (v *liveView) run(q *eventQueue, stderr io.Writer) {
	m := newViewModel(v.names, v.title, v.color, v.out)
	if v.words != nil {
		m.words = v.words
	}
	m.send = v.send
	m.interrupt = v.interrupt
	p := tea.NewProgram(m,
		tea.WithInput(v.in), tea.WithOutput(v.out),
		tea.WithAltScreen(),
		tea.WithoutSignalHandler(), // the session owns the signals
	)
	fed := make(chan struct{})
	go func() {
		defer close(fed)
		feedView(q, p)
	}()
	final, err := p.Run()
	if err != nil {
		fmt.Fprintf(stderr, "tether: the live view failed (%v): stopping everything\n", err)
		v.interrupt()
	}
	<-fed // the queue is closed and drained: the session is over
	if fm, ok := final.(*viewModel); ok {
		io.WriteString(v.out, fm.summary())
	}
}

// feedView hands q's records to the view in batches until q is closed,
// then tells the view so. Once the view has ended, Send returns at once
// and the rest is read and dropped.
func feedView(q *eventQueue, p *tea.Program) {
	for {
		batch, closed := q.Take(nil)
		if len(batch) > 0 {
			p.Send(recordsMsg(eachEvent(batch)))
		}
		if closed {
			p.Send(endMsg{})
			return
		}
		if len(batch) == 0 {
			<-q.Ready()
		}
	}
}

// eachEvent returns records with every output record replaced by a
// record for each of its events, as the view shows them one by one.
func eachEvent(records []record) []record {
	if !slices.ContainsFunc(records, func(r record) bool { return r.kind == recOutput }) {
		return records
	}
	var out []record
	for _, r := range records {
		if r.kind != recOutput {
			out = append(out, r)
			continue
		}
		for i := range r.out.Len() {
			out = append(out, record{ev: r.out.Event(i)})
		}
	}
	return out
}

// send queues one command for the session; false when too many wait.
func (v *liveView) send(cmd, name string) bool {
	line, _ := json.Marshal(struct {
		Cmd  string `json:"cmd"`
		Name string `json:"name"`
	}{cmd, name})
	select {
	case v.commands <- line:
		return true
	default:
		return false
	}
}

// interrupt asks the session to stop everything, as SIGINT does.
func (v *liveView) interrupt() {
	select {
	case v.interrupts <- struct{}{}:
	default: // two are waiting already: the second kills
	}
}

// viewStyles are the looks of the view, from one renderer bound to its
// output: plain text when colour is off.
type viewStyles struct {
	title, dim, header, selected, stderr, key lipgloss.Style
	state                                     map[string]lipgloss.Style
}

// newViewStyles returns the styles for out, coloured when color is set.
func newViewStyles(out io.Writer, color bool) viewStyles {
	r := lipgloss.NewRenderer(out)
	if color {
		r.SetColorProfile(termenv.ANSI)
	} else {
		r.SetColorProfile(termenv.Ascii)
	}
	fg := func(c string) lipgloss.Style { return r.NewStyle().Foreground(lipgloss.Color(c)) }
	return viewStyles{
		title:    r.NewStyle().Bold(true),
		dim:      fg("8"),
		header:   r.NewStyle().Bold(true).Underline(true),
		selected: r.NewStyle().Reverse(true),
		stderr:   fg("1"),
		key:      r.NewStyle().Bold(true),
		state: map[string]lipgloss.Style{
			"running":  fg("2"),
			"starting": fg("3"),
			"stopping": fg("3"),
			"backoff":  fg("5"),
			"failed":   fg("1").Bold(true),
			"exited":   fg("8"),
			"stopped":  fg("8"),
			"waiting":  fg("8"),
		},
	}
}

// keyHelp is the footer: the keys and what they do.
func keyHelp(width int) string {
	long := "↑↓ select  r restart  x stop  s start  PgUp/PgDn scroll  q quit"
	if width >= ansi.StringWidth(long) {
		return long
	}
	return strings.ReplaceAll(long, "  PgUp/PgDn scroll", "")
}

// checkViewFlags refuses --ui together with what it cannot go with: an
// --output on the same command line, and a stdin lifeline (the view reads
// keys on standard input). flags holds what the command line set, merged
// what is in force (flags over the file).
func checkViewFlags(cmd string, flags, merged *procConfig) error {
	if !merged.ui {
		return nil
	}
	if _, ok := flags.where["output"]; ok {
		return usagef("tether %s: --ui and --output exclude each other: the live view takes the place of the event stream", cmd)
	}
	if merged.lifeline == "stdin" {
		where := merged.where["lifeline"]
		if where == "" {
			where = "--lifeline"
		}
		return usagef("tether %s: --ui reads keys on standard input, so standard input cannot be a lifeline (%s stdin); leave one out", cmd, where)
	}
	return nil
}
