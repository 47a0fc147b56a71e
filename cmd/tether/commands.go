package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"tether.dev/tether"
	"tether.dev/tether/internal/signame"
)

// maxCommandLine bounds one line of stdin: a write command carries its data
// in the line.
const maxCommandLine = 16 << 20

// readCommands sends each line of r (without its newline, copied) on lines
// until r ends, then sends the error (io.EOF at a clean end) on end. A line
// longer than maxCommandLine is sent truncated to that length plus one
// byte, which parseCommand refuses. It returns early once quit is closed;
// a read that blocks is abandoned with the process.
func readCommands(r io.Reader, lines chan<- []byte, end chan<- error, quit <-chan struct{}) {
	br := bufio.NewReaderSize(r, 64<<10)
	send := func(line []byte) bool {
		select {
		case lines <- line:
			return true
		case <-quit:
			return false
		}
	}
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if len(line) <= maxCommandLine {
			line = append(line, chunk...)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if len(line) > 0 {
			l := bytes.TrimSuffix(line, []byte("\n"))
			l = bytes.TrimSuffix(l, []byte("\r"))
			if len(l) > maxCommandLine {
				l = l[:maxCommandLine+1]
			}
			if !send(bytes.Clone(l)) {
				return
			}
			line = line[:0]
		}
		if err != nil {
			select {
			case end <- err:
			case <-quit:
			}
			return
		}
	}
}

// stdinCommand is one line of stdin, as the contract spells it:
//
//	{"cmd":"restart","name":"api"}
//	{"cmd":"stop","name":"api"}
//	{"cmd":"start","name":"api"}
//	{"cmd":"signal","name":"api","signal":"HUP"}
//	{"cmd":"write","name":"api","data":"text"}
//	{"cmd":"status"}  or  {"cmd":"status","name":"api"}
type stdinCommand struct {
	Cmd    string  `json:"cmd"`
	Name   *string `json:"name"`
	Signal *string `json:"signal"`
	Data   *string `json:"data"`

	sig os.Signal
}

// parseCommand reads one stdin line. Unknown fields, a missing or unknown
// cmd, a field that does not belong to the cmd, and a bad signal are
// refused.
func parseCommand(line []byte) (*stdinCommand, error) {
	if len(line) > maxCommandLine {
		return nil, fmt.Errorf("line longer than %d bytes", maxCommandLine)
	}
	if err := checkCommandKeys(line); err != nil {
		return nil, err
	}
	var c stdinCommand
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("not a command object (%v); want e.g. {\"cmd\":\"restart\",\"name\":\"api\"}", err)
	}
	if dec.More() {
		return nil, errors.New("more than one JSON value on the line")
	}
	switch c.Cmd {
	case "restart", "stop", "start", "signal", "write", "status":
	case "":
		return nil, errors.New(`missing "cmd": want restart, stop, start, signal, write or status`)
	default:
		return nil, fmt.Errorf("unknown cmd %q: want restart, stop, start, signal, write or status", c.Cmd)
	}
	if c.Name != nil && *c.Name == "" {
		return nil, errors.New(`"name" is empty: want a sidecar's name`)
	}
	if c.Signal != nil && c.Cmd != "signal" {
		return nil, fmt.Errorf(`"signal" does not belong to cmd %q`, c.Cmd)
	}
	if c.Data != nil && c.Cmd != "write" {
		return nil, fmt.Errorf(`"data" does not belong to cmd %q`, c.Cmd)
	}
	switch c.Cmd {
	case "signal":
		if c.Signal == nil {
			return nil, errors.New(`cmd signal needs "signal", e.g. "HUP"`)
		}
		sig, err := signame.Parse(*c.Signal)
		if err != nil {
			return nil, fmt.Errorf("signal %q: %s", *c.Signal, allowSignal)
		}
		c.sig = sig
	case "write":
		if c.Data == nil {
			return nil, errors.New(`cmd write needs "data", a string`)
		}
	}
	return &c, nil
}

// checkCommandKeys refuses what encoding/json would let through but the
// published schema does not: a key spelled in another case ("CMD"), a key
// given twice, a null value. A host that validates commands against the
// schema sees exactly what tether does.
func checkCommandKeys(line []byte) error {
	dec := json.NewDecoder(bytes.NewReader(line))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return errors.New(`not a command object; want e.g. {"cmd":"restart","name":"api"}`)
	}
	seen := make(map[string]bool, 4)
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return fmt.Errorf("not a command object (%v)", err)
		}
		key, _ := t.(string)
		switch key {
		case "cmd", "name", "signal", "data":
		default:
			return fmt.Errorf("unknown key %q: want cmd, name, signal or data (lower case)", key)
		}
		if seen[key] {
			return fmt.Errorf("key %q given twice", key)
		}
		seen[key] = true
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return fmt.Errorf("not a command object (%v)", err)
		}
		if len(v) == 0 || v[0] != '"' {
			return fmt.Errorf("%q is %s: want a string", key, v)
		}
	}
	return nil
}

