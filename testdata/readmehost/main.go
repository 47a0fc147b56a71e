// Command readmehost is the README's "From Go" program made complete, and
// nothing more: it calls nothing of tether's but what the README shows (no
// RunWatcherIfRequested). TestREADMEHostKilled builds it and kills it with
// SIGKILL.
package main

import (
	"context"
	"log"
	"os"
	"os/signal"
	"syscall"

	"tether.dev/tether"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	s := &tether.Supervisor{
		Spec: tether.Spec{
			Command: "python3",
			Args:    []string{"-u", "server.py", "--port", "{port}"},
			Port:    tether.PortAuto, // a fresh free port per attempt
			Ready:   tether.HTTPProbe("http://127.0.0.1:{port}/health"),
		},
		OnEvent: func(e tether.Event) { log.Println(e.Kind, string(e.Data)) },
	}
	if err := s.Run(ctx); err != nil {
		log.Fatal(err)
	}
}
