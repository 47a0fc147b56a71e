package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
	"tether.dev/tether/internal/proctest"
)

// tetherBin is the tether executable that TestMain builds once for the
// black-box tests (with -race when the tests run with it).
var tetherBin string

// The test binary also plays sidecars, as os/exec's tests do: with
// TETHER_TEST_HELPER set it runs helperMain instead of the tests.
func TestMain(m *testing.M) {
	if mode := os.Getenv("TETHER_TEST_HELPER"); mode != "" {
		helperMain(mode, os.Args[1:])
		os.Exit(0)
	}
	// The tests mostly wait on processes: run more of them at once than
	// the default (GOMAXPROCS), unless -parallel was given.
	flag.Parse()
	parallelSet := false
	flag.Visit(func(f *flag.Flag) { parallelSet = parallelSet || f.Name == "test.parallel" })
	if !parallelSet {
		flag.Set("test.parallel", "8")
	}
	dir, err := os.MkdirTemp("", "tether-cli-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	tetherBin = filepath.Join(dir, "tether")
	args := []string{"build", "-o", tetherBin}
	if raceEnabled {
		args = append(args, "-race")
	}
	build := exec.Command("go", append(args, ".")...)
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building tether:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

func helperMain(mode string, args []string) {
	switch mode {
	case "lines": // print each arg as a line on stdout, "err:" ones on stderr
		for _, a := range args {
			if e, ok := strings.CutPrefix(a, "err:"); ok {
				fmt.Fprintln(os.Stderr, e)
			} else {
				fmt.Println(a)
			}
		}
	case "fidelity": // hostileStream(seed) on stdout, hostileStream(seed+1) on stderr
		seed, _ := strconv.ParseUint(args[0], 10, 64)
		done := make(chan struct{})
		go func() { writeChopped(os.Stderr, hostileStream(seed+1), seed+1); close(done) }()
		writeChopped(os.Stdout, hostileStream(seed), seed)
		<-done
	case "count": // print args[0] followed by 0..args[1]-1, one per line
		n, _ := strconv.Atoi(args[1])
		w := bufio.NewWriter(os.Stdout)
		for i := range n {
			fmt.Fprintf(w, "%s%d\n", args[0], i)
		}
		w.Flush()
	case "flood": // args[0] bytes of 100-byte lines, written 64 KiB at a time
		n, _ := strconv.Atoi(args[0])
		line := []byte(strings.Repeat("x", 99) + "\n")
		w := bufio.NewWriterSize(os.Stdout, 64<<10)
		for written := 0; written+len(line) <= n; written += len(line) {
			w.Write(line)
		}
		w.Flush()
	case "cat": // copy stdin to stdout, then wait to be stopped
		fmt.Println("up")
		io.Copy(os.Stdout, os.Stdin)
		select {}
	case "peek": // on USR1 or TERM, print "got:" and what stdin holds now (| for newlines); exit on TERM
		peekHelper()
	case "until-eof": // copy stdin to stdout; exit 0 at its end (exit 7 on TERM)
		term := make(chan os.Signal, 1)
		signal.Notify(term, syscall.SIGTERM)
		go func() { <-term; os.Exit(7) }()
		fmt.Println("up")
		io.Copy(os.Stdout, os.Stdin)
	case "stubborn": // ignore TERM, INT and HUP
		signal.Ignore(syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
		fmt.Println("up")
		select {}
	case "slowstop": // on TERM, wait args[0], say so, exit 0
		d, _ := time.ParseDuration(args[0])
		c := make(chan os.Signal, 1)
		signal.Notify(c, syscall.SIGTERM)
		fmt.Println("up")
		<-c
		time.Sleep(d)
		fmt.Println("bye")
	case "env": // print NAME=value for each NAME in args; then wait to be stopped
		for _, name := range args {
			fmt.Printf("%s=%s\n", name, os.Getenv(name))
		}
		select {}
	case "delayed": // after args[0], print "listening"; then wait to be stopped
		d, _ := time.ParseDuration(args[0])
		time.Sleep(d)
		fmt.Println("listening")
		select {}
	case "listen": // args: port, delay, lifetime: listen on the port after delay, close it after lifetime
		delay, _ := time.ParseDuration(args[1])
		life, _ := time.ParseDuration(args[2])
		time.Sleep(delay)
		ln, err := net.Listen("tcp", "127.0.0.1:"+args[0])
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(3)
		}
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				c.Close()
			}
		}()
		fmt.Println("listening")
		time.Sleep(life)
		ln.Close()
		fmt.Println("closed")
		select {}
	default:
		fmt.Fprintf(os.Stderr, "unknown helper mode %q\n", mode)
		os.Exit(2)
	}
}

