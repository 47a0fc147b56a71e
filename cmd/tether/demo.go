package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"sync/atomic"
	"time"

	"tether.dev/tether"
)

// demoSidecarCommand is the hidden command under which tether plays the
// demo's sidecar: tether demo runs its own executable with it.
const demoSidecarCommand = "__demo-sidecar"

// demoRole is what attempt n of the demo sidecar acts out: the first
// crashes, the second wedges its health endpoint, the third stays healthy;
// then round again.
func demoRole(attempt int) string {
	switch attempt % 3 {
	case 1:
		return "crash"
	case 2:
		return "wedge"
	}
	return "calm"
}

// cmdDemo is tether demo: a built-in sidecar acting out a crash, a wedge
// and a recovery, for a newcomer to watch.
func cmdDemo(ctx context.Context, ppid int, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	pc := newProcConfig()
	rest, help, err := parseFlags("demo", processOptions, args, target{pc: pc})
	if help {
		fmt.Fprint(stdout, commandHelp("demo"))
		return 0
	}
	if err != nil {
		return fail(stderr, err)
	}
	if len(rest) > 0 {
		return fail(stderr, usagef("tether demo: takes no arguments, got %q; see tether demo --help", rest[0]))
	}
	if err := checkViewFlags("demo", pc, pc); err != nil {
		return fail(stderr, err)
	}
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintf(stderr, "tether demo: cannot find tether's own executable to run as the demo sidecar: %v\n", err)
		return 1
	}
	sc, err := demoConfig(exe)
	if err == nil {
		err = sc.finish(func(k string) string { return "tether demo: " + k }, " ")
	}
	if err != nil {
		fmt.Fprintf(stderr, "tether demo: %v\n", err)
		return 1
	}
	if !pc.ui && pc.output != "json" && (pc.output == "text" || isTerminal(stdout)) {
		fmt.Fprintln(stderr, "tether demo: supervising a built-in sidecar that serves /healthz on a free port.")
		fmt.Fprintln(stderr, "Watch it get ready, crash, back off, restart, wedge (liveness fails), restart, and settle. Ctrl-C stops it cleanly.")
		fmt.Fprintln(stderr, "Tip: tether demo --ui shows the same as a live view: a table of the sidecar's state, its log, and keys to restart, stop and start it.")
	}
	s := newSession([]*sidecarConfig{sc}, pc, stdin, stdout, stderr)
	s.viewTitle = "demo: watch it get ready, crash, restart, wedge, recover"
	s.onSpawned = func(name string, ev tether.Event) {
		s.group.Write(name, []byte(demoRole(ev.Attempt)+"\n"))
	}
	return s.run(ctx, ppid)
}

// demoConfig is the demo's sidecar: short timings, so that a whole cycle
// takes about 15 seconds.
func demoConfig(exe string) (*sidecarConfig, error) {
	health, err := tether.ParseProbe("http://127.0.0.1:{port}/healthz")
	if err != nil {
		return nil, err
	}
	sc := newSidecarConfig()
	sc.name = "demo"
	sc.command = []string{exe, demoSidecarCommand, "{port}"}
	sc.spec = tether.Spec{
		Port:         tether.PortAuto,
		Ready:        health,
		ReadyTimeout: 10 * time.Second,
		Live:         health,
		LiveInterval: time.Second,
		LiveTimeout:  500 * time.Millisecond,
		LiveFailures: 3,
		Grace:        3 * time.Second,
		Backoff:      tether.Backoff{Initial: 500 * time.Millisecond, Max: 4 * time.Second},
	}
	return sc, nil
}

