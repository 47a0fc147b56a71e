package main

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"tether.dev/tether"
)

//go:embed sidecar.py
var sidecarSource string

// maxLines is how many of the sidecar's last output lines the window shows.
const maxLines = 12

// sidecarSpec is the sidecar: the Python HTTP server of sidecar.py on a
// port tether picks afresh for each attempt, ready once /health answers.
func sidecarSpec() tether.Spec {
	return tether.Spec{
		Name:    "api",
		Command: "python3",
		Args:    []string{"-u", "-c", sidecarSource, "{port}"},
		Port:    tether.PortAuto,
		Ready:   tether.HTTPProbe("http://127.0.0.1:{port}/health"),
		Backoff: tether.Backoff{Initial: 500 * time.Millisecond},
	}
}

// View is what the window shows: the sidecar's status and its last lines.
// The frontend gets it from Status and from every "status" event.
type View struct {
	State    string   `json:"state"`
	Ready    bool     `json:"ready"`
	Pid      int      `json:"pid"`
	Port     int      `json:"port"`
	Attempt  int      `json:"attempt"`
	Restarts int      `json:"restarts"`
	Lines    []string `json:"lines"`
}

// App is the Go side of the window: it supervises the sidecar and tells
// the frontend about it. Its exported methods are bound to the frontend
// (window.go.main.App.Restart() and so on).
type App struct {
	group   *tether.Group
	name    string       // the sidecar's name in the group
	emit    func(View)   // sends the view to the frontend; set in startup
	shows   func(string) // told what the window shows (Rendered)
	closing atomic.Bool  // shutdown began: the window may be gone
	runDone chan struct{}

	mu    sync.Mutex
	lines []string // the last maxLines output lines
}

// newApp returns the app for spec, which reports what the window shows to
// shows.
func newApp(spec tether.Spec, shows func(string)) *App {
	a := &App{name: spec.Name, shows: shows, runDone: make(chan struct{}), emit: func(View) {}}
	a.group = &tether.Group{Members: []tether.Member{{Spec: spec}}, OnEvent: a.onEvent}
	return a
}

// start begins supervising the sidecar; it runs until stop. emit is how
// the view reaches the frontend.
func (a *App) start(emit func(View)) {
	a.emit = emit
	go func() {
		defer close(a.runDone)
		a.group.Run(context.Background()) // until stop: the error is in the events
	}()
}

// stop stops the sidecar with its whole tree (the stop signal, the grace
// period, then the kill), killing it at once should ctx end first, and
// waits for supervision to end.
func (a *App) stop(ctx context.Context) {
	a.closing.Store(true)
	a.group.Stop("quit")
	select {
	case <-a.runDone:
	case <-ctx.Done():
		a.group.Kill() // the grace is over: kill the tree now
		<-a.runDone
	}
}

// onEvent keeps the last lines and sends the view to the frontend.
func (a *App) onEvent(ev tether.Event) {
	var line string
	switch ev.Kind {
	case tether.EventStdout, tether.EventStderr:
		line = string(ev.Data)
	case tether.EventSpawned, tether.EventReady, tether.EventExited, tether.EventRestarting, tether.EventGaveUp,
		tether.EventError, tether.EventUnhealthy:
		line = "* " + describe(ev)
	default:
		if ev.Kind != tether.EventState {
			return
		}
	}
	if line != "" {
		a.mu.Lock()
		a.lines = append(a.lines, line)
		if len(a.lines) > maxLines {
			a.lines = append([]string(nil), a.lines[len(a.lines)-maxLines:]...)
		}
		a.mu.Unlock()
	}
	if !a.closing.Load() {
		a.emit(a.Status())
	}
}

// describe says what happened, shortly.
func describe(ev tether.Event) string {
	switch ev.Kind {
	case tether.EventSpawned:
		return fmt.Sprintf("spawned pid %d on port %d (attempt %d)", ev.Pid, ev.Port, ev.Attempt)
	case tether.EventReady:
		return fmt.Sprintf("ready after %v", ev.After.Round(time.Millisecond))
	case tether.EventExited:
		if ev.Signal != "" {
			return "killed by signal " + ev.Signal
		}
		return "exited with status " + strconv.Itoa(ev.Code)
	case tether.EventRestarting:
		return fmt.Sprintf("restarting in %v", ev.Delay.Round(time.Millisecond))
	case tether.EventError, tether.EventUnhealthy:
		return fmt.Sprintf("%s: %v", ev.Kind, ev.Err) // e.g. no watcher, and what would fix it
	}
	return fmt.Sprintf("gave up: %v", ev.Err)
}

// Status returns what the window should show now.
func (a *App) Status() View {
	st, _ := a.group.Status(a.name)
	a.mu.Lock()
	defer a.mu.Unlock()
	return View{
		State: st.State.String(), Ready: st.Ready, Pid: st.Pid, Port: st.Port,
		Attempt: st.Attempt, Restarts: st.Restarts, Lines: append([]string(nil), a.lines...),
	}
}

// Restart stops the sidecar's tree and starts it again (the Restart
// button).
func (a *App) Restart() error {
	return a.group.RestartMember(a.name)
}

// Crash asks the sidecar to crash (the Crash button): it exits at once
// with status 3, and tether restarts it after a backoff, on a new port.
func (a *App) Crash() error {
	st, _ := a.group.Status(a.name)
	port := st.Port
	if port == 0 {
		return errors.New("the sidecar is not running")
	}
	client := http.Client{Timeout: 2 * time.Second}
	resp, err := client.Get("http://127.0.0.1:" + strconv.Itoa(port) + "/crash")
	if err != nil {
		return fmt.Errorf("asking the sidecar to crash: %w", err)
	}
	io.Copy(io.Discard, resp.Body)
	return resp.Body.Close()
}

// Rendered is called by the frontend with the text it has just drawn, so
// that what the window shows can be checked from outside (the example's
// test reads it from the app's standard output).
func (a *App) Rendered(text string) {
	a.shows(text)
}