// hostileStream is about 3.3 MB of output that tests the NDJSON path:
// random bytes (invalid UTF-8 included), control characters, quotes and
// backslashes, \r, valid multi-byte text, a line of 2.25 MiB (three
// chunks), and a last line without a newline.
func hostileStream(seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed))
	var b []byte
	for len(b) < 1<<20 {
		switch r.IntN(10) {
		case 0:
			b = append(b, '\n')
		case 1:
			b = append(b, "caf\xc3\xa9 \"quoted\" back\\slash\ttab \x00\x01\x1f del\x7f \xe2\x80\xa8 \xf0\x9f\x98\x80\r\n"...)
		case 2:
			b = append(b, "\xff\xfe broken \xc3 utf-8\n"...)
		default:
			for range r.IntN(300) {
				c := byte(r.Uint32())
				if c == '\n' {
					c = 'n'
				}
				b = append(b, c)
			}
			b = append(b, '\n')
		}
		if len(b) > 1<<19 && len(b) < 1<<19+400 {
			long := bytes.Repeat([]byte("long line é "), (9<<18)/12)
			b = append(b, long...)
			b = append(b, '\n')
		}
	}
	return append(b, "last line, no newline \xff"...)
}

// writeChopped writes b in writes of random sizes; the helper exits 4 when
// a write fails.
func writeChopped(w io.Writer, b []byte, seed uint64) {
	if proctest.WriteChopped(w, b, seed, 100<<10) != nil {
		os.Exit(4)
	}
}

// event is one decoded NDJSON event.
type event map[string]any

func (e event) str(k string) string {
	s, _ := e[k].(string)
	return s
}

func (e event) num(k string) int {
	f, ok := e[k].(float64)
	if !ok {
		return -1
	}
	return int(f)
}

func (e event) kind() string { return e.str("event") }

func (e event) String() string {
	b, _ := json.Marshal(map[string]any(e))
	return string(b)
}

// tproc is a running tether under test: its events as they arrive, its
// stdin, its stderr.
type tproc struct {
	t      testing.TB
	cmd    *exec.Cmd
	text   bool // stdout is --output text: lines are kept in raw only
	check  eventChecker
	stdin  io.WriteCloser
	stderr bytes.Buffer

	mu     sync.Mutex
	events []event
	raw    [][]byte
	bad    []string // stdout lines that are not JSON objects
	wake   chan struct{}
	eof    chan struct{} // stdout closed
	exit   chan struct{}
	code   int
}

// helperArgv returns the argv that runs the test binary as a sidecar in
// mode; the mode travels in the environment, set with --env.
func helperArgv(mode string, args ...string) (flags []string, argv []string) {
	exe, _ := os.Executable()
	return []string{"--env", "TETHER_TEST_HELPER=" + mode}, append([]string{exe}, args...)
}

// runArgs builds "run FLAGS -- ARGV".
func runArgs(flags []string, argv ...string) []string {
	return append(append(append([]string{"run"}, flags...), "--"), argv...)
}

// startTether starts the tether binary with args, tagged for leftovers, in
// dir (empty: a temp dir). It kills it at the end of the test if it is
// still running.
func startTether(t testing.TB, dir string, args ...string) *tproc {
	t.Helper()
	return startProc(t, tetherCmd(t, dir, args...), false)
}

// tetherCmd is the command that runs tether with args in dir (empty: a
// temp dir), tagged for leftovers.
func tetherCmd(t testing.TB, dir string, args ...string) *exec.Cmd {
	if dir == "" {
		dir = t.TempDir()
	}
	cmd := exec.Command(tetherBin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), proctest.Env(t), "NO_COLOR=")
	return cmd
}

// startProc starts cmd, whose stdout carries tether's events (or, with
// text, lines for people, kept unparsed in raw).
func startProc(t testing.TB, cmd *exec.Cmd, text bool) *tproc {
	t.Helper()
	p := &tproc{t: t, cmd: cmd, text: text, wake: make(chan struct{}), eof: make(chan struct{}), exit: make(chan struct{})}
	cmd.Stderr = &lockedWriter{mu: &p.mu, w: &p.stderr}
	var err error
	if p.stdin, err = cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go p.read(out)
	go func() {
		<-p.eof
		cmd.Wait()
		p.mu.Lock()
		p.code = cmd.ProcessState.ExitCode()
		p.mu.Unlock()
		close(p.exit)
	}()
	t.Cleanup(func() {
		select {
		case <-p.exit:
		default:
			cmd.Process.Kill()
			<-p.exit
		}
	})
	return p
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.w.Write(p)
}

func (p *tproc) read(out io.Reader) {
	defer close(p.eof)
	br := bufio.NewReaderSize(out, 1<<20)
	for {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 {
			var e event
			var err error
			if !p.text {
				err = p.check.event(line, &e)
			}
			p.mu.Lock()
			p.raw = append(p.raw, line)
			switch {
			case p.text:
			case err != nil:
				p.bad = append(p.bad, fmt.Sprintf("%v: %q", err, line))
			default:
				p.events = append(p.events, e)
			}
			close(p.wake)
			p.wake = make(chan struct{})
			p.mu.Unlock()
		}
		if err != nil {
			return
		}
	}
}

// all returns the events so far.
func (p *tproc) all() []event {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]event(nil), p.events...)
}

