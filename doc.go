// Package tether keeps sidecar processes honest: it spawns a helper process,
// reads everything it prints, tells when it is ready, restarts it when it
// crashes or wedges, and stops it together with every process it started.
//
// Describe the sidecar with a [Spec], give it to a [Supervisor], and call
// [Supervisor.Run]:
//
//	s := &tether.Supervisor{
//		Spec: tether.Spec{
//			Command: "python3",
//			Args:    []string{"-u", "server.py", "--port", "{port}"},
//			Port:    tether.PortAuto,
//			Ready:   tether.HTTPProbe("http://127.0.0.1:{port}/health"),
//		},
//		OnEvent: func(e tether.Event) { log.Println(e.Kind, e.Err) },
//	}
//	err := s.Run(ctx) // until stopped, or until the policy ends supervision
//
// The README's "From Go" program (examples/gohost) is the whole of it. Several
// sidecars that depend on each other, with {NAME.port} wiring, run in a
// [Group]; [Supervisor.Status] and [Group.Status] say where each one stands.
//
// Every attempt runs in a containment unit of its own (on Linux a cgroup,
// else the subreaper walk, else a process group; a process group on macOS; a
// job object on Windows). Its standard output and error are read from
// the first instant, split into lines and delivered as [Event] values, byte
// for byte; nothing is dropped, and a slow consumer slows the sidecar down as
// a pipe would. A crash is followed by a restart after an exponential backoff
// (250 ms, ×2, capped at 30 s, ±10 % jitter) that resets only after a healthy
// run. [Supervisor.Stop] sends the stop signal to the whole tree, waits for
// the grace period, then kills the whole tree.
//
// # Compared with supervisord and systemd
//
// supervisord signals only the direct child and keeps no readiness;
// systemd does whole-cgroup stops but is a system service manager, not a
// library a desktop app can embed. tether is meant to live inside the host (a
// Go program, or any program through the tether command): it owns the
// sidecar's whole process tree, reports readiness within milliseconds, and
// takes the tree down with the host.
//
// # Operating systems
//
// Linux uses a cgroup v2 per attempt where one is writable, else the
// subreaper walk, else the process group, and adds a parent-death signal on
// the child, started from a small shared set of locked OS threads. macOS uses
// process groups; Windows a job object. A host killed with SIGKILL leaves
// nothing behind: any Go program that imports tether re-executes itself as a
// small watcher process on first need, with nothing to call. What each system
// guarantees is described in docs/containment.md; a graceful stop on Windows
// is CTRL_BREAK to console children, or Spec.StopRequest without a signal.
package tether
