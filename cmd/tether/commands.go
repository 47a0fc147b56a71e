package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode/utf8"

	"tether.dev/tether"
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
		sig, err := tether.ParseSignal(*c.Signal)
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
	if len(s.cars) == 1 {
		errName = s.cars[0].name
	}
	bad := func(name string, err error) {
		s.emitError(name, fmt.Errorf("tether: stdin line %d: %v: %s", s.stdinLine, err, quoteLine(line)))
	}
	cmd, err := parseCommand(line)
	if err != nil {
		bad(errName, err)
		return
	}
	var c *car
	switch {
	case cmd.Name != nil:
		c = s.byName[*cmd.Name]
		if c == nil {
			bad(errName, fmt.Errorf("no sidecar named %q (there are: %s)", *cmd.Name, s.names()))
			return
		}
	case cmd.Cmd == "status":
		for _, c := range s.cars {
			s.pushStatus(c)
		}
		return
	case len(s.cars) == 1:
		c = s.cars[0]
	default:
		bad(errName, errors.New(`"name" is required when tether supervises several sidecars`))
		return
	}
	sup := c.sup.Load()
	switch cmd.Cmd {
	case "status":
		s.pushStatus(c)
	case "stop":
		if c.phase != phaseEnded && !c.stopBegun && !s.stopping {
			s.stopCar(c, "command")
		}
	case "start", "restart":
		if s.stopping {
			bad(c.name, errors.New("tether is stopping"))
			return
		}
		switch c.phase {
		case phaseWaiting:
			bad(c.name, fmt.Errorf("%s waits for its dependencies to be ready", c.name))
		case phaseEnded:
			for _, d := range c.deps {
				if !d.ready {
					bad(c.name, fmt.Errorf("its dependency %s is not ready", d.name))
					return
				}
			}
			s.start(c)
		case phaseLive:
			if c.stopBegun {
				bad(c.name, fmt.Errorf("%s is stopping", c.name))
				return
			}
			if cmd.Cmd == "start" || sup == nil {
				return // already supervised
			}
			s.pending++
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				err := sup.Restart(s.runCtx)
				s.notes.put(note{car: c, opDone: true, err: err})
			}()
		}
	case "signal":
		if sup == nil {
			bad(c.name, fmt.Errorf("%s is not running", c.name))
			return
		}
		if err := sup.Signal(cmd.sig); err != nil {
			if errors.Is(err, tether.ErrNotRunning) {
				err = fmt.Errorf("%s is not running", c.name)
			}
			bad(c.name, err)
		}
	case "write":
		if sup == nil || c.phase != phaseLive {
			bad(c.name, fmt.Errorf("%s is not running", c.name))
			return
		}
		if !c.in.put([]byte(*cmd.Data)) {
			bad(c.name, fmt.Errorf("more than %d bytes are waiting to be written to %s; it does not read its input", maxInbox, c.name))
		}
	}
}

// names lists the sidecars' names, for an error about a name.
func (s *session) names() string {
	names := make([]string, len(s.cars))
	for i, c := range s.cars {
		names[i] = c.name
	}
	return strings.Join(names, ", ")
}

// pushStatus answers a status command for c: its status as of the last of
// its events on the queue (so the answer agrees with what came before it on
// stdout), or, before its first event, stopped since the session began.
func (s *session) pushStatus(c *car) {
	st := tether.Status{Name: c.name, Since: s.began}
	if p := c.status.Load(); p != nil {
		st = *p
	}
	st.Name = c.name
	s.q.push(record{kind: recStatus, status: &st, ev: tether.Event{Time: time.Now(), Name: c.name}}, true)
}

// maxInbox bounds the bytes waiting to be written to one sidecar.
const maxInbox = 64 << 20

// inbox holds the data of write commands on their way to a sidecar's
// standard input, so that a sidecar that does not read its input holds up
// neither stdin nor the session.
type inbox struct {
	mu     sync.Mutex
	items  [][]byte
	bytes  int
	closed bool
	wake   chan struct{}
}

// newInbox returns an empty, open inbox.
func newInbox() *inbox { return &inbox{wake: make(chan struct{}, 1)} }

// put queues p, reporting false when the inbox is closed or too full.
func (b *inbox) put(p []byte) bool {
	b.mu.Lock()
	if b.closed || b.bytes+len(p) > maxInbox {
		b.mu.Unlock()
		return false
	}
	b.items = append(b.items, p)
	b.bytes += len(p)
	b.mu.Unlock()
	select {
	case b.wake <- struct{}{}:
	default:
	}
	return true
}

// take removes every queued write and reports whether the inbox is closed.
func (b *inbox) take() ([][]byte, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	items := b.items
	b.items = nil
	b.bytes = 0
	return items, b.closed
}

// close ends the inbox: writeLoop returns, queued writes are dropped.
func (b *inbox) close() {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

// writeLoop writes c's inbox to its current attempt's stdin, in order,
// until the inbox is closed.
func (s *session) writeLoop(c *car) {
	for {
		items, closed := c.in.take()
		for _, p := range items {
			if closed {
				break
			}
			sup := c.sup.Load()
			if sup == nil {
				continue
			}
			st := sup.Status() // the attempt the bytes are for
			if _, err := sup.Write(p); err != nil {
				s.q.push(record{ev: tether.Event{Time: time.Now(), Name: c.name, Kind: tether.EventError,
					Pid: st.Pid, Attempt: st.Attempt, Err: writeError(c.name, err)}}, true)
			}
		}
		if closed {
			return
		}
		<-c.in.wake
	}
}

// writeError says why a write command's bytes did not reach the sidecar
// called name.
func writeError(name string, err error) error {
	if errors.Is(err, tether.ErrNotRunning) {
		return fmt.Errorf("tether: write: %s is not running: %w", name, err)
	}
	if pe := (*fs.PathError)(nil); errors.As(err, &pe) {
		err = pe.Err // "write |1: " says nothing to a person
	}
	if errors.Is(err, syscall.EPIPE) {
		return fmt.Errorf("tether: write to %s's stdin: it has closed its standard input (%w)", name, err)
	}
	return fmt.Errorf("tether: write to %s's stdin: %w", name, err)
}