// waitFor waits until an event after index from matches, and returns it
// and its index. It fails the test after timeout (or when tether ends).
func (p *tproc) waitFor(timeout time.Duration, from int, desc string, match func(event) bool) (event, int) {
	p.t.Helper()
	deadline := time.After(timeout)
	for {
		p.mu.Lock()
		for i := from; i < len(p.events); i++ {
			if match(p.events[i]) {
				e := p.events[i]
				p.mu.Unlock()
				return e, i
			}
		}
		from = max(from, len(p.events))
		wake := p.wake
		p.mu.Unlock()
		select {
		case <-wake:
		case <-p.eof:
			p.mu.Lock()
			n := len(p.events)
			p.mu.Unlock()
			if from >= n {
				p.t.Fatalf("tether ended before %s; events:\n%s\nstderr: %s", desc, p.dump(), p.errText())
			}
		case <-deadline:
			p.t.Fatalf("no %s within %v; events:\n%s\nstderr: %s", desc, timeout, p.dump(), p.errText())
		}
	}
}

// waitKind waits for the next event of kind (after index from).
func (p *tproc) waitKind(timeout time.Duration, from int, kind string) (event, int) {
	p.t.Helper()
	return p.waitFor(timeout, from, kind+" event", func(e event) bool { return e.kind() == kind })
}

// send writes a line to tether's stdin.
func (p *tproc) send(line string) {
	p.t.Helper()
	if _, err := io.WriteString(p.stdin, line+"\n"); err != nil {
		p.t.Fatalf("writing %s to tether: %v", line, err)
	}
}

// wait waits for tether to exit and returns its status.
func (p *tproc) wait(timeout time.Duration) int {
	p.t.Helper()
	select {
	case <-p.exit:
	case <-time.After(timeout):
		p.t.Fatalf("tether did not exit within %v; events:\n%s\nstderr: %s", timeout, p.dump(), p.errText())
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.bad) > 0 {
		p.t.Errorf("stdout lines that are not JSON events: %q", p.bad)
	}
	return p.code
}

func (p *tproc) signal(sig os.Signal) {
	p.t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		p.t.Fatal(err)
	}
}

func (p *tproc) errText() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.String()
}

func (p *tproc) dump() string {
	var b strings.Builder
	for _, e := range p.all() {
		s := e.String()
		if len(s) > 300 {
			s = s[:300] + "…"
		}
		b.WriteString("  " + s + "\n")
	}
	return b.String()
}

// kinds lists the kinds of events (state events as state:NAME), for
// order checks.
func kinds(events []event) []string {
	var out []string
	for _, e := range events {
		k := e.kind()
		if k == "state" {
			k += ":" + e.str("state")
		}
		out = append(out, k)
	}
	return out
}

// ofKind returns the events of kind, in order.
func ofKind(events []event, kind string) []event {
	var out []event
	for _, e := range events {
		if e.kind() == kind {
			out = append(out, e)
		}
	}
	return out
}

// index returns the position of the first event matching, or -1.
func index(events []event, match func(event) bool) int {
	for i, e := range events {
		if match(e) {
			return i
		}
	}
	return -1
}

// tetherExec runs tether to completion with args and stdin, in dir, and
// returns stdout, stderr and the exit status.
func tetherExec(t testing.TB, dir, stdin string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(tetherBin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), proctest.Env(t))
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	// A bound against hangs, not a speed check: a loaded machine needs
	// tens of seconds for the biggest streams.
	runBounded(t, cmd, 90*time.Second, &errb)
	return out.String(), errb.String(), cmd.ProcessState.ExitCode()
}

// runBounded starts cmd and waits for it, for at most d: past that it is
// killed and t fails, quoting stderr.
func runBounded(t testing.TB, cmd *exec.Cmd, d time.Duration, stderr *bytes.Buffer) {
	t.Helper()
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(d):
		cmd.Process.Kill()
		<-done
		t.Fatalf("%q did not exit in %v; stderr: %s", cmd.Args, d, stderr.String())
	}
}

// decodeAll parses NDJSON output, failing on any line that is not an
// event.
func decodeAll(t testing.TB, out string) []event {
	t.Helper()
	var evs []event
	var check eventChecker
	for _, line := range strings.SplitAfter(out, "\n") {
		if line == "" {
			continue
		}
		var e event
		if err := check.event([]byte(line), &e); err != nil {
			t.Fatalf("stdout line: %v: %q", err, line)
		}
		evs = append(evs, e)
	}
	return evs
}

// writeConfig writes tether.toml into a new directory and returns it.
func writeConfig(t *testing.T, text string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "tether.toml"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// helperCommand is a TOML argv and env for the test binary in mode.
func helperCommand(mode string, args ...string) string {
	exe, _ := os.Executable()
	argv := []string{strconv.Quote(exe)}
	for _, a := range args {
		argv = append(argv, strconv.Quote(a))
	}
	return fmt.Sprintf("command = [%s]\nenv = { TETHER_TEST_HELPER = %q }\n", strings.Join(argv, ", "), mode)
}
