//go:build unix

package tether_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"tether.dev/tether"
)

// Ask a supervisor where its sidecar is, as a user interface that reloads
// would: Status agrees with the events delivered so far.
func ExampleSupervisor_Status() {
	s := &tether.Supervisor{Spec: tether.Spec{
		Name:    "api",
		Command: "sh",
		Args:    []string{"-c", "sleep 60"},
		Port:    tether.PortAuto,
	}}
	asked := make(chan tether.Status, 1)
	s.OnEvent = func(e tether.Event) {
		if e.Kind == tether.EventReady {
			asked <- s.Status() // safe from any goroutine, OnEvent included
		}
	}
	done := make(chan error, 1)
	go func() { done <- s.Run(context.Background()) }()
	st := <-asked
	fmt.Println(st.Name, st.State, st.Ready, st.Attempt, st.Restarts, st.Pid > 0, st.Port > 0)
	s.Stop(context.Background())
	<-done
	st = s.Status()
	fmt.Println(st.State, st.Pid, st.Port)
	// Output:
	// api running true 1 0 true true
	// stopped 0 0
}

// Why did it die? The crash tail: the last lines an attempt printed, in the
// exited and gave_up events and in the *ExitError inside Run's error.
func ExampleExitError_tail() {
	s := &tether.Supervisor{Spec: tether.Spec{
		Name:    "migrate",
		Command: "sh",
		Args:    []string{"-c", "echo connecting >&2; echo 'fatal: database is locked' >&2; exit 3"},
		Restart: tether.RestartNever,
	}}
	err := s.Run(context.Background())
	var ee *tether.ExitError
	if errors.As(err, &ee) {
		fmt.Println(ee.Code, len(ee.Tail), ee.Tail[len(ee.Tail)-1])
	}
	// Output:
	// 3 2 fatal: database is locked
}

// A server that logs every request it answers: try its health check at most
// twice a second instead of every few milliseconds.
func ExampleSpec_readyInterval() {
	spec := tether.Spec{
		Command:       "python3",
		Args:          []string{"-m", "http.server", "{port}", "--bind", "127.0.0.1"},
		Port:          tether.PortAuto,
		Ready:         tether.HTTPProbe("http://127.0.0.1:{port}/"),
		ReadyInterval: 500 * time.Millisecond,
	}
	fmt.Println(spec.Validate() == nil)
	// Output: true
}

// Copy a sidecar's output to a log in bulk: OnOutput receives a read's
// worth of lines at a time, and Bytes is what the sidecar wrote, newlines
// included. The Output is valid only during the call: write it out (or
// Clone it) before returning.
func ExampleSupervisor_onOutput() {
	var log bytes.Buffer
	lines := 0
	s := &tether.Supervisor{
		Spec: tether.Spec{
			Name:    "chatty",
			Command: "sh",
			Args:    []string{"-c", "for i in 1 2 3; do echo line $i; done; printf 'no newline'"},
			Restart: tether.RestartNever,
		},
		OnOutput: func(o tether.Output) {
			log.Write(o.Bytes())
			lines += o.Len()
		},
		OnEvent: func(e tether.Event) { // every other event
			if e.Kind == tether.EventExited {
				fmt.Println("exited", e.Code)
			}
		},
	}
	if err := s.Run(context.Background()); err != nil {
		fmt.Println("error:", err)
	}
	fmt.Printf("%d events\n%s\n", lines, log.String())
	// Output:
	// exited 0
	// 4 events
	// line 1
	// line 2
	// line 3
	// no newline
}
