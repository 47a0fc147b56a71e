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
//		OnEvent: func(e tether.Event) { ... },
//	}
//	err := s.Run(ctx) // until stopped, or until the policy ends supervision
//
// Every attempt runs in a containment unit of its own (a process group on
// unix, a job object on Windows). Its standard output and error are read from
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
// Linux and macOS use process groups (Linux adds a parent-death signal on the
// child, started from a dedicated OS thread). Windows uses a job object. What
// each system guarantees when the host itself is killed is described in
// docs/containment.md; stop signals other than a kill are delivered on
// Windows as CTRL_BREAK to console children.
package tether
