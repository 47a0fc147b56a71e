// Command gohost supervises a Python HTTP server with the tether library:
// it waits until the server is ready, asks it for a page, prints what
// happens (the error of an error event included), and on Ctrl-C or SIGTERM
// stops the server with every process it started.
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"tether.dev/tether"
)

func main() {
	// Ctrl-C or SIGTERM ends ctx; Run then stops the sidecar's whole tree.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	ready := make(chan int, 1) // the port of an attempt that became ready
	port := 0                  // the current attempt's port (OnEvent runs on one goroutine)
	s := &tether.Supervisor{
		Spec: tether.Spec{
			Command: "python3",
			Args:    []string{"-m", "http.server", "{port}", "--bind", "127.0.0.1"},
			Port:    tether.PortAuto, // a fresh free port for each attempt
			Ready:   tether.HTTPProbe("http://127.0.0.1:{port}/"),
		},
		OnEvent: func(e tether.Event) {
			switch e.Kind {
			case tether.EventSpawned:
				port = e.Port
				log.Printf("%s: spawned pid %d on port %d", e.Name, e.Pid, e.Port)
			case tether.EventStdout, tether.EventStderr:
				log.Printf("%s: %s", e.Name, e.Data)
			case tether.EventReady:
				log.Printf("%s: ready after %v", e.Name, e.After)
				select {
				case ready <- port:
				default:
				}
			case tether.EventExited:
				log.Printf("%s: exited, code %d, signal %q, expected %v", e.Name, e.Code, e.Signal, e.Expected)
			case tether.EventError, tether.EventGaveUp, tether.EventUnhealthy:
				log.Printf("%s: %s: %v", e.Name, e.Kind, e.Err)
			}
		},
	}

	go func() { // talk to the server once it is ready
		select {
		case p := <-ready:
			resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/", p))
			if err != nil {
				log.Printf("asking the server: %v", err)
				return
			}
			resp.Body.Close()
			log.Printf("the server answered %s; Ctrl-C stops it", resp.Status)
		case <-ctx.Done():
		}
	}()

	// Run spawns, reads all output, probes, restarts with backoff, and
	// returns only when every process it started is gone. A stop we asked
	// for (ctx ended) returns nil.
	if err := s.Run(ctx); err != nil {
		var exit *tether.ExitError
		switch {
		case errors.Is(err, tether.ErrGaveUp):
			log.Printf("gave up: %v", err)
		case errors.As(err, &exit):
			log.Printf("the server ended with status %d", exit.ExitStatus())
		default:
			log.Printf("supervision failed: %v", err)
		}
		os.Exit(tether.ExitStatus(err))
	}
	log.Print("stopped; nothing is left running")
}