// quoteLine shows a stdin line in an error, shortened.
func quoteLine(line []byte) string {
	const max = 200
	s := line
	if len(s) > max {
		s = s[:max]
		for len(s) > 0 && !utf8.Valid(s) {
			s = s[:len(s)-1]
		}
		return strconv.Quote(string(s)) + "…"
	}
	return strconv.Quote(string(s))
}

// command carries out one line of stdin. A line that is not a command, or a
// command that cannot be carried out, gets an error event naming it;
// nothing else changes.
func (s *session) command(line []byte) {
	if len(bytes.TrimSpace(line)) == 0 {
		return
	}
	errName := ""
	if len(s.sidecars) == 1 {
		errName = s.sidecars[0].name
	}
	bad := func(name string, err error) {
		s.emitError(name, fmt.Errorf("tether: stdin line %d: %v: %s", s.stdinLine, err, quoteLine(line)))
	}
	cmd, err := parseCommand(line)
	if err != nil {
		bad(errName, err)
		return
	}
	var name string
	switch {
	case cmd.Name != nil:
		name = *cmd.Name
		if s.byName[name] == nil {
			bad(errName, fmt.Errorf("no sidecar named %q (there are: %s)", name, strings.Join(s.names(), ", ")))
			return
		}
	case cmd.Cmd == "status":
		for _, st := range s.group.Statuses() {
			s.pushStatus(st)
		}
		return
	case len(s.sidecars) == 1:
		name = s.sidecars[0].name
	default:
		bad(errName, errors.New(`"name" is required when tether supervises several sidecars`))
		return
	}
	switch cmd.Cmd {
	case "status":
		st, _ := s.group.Status(name)
		s.pushStatus(st)
		return
	case "stop":
		err = s.group.StopMember(name, "command")
	case "start":
		err = s.group.StartMember(name)
	case "restart":
		err = s.group.RestartMember(name)
	case "signal":
		err = s.group.Signal(name, cmd.sig)
	case "write":
		err = s.group.Write(name, []byte(*cmd.Data))
	}
	if err != nil {
		bad(name, err)
	}
}

// names lists the sidecars' names, in order.
func (s *session) names() []string {
	names := make([]string, len(s.sidecars))
	for i, c := range s.sidecars {
		names[i] = c.name
	}
	return names
}

// pushStatus answers a status command with st, a sidecar's status as of the
// last of its events on the queue, so the answer agrees with what came
// before it on stdout.
func (s *session) pushStatus(st tether.Status) {
	s.events.ForceOrFold(record{kind: recStatus, status: &st, ev: tether.Event{Time: time.Now(), Name: st.Name}}, foldStatus)
}

// emitError writes an error event for the sidecar called name.
func (s *session) emitError(name string, err error) {
	s.events.ForceOrFold(record{ev: tether.Event{Time: time.Now(), Name: name, Kind: tether.EventError, Err: err}}, foldError)
}

// Errors and status answers never wait for a slow reader of stdout, and
// while the event queue is full they are folded into what waits there, so
// that a host that writes commands without reading tether's output cannot
// make tether grow: an error joins the error record that waits already
// (which counts them), a status answer replaces the waiting answer for the
// same sidecar.

// foldError folds the error record r into waiting, if that is an error
// record.
func foldError(waiting *record, r record) bool {
	if waiting.kind != recEvent || waiting.ev.Kind != tether.EventError {
		return false
	}
	ce, ok := waiting.ev.Err.(*coalescedErrors)
	if !ok {
		ce = &coalescedErrors{first: waiting.ev.Err}
		waiting.ev.Err = ce
	}
	ce.more++
	return true
}

// foldStatus replaces waiting with the status answer r for the same
// sidecar.
func foldStatus(waiting *record, r record) bool {
	if waiting.kind != recStatus || waiting.ev.Name != r.ev.Name {
		return false
	}
	*waiting = r
	return true
}

// coalescedErrors is the error of a record that stands for several errors
// while tether's stdout was full. more changes only while the record waits
// in the queue, under its lock.
type coalescedErrors struct {
	first error
	more  int
}

func (e *coalescedErrors) Error() string {
	return fmt.Sprintf("%v (and %d more errors, not shown one by one: tether's stdout was not being read)", e.first, e.more)
}

func (e *coalescedErrors) Unwrap() error { return e.first }
