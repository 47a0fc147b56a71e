package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"

	"tether.dev/tether"
	"tether.dev/tether/bundle"
)

// A session is one run of tether: a tether.Group of sidecars, with the
// command line around it. It writes the group's events to stdout, carries
// out the commands read on stdin, and turns signals, the end of stdin
// (with --lifeline stdin) and the parent's death into a stop of the group.
type session struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	proc           *procConfig
	sidecars       []*sidecarConfig
	byName         map[string]*sidecarConfig
	group          *tether.Group
	events         *eventQueue // records on their way to stdout
	// outputs holds, by sidecar name, where output goes besides its
	// events (openLogs); read-only once the group runs.
	outputs map[string]*sidecarOutput
	// encoded, when the output is NDJSON, holds the buffers output events
	// are encoded into (onOutput); nil otherwise. Set before the group runs.
	encoded *outputBuffers

	// viewTitle is what the live view (--ui) says it shows, after "tether".
	viewTitle string

	// onSpawned, if set, sees every spawned event on the sidecar's event
	// goroutine (the demo uses it to tell each attempt what to act out).
	onSpawned func(name string, ev tether.Event)

	// Owned by run's goroutine.
	stopping  bool // an orderly stop of everything began
	stdinLine int  // lines read from stdin
}

// newSession prepares a session for sidecars, which must be checked
// (names unique, dependencies known, no cycle).
func newSession(sidecars []*sidecarConfig, pc *procConfig, stdin io.Reader, stdout, stderr io.Writer) *session {
	s := &session{
		stdin: stdin, stdout: stdout, stderr: stderr, proc: pc, sidecars: sidecars,
		byName: make(map[string]*sidecarConfig), events: newEventQueue(),
	}
	s.group = &tether.Group{OnEvent: s.onEvent, OnOutput: s.onOutput}
	for _, sc := range sidecars {
		s.byName[sc.name] = sc
		m := tether.Member{Spec: sc.spec, DependsOn: sc.dependsOn}
		if sc.bundled {
			program := sc.command[0]
			m.Prepare = func(spec tether.Spec) (tether.Spec, error) {
				path, err := bundle.Find(program)
				spec.Command = path
				return spec, err
			}
		}
		s.group.Members = append(s.group.Members, m)
	}
	return s
}

// onEvent queues one of the group's events for stdout. The group's own
// records, and errors, never wait for a slow reader: a stop must go on
// while the host does not read.
func (s *session) onEvent(ev tether.Event) {
	if out := s.outputs[ev.Name]; out != nil && (ev.Kind == tether.EventStdout || ev.Kind == tether.EventStderr) {
		if out.log != nil {
			out.log.add(ev.Data, ev.Partial)
		}
		if out.noEvents {
			return
		}
	}
	switch ev.Kind {
	case tether.EventStopping:
		s.events.Force(record{kind: recStopping, reason: ev.Reason, ev: ev})
	case tether.EventStopped:
		s.events.Force(record{kind: recStopped, ev: ev})
	case tether.EventError:
		s.events.ForceOrFold(record{ev: ev}, foldError)
	case tether.EventGaveUp:
		s.events.Force(record{ev: ev})
	default:
		s.events.Push(record{ev: ev})
	}
	if ev.Kind == tether.EventSpawned && s.onSpawned != nil {
		s.onSpawned(ev.Name, ev)
	}
}

// onOutput queues a read's worth of a sidecar's output for stdout, as one
// record, after appending it to the sidecar's log file; with
// --output-events=false the log file alone has it. Like onEvent's output
// events, it waits while the queue is full. It runs on the sidecar's
// delivery goroutine, one per sidecar, several at once.
func (s *session) onOutput(o tether.Output) {
	if out := s.outputs[o.Name]; out != nil {
		if out.log != nil {
			out.log.add(o.Bytes(), true) // newlines included: added as they are
		}
		if out.noEvents {
			return
		}
	}
	if s.encoded == nil { // text, or the live view: formatted by the writer
		s.events.Push(record{kind: recOutput, out: o.Clone()})
		return
	}
	// NDJSON: encoded here, on the sidecar's own delivery goroutine, while
	// o is valid; the writer only writes.
	s.events.Push(record{kind: recEncoded, encoded: s.encoded.encode(s.encoded.get(), &o)})
}

