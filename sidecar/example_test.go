package sidecar_test

import (
	"context"
	"fmt"
	"log"
	"net"
	"net/http"
	"time"

	"tether.dev/tether/sidecar"
)

// A sidecar HTTP server: listen on the port tether chose, report ready,
// feed the watchdog, and shut down gracefully when asked. Run by hand (no
// tether) it listens on a free port and stops on Ctrl-C.
func Example() {
	env, err := sidecar.FromEnv()
	if err != nil {
		log.Fatal(err)
	}
	ctx, stop := env.StopContext(context.Background())
	defer stop()

	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", env.Port))
	if err != nil {
		log.Fatal(err)
	}
	srv := &http.Server{Handler: http.NotFoundHandler()}
	go srv.Serve(ln)
	if err := env.Ready(); err != nil {
		log.Print(err)
	}
	go env.Watchdog(ctx, nil)

	stop() // here: stop at once, as a signal would
	<-ctx.Done()
	shutdown, cancel := context.WithTimeout(context.Background(), 4*time.Second)
	defer cancel()
	fmt.Println(srv.Shutdown(shutdown))
	// Output: <nil>
}

// Port is 0 when tether chose no port (or did not start the program).
func ExamplePort() {
	port := sidecar.Port()
	if port == 0 {
		port = 8080 // run by hand: a default of your own
	}
	fmt.Println(port > 0)
	// Output: true
}

// Feed the watchdog only while the program's event loop answers: a loop
// that blocks stops the pings, and tether restarts the sidecar.
func ExampleEnv_Watchdog() {
	env, _ := sidecar.FromEnv()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()

	jobs := make(chan func())
	go func() {
		for job := range jobs {
			job()
		}
	}()
	defer close(jobs)
	alive := func(ctx context.Context) error {
		done := make(chan struct{})
		select {
		case jobs <- func() { close(done) }:
		case <-ctx.Done():
			return ctx.Err()
		}
		select {
		case <-done:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	go env.Watchdog(ctx, alive) // returns at once when tether runs no watchdog
	<-ctx.Done()
	fmt.Println("done")
	// Output: done
}