// demoSidecar is the demo's sidecar (args: the port), or with "worker" its
// worker child. It reads its role from the first line of stdin.
func demoSidecar(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, stopSignals()...)
	if len(args) == 1 && args[0] == "worker" {
		return demoWorker(stop, stdout)
	}
	if len(args) != 1 {
		fmt.Fprintf(stderr, "%s: want the port\n", demoSidecarCommand)
		return 2
	}
	port := args[0]
	role := readDemoRole(stdin)
	// A worker child, to show that tether stops the whole tree. On a crash
	// it is left behind, and tether stops it before it reports the exit.
	worker := startDemoWorker(stdout, stderr)
	fmt.Fprintln(stdout, "warming up (the readiness probe waits for /healthz)…")
	time.Sleep(500 * time.Millisecond)
	ln, err := net.Listen("tcp", "127.0.0.1:"+port)
	if err != nil {
		fmt.Fprintf(stderr, "listen: %v\n", err)
		return 1
	}
	var wedged atomic.Bool
	srv := demoServer(&wedged)
	// Said before serving, so the line is in the pipe before any probe
	// can succeed.
	fmt.Fprintf(stdout, "serving http://%s/healthz (role this attempt: %s)\n", ln.Addr(), role)
	go srv.Serve(ln)

	var act <-chan time.Time
	switch role {
	case "crash":
		act = time.After(4 * time.Second)
	case "wedge":
		act = time.After(3 * time.Second)
	default:
		act = time.After(300 * time.Millisecond) // once tether has said ready
	}
	for {
		select {
		case <-act:
			act = nil
			switch role {
			case "crash":
				fmt.Fprintln(stderr, "simulated crash: exiting with status 1 (tether restarts me after a backoff)")
				return 1
			case "wedge":
				wedged.Store(true)
				fmt.Fprintln(stderr, "simulated wedge: /healthz now hangs; the liveness probe will fail 3 times")
			default:
				fmt.Fprintln(stdout, "healthy, and staying so. That was the whole cycle: press Ctrl-C to stop")
			}
		case sig := <-stop:
			fmt.Fprintf(stdout, "got the stop signal (%v): shutting down cleanly\n", sig)
			shutDownDemo(srv, worker)
			return 0
		}
	}
}

// demoWorker is the demo sidecar's child: it waits for the stop signal
// that tether sends the whole tree.
func demoWorker(stop <-chan os.Signal, stdout io.Writer) int {
	fmt.Fprintf(stdout, "worker %d: started by the sidecar; tether stops it with the sidecar's whole tree\n", os.Getpid())
	<-stop
	fmt.Fprintf(stdout, "worker %d: got the stop signal, exiting\n", os.Getpid())
	return 0
}

// readDemoRole reads this attempt's role (calm, crash, wedge) from the
// first line of stdin; calm if none comes within 3 seconds.
func readDemoRole(stdin io.Reader) string {
	roleCh := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdin).ReadString('\n')
		roleCh <- strings.TrimSpace(line)
	}()
	select {
	case role := <-roleCh:
		return role
	case <-time.After(3 * time.Second):
		return "calm"
	}
}

// startDemoWorker starts the worker child, or returns nil if it cannot.
func startDemoWorker(stdout, stderr io.Writer) *exec.Cmd {
	exe, err := os.Executable()
	if err != nil {
		return nil
	}
	worker := exec.Command(exe, demoSidecarCommand, "worker")
	worker.Stdout, worker.Stderr = stdout, stderr
	if worker.Start() != nil {
		return nil
	}
	return worker
}

// demoServer answers GET /healthz with "ok", or hangs, as a deadlocked
// server does, once wedged is set.
func demoServer(wedged *atomic.Bool) *http.Server {
	return &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" {
			http.NotFound(w, r)
			return
		}
		if wedged.Load() {
			<-r.Context().Done()
			return
		}
		io.WriteString(w, "ok\n")
	})}
}

// shutDownDemo shuts srv down within a second and waits for the worker,
// which got the stop signal too.
func shutDownDemo(srv *http.Server, worker *exec.Cmd) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		srv.Close()
	}
	srv.Close()
	if worker != nil {
		worker.Wait()
	}
}
