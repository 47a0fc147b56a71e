// Package sidecar is the sidecar's side of tether: the few lines a helper
// process needs to report readiness, learn its port, stop gracefully and
// keep tether's watchdog fed, on every OS tether supports.
//
// tether tells a sidecar what it needs in the environment:
//
//	TETHER_PORT          the port of this attempt (--port)
//	TETHER_PID           the pid of the supervising tether process
//	TETHER_STOP_REQUEST  how tether asks for a stop besides signals
//	                     (--stop-request: "stdin-close" or "stdin:TEXT")
//	NOTIFY_SOCKET        where readiness and watchdog pings go (--ready notify,
//	                     --watchdog): a unix datagram socket's path, or on
//	                     Windows a named pipe \\.\pipe\tether-notify-...
//	WATCHDOG_USEC        the watchdog period in microseconds (--watchdog)
//
// A program not run by tether sees none of them, and every function here is
// then a no-op or returns the natural default: Ready does nothing, Port is
// 0, the stop context still ends on Ctrl-C and SIGTERM, Watchdog returns at
// once. The helper can be run by hand unchanged.
//
// The typical sidecar:
//
//	env, err := sidecar.FromEnv()
//	if err != nil {
//		log.Fatal(err)
//	}
//	ctx, stop := env.StopContext(context.Background())
//	defer stop()
//	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", env.Port))
//	if err != nil {
//		log.Fatal(err)
//	}
//	srv := &http.Server{Handler: mux}
//	go srv.Serve(ln)
//	env.Ready()
//	go env.Watchdog(ctx, nil)
//	<-ctx.Done()              // SIGTERM, Ctrl-C, CTRL_BREAK, a stop request, or tether gone
//	srv.Shutdown(context.Background())
package sidecar
