//go:build unix

package tether_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"time"

	"tether.dev/tether"
)

// Run a sidecar to its end and read what it prints. Events arrive in order;
// exited comes after all of the process's output.
func ExampleSupervisor() {
	s := &tether.Supervisor{
		Spec: tether.Spec{
			Name:    "greeter",
			Command: "sh",
			// stderr first, then stdout: the two streams are read
			// independently, so the pause keeps the example's order stable.
			Args:    []string{"-c", "echo world >&2; sleep 0.1; echo hello; printf 'no newline'"},
			Restart: tether.RestartNever,
		},
		OnEvent: func(e tether.Event) {
			switch e.Kind {
			case tether.EventStdout, tether.EventStderr:
				fmt.Printf("%s %s %q partial=%v\n", e.Name, e.Kind, e.Data, e.Partial)
			case tether.EventExited:
				fmt.Printf("%s exited code=%d expected=%v\n", e.Name, e.Code, e.Expected)
			}
		},
	}
	if err := s.Run(context.Background()); err != nil {
		fmt.Println("error:", err)
	}
	// Output:
	// greeter stderr "world" partial=false
	// greeter stdout "hello" partial=false
	// greeter stdout "no newline" partial=true
	// greeter exited code=0 expected=false
}

// Stop a running sidecar gracefully: the stop signal to its whole process
// tree, then a kill after the grace period. Run returns nil for a stop that
// was asked for.
func ExampleSupervisor_Stop() {
	ready := make(chan struct{})
	s := &tether.Supervisor{
		Spec: tether.Spec{
			Command: "sh",
			Args:    []string{"-c", "trap 'echo bye; exit 0' TERM; echo up; while :; do sleep 0.01; done"},
			Ready:   tether.LogProbe(regexp.MustCompile(`^up$`)),
			Grace:   2 * time.Second,
		},
		OnEvent: func(e tether.Event) {
			switch e.Kind {
			case tether.EventReady:
				close(ready)
			case tether.EventStdout:
				fmt.Println("sidecar says:", string(e.Data))
			case tether.EventExited:
				fmt.Println("exited, expected:", e.Expected)
			}
		},
	}
	done := make(chan error, 1)
	go func() { done <- s.Run(context.Background()) }()
	<-ready
	if err := s.Stop(context.Background()); err != nil {
		fmt.Println("stop:", err)
	}
	fmt.Println("Run returned:", <-done)
	// Output:
	// sidecar says: up
	// sidecar says: bye
	// exited, expected: true
	// Run returned: <nil>
}

// A crashing sidecar is restarted with exponential backoff; MaxRestarts in
// RestartWindow makes supervision give up.
func ExampleSpec_restart() {
	s := &tether.Supervisor{
		Spec: tether.Spec{
			Command:       "sh",
			Args:          []string{"-c", "exit 3"},
			Backoff:       tether.Backoff{Initial: 10 * time.Millisecond, Jitter: -1},
			MaxRestarts:   2,
			RestartWindow: time.Minute,
		},
		OnEvent: func(e tether.Event) {
			switch e.Kind {
			case tether.EventExited:
				fmt.Printf("attempt %d exited %d\n", e.Attempt, e.Code)
			case tether.EventRestarting:
				fmt.Printf("restarting attempt %d in %v\n", e.Attempt, e.Delay)
			case tether.EventGaveUp:
				fmt.Println("gave up after", e.Restarts, "restarts")
			}
		},
	}
	err := s.Run(context.Background())
	fmt.Println(errors.Is(err, tether.ErrGaveUp), tether.ExitStatus(err), s.State())
	// Output:
	// attempt 1 exited 3
	// restarting attempt 2 in 10ms
	// attempt 2 exited 3
	// restarting attempt 3 in 20ms
	// attempt 3 exited 3
	// gave up after 2 restarts
	// true 3 failed
}

// Probes are written as on the command line.
func ExampleParseProbe() {
	for _, s := range []string{"http://127.0.0.1:{port}/health", "tcp://127.0.0.1:5432", "exec:pg_isready -q", "log:listening on", "notify", "htp://x"} {
		p, err := tether.ParseProbe(s)
		if err != nil {
			fmt.Println("error:", err)
			continue
		}
		fmt.Println(p)
	}
	// Output:
	// http://127.0.0.1:{port}/health
	// tcp://127.0.0.1:5432
	// exec:pg_isready -q
	// log:listening on
	// notify
	// error: tether: probe "htp://x": unknown form; want http://HOST:PORT/PATH, https://..., tcp://HOST:PORT, exec:COMMAND ARGS, log:REGEX or notify
}
