// A sidecar written with tether's Go SDK: an HTTP server on the port tether
// chose that reports ready, feeds the watchdog and shuts down gracefully on
// any stop. Run it under tether:
//
//	tether run --ready notify --watchdog 2s --port auto -- ./gosidecar
//
// or by hand (it then listens on a free port and stops on Ctrl-C).
package main

import (
	"context"
	"fmt"
	"log"
	"net"
	"net/http"
	"time"

	"tether.dev/tether/sidecar"
)

func main() {
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
	mux := http.NewServeMux()
	mux.HandleFunc("/health", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") })
	srv := &http.Server{Handler: mux}
	go srv.Serve(ln)
	fmt.Println("listening on", ln.Addr())
	if err := env.Ready(); err != nil {
		log.Fatal(err)
	}
	go env.Watchdog(ctx, nil)

	<-ctx.Done() // SIGTERM, Ctrl-C, CTRL_BREAK, a stop request, or tether gone
	fmt.Println("stopping:", context.Cause(ctx))
	shutdown, cancel := context.WithTimeout(context.Background(), 4*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		log.Fatal(err)
	}
}