// run supervises until every sidecar has ended, and returns tether's exit
// status.
func (s *session) run(ctx context.Context, ppid int) int {
	if s.proc.exitWithParent && adoptedAtStart(ppid, runtime.GOOS) {
		s.closeLogs()
		return fail(s.stderr, errors.New("tether: the process that started tether is already gone (init adopted it, as after sh -c 'tether … &'), so --exit-with-parent (on by default) stops at once; nothing was started. "+
			"To run tether in the background or under a service manager (systemd, launchd, a container's init), pass --exit-with-parent=false"))
	}
	view, err := s.newView()
	if err != nil {
		s.closeLogs()
		return fail(s.stderr, err)
	}
	writerDone, broken := s.startWriter(view)

	sigCh := make(chan os.Signal, 8)
	signal.Notify(sigCh, stopSignals()...)
	defer signal.Stop(sigCh)
	defer catchSIGPIPE()()

	var parentGone <-chan struct{}
	// A ppid of 0 means no parent is known (Windows reports it for a process
	// whose parent is not a Windows process, as under Wine): nothing to watch.
	if s.proc.exitWithParent && ppid > 0 {
		gone, stop := watchParent(ppid)
		defer stop()
		parentGone = gone
	}

	lines := make(chan []byte)
	stdinEnd := make(chan error, 1)
	quit := make(chan struct{})
	defer close(quit)
	var viewInterrupts <-chan struct{}
	if view != nil { // --ui: the view, not stdin, gives commands
		lines, viewInterrupts = view.commands, view.interrupts
	} else {
		go readCommands(s.stdin, lines, stdinEnd, quit)
	}

	err = s.serve(ctx, sessionInputs{
		signals: sigCh, viewInterrupts: viewInterrupts, lines: lines,
		stdinEnd: stdinEnd, parentGone: parentGone, broken: broken,
	})
	s.closeLogs() // the group has delivered its last event
	s.events.Close()
	<-writerDone
	if errors.Is(err, tether.ErrInvalidSpec) { // the checks of the config missed it
		fmt.Fprintf(s.stderr, "tether: %v\n", err)
		return 2
	}
	return tether.ExitStatus(err)
}

// sessionInputs are what a session reacts to while its group runs. A nil
// channel is one that never delivers.
type sessionInputs struct {
	signals        <-chan os.Signal // stop signals: stop, or kill when stopping and an interrupt
	viewInterrupts <-chan struct{}  // q or Ctrl-C in the live view, as SIGINT
	lines          <-chan []byte    // command lines, from stdin or the live view
	stdinEnd       <-chan error     // stdin ended: the lifeline, if it is stdin
	parentGone     <-chan struct{}  // --exit-with-parent saw the parent go
	broken         <-chan struct{}  // the host stopped reading the output
}

// serve runs the group until its Run returns, acting on what in delivers
// meanwhile, and returns Run's error.
func (s *session) serve(ctx context.Context, in sessionInputs) error {
	var err error
	groupDone := make(chan error, 1)
	go func() { groupDone <- s.group.Run(context.WithoutCancel(ctx)) }()

	ctxDone, stdinEnd, parentGone := ctx.Done(), in.stdinEnd, in.parentGone
	for running := true; running; {
		select {
		case err = <-groupDone:
			running = false
		case sig := <-in.signals:
			if s.stopping && isInterrupt(sig) {
				s.group.Kill()
			} else {
				s.stop("signal")
			}
		case <-in.viewInterrupts: // q or Ctrl-C in the live view: as SIGINT
			if s.stopping {
				s.group.Kill()
			} else {
				s.stop("signal")
			}
		case <-ctxDone:
			ctxDone = nil
			s.stop("signal")
		case line := <-in.lines:
			s.stdinLine++
			s.command(line)
		case err := <-stdinEnd:
			stdinEnd = nil
			if s.proc.lifeline == "stdin" {
				if err != nil && !errors.Is(err, io.EOF) {
					fmt.Fprintf(s.stderr, "tether: reading stdin: %v: the lifeline is cut\n", err)
				}
				s.stop("stdin")
			}
		case <-parentGone:
			parentGone = nil
			s.stop("parent")
		case <-in.broken: // the host stopped reading: treated as its death
			s.stop("parent")
		}
	}
	return err
}

// stop begins the orderly stop of every sidecar.
func (s *session) stop(reason string) {
	s.stopping = true
	s.group.Stop(reason)
}

// newView returns the live view when --ui asks for it, else nil.
func (s *session) newView() (*liveView, error) {
	if !s.proc.ui {
		return nil, nil
	}
	if err := checkLiveView(s.stdin, s.stdout); err != nil {
		return nil, err
	}
	view := newLiveView(s.names(), s.stdin, s.stdout)
	view.title = s.viewTitle
	view.words = newTextFormat(s.names(), false).withSidecars(s.sidecars)
	return view, nil
}

// startWriter starts the goroutine that writes the event queue to stdout,
// in the output format asked for, or hands it to the live view. writerDone
// is closed when it has returned; broken receives once if stdout fails.
func (s *session) startWriter(view *liveView) (writerDone, broken chan struct{}) {
	var f formatter = jsonFormat{enc: newEncoder()}
	output := s.proc.output
	if output == "" {
		output = "json"
		if isTerminal(s.stdout) {
			output = "text"
		}
	}
	if output == "text" {
		f = newTextFormat(s.names(), isTerminal(s.stdout) && !noColor()).withSidecars(s.sidecars)
	} else if view == nil {
		s.encoded = newOutputBuffers()
	}
	broken = make(chan struct{}, 1)
	writerDone = make(chan struct{})
	go func() {
		defer close(writerDone)
		if view != nil {
			view.run(s.events, s.stderr)
			return
		}
		writeEvents(s.events, s.stdout, f, s.encoded, func(err error) {
			fmt.Fprintf(s.stderr, "tether: cannot write events to stdout (%v): stopping everything, as if tether's parent had gone\n", err)
			broken <- struct{}{}
		})
	}()
	return writerDone, broken
}
