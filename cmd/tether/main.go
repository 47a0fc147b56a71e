// Command tether supervises sidecar processes for desktop apps, daemons and
// scripts: it starts them, reports everything they print and everything
// that happens to them as NDJSON events on stdout, tells when they are
// ready, restarts them when they crash or wedge, takes commands on stdin,
// and stops each together with every process it started.
//
//	tether run [flags] -- COMMAND [ARG...]   supervise one sidecar
//	tether up  [-f FILE] [NAME...]           supervise the sidecars of tether.toml
//	tether demo                              watch a built-in demo sidecar live, crash and recover
//	tether version
//
// See docs/cli.md for the full reference and docs/hosts.md for how a Tauri,
// Electron or Go app runs tether as its one sidecar.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
)

// main is tether: everything happens in run.
func main() {
	// tether re-executes itself as the watcher that empties the sidecars'
	// trees should tether be killed: package tether's initialisation runs
	// that process, which never gets here.
	os.Exit(run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run is tether's whole life: it reads args, does the command, and returns
// the exit status. Events go to stdout, diagnostics to stderr. When ctx
// ends, a supervising command stops everything as on SIGTERM.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ppid := os.Getppid() // first: the parent exit-with-parent watches
	if len(args) == 0 {
		fmt.Fprint(stderr, mainHelp())
		return 2
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "run":
		return cmdRun(ctx, ppid, rest, stdin, stdout, stderr)
	case "up":
		return cmdUp(ctx, ppid, rest, stdin, stdout, stderr)
	case "demo":
		return cmdDemo(ctx, ppid, rest, stdin, stdout, stderr)
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, versionLine())
		return 0
	case "help", "-h", "--help", "-help":
		if len(rest) > 0 {
			if h := commandHelp(rest[0]); h != "" {
				fmt.Fprint(stdout, h)
				return 0
			}
			fmt.Fprintf(stderr, "tether help: unknown command %q; want run, up, demo or version\n", rest[0])
			return 2
		}
		fmt.Fprint(stdout, mainHelp())
		return 0
	case demoSidecarCommand:
		return demoSidecar(rest, stdin, stdout, stderr)
	}
	hint := ""
	if s := suggest(cmd, []string{"run", "up", "demo", "version", "help"}); s != "" {
		hint = fmt.Sprintf(" (did you mean %s?)", s)
	}
	fmt.Fprintf(stderr, "tether: unknown command %q%s; want run, up, demo or version; see tether --help\n", cmd, hint)
	return 2
}

// fail prints a usage error's one line and returns 2.
func fail(stderr io.Writer, err error) int {
	fmt.Fprintln(stderr, err)
	return 2
}

// cmdRun is tether run: one sidecar, from flags.
func cmdRun(ctx context.Context, ppid int, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	sc, pc, help, err := runConfig(args)
	if help {
		fmt.Fprint(stdout, commandHelp("run"))
		return 0
	}
	if err == nil {
		err = checkViewFlags("run", pc, pc)
	}
	if err != nil {
		return fail(stderr, err)
	}
	if w := portWarning(sc, "--port auto"); w != "" {
		fmt.Fprintln(stderr, w)
	}
	s := newSession([]*sidecarConfig{sc}, pc, stdin, stdout, stderr)
	if err := s.openLogs(func(*sidecarConfig) string { return "tether run: --log-file" }); err != nil {
		return fail(stderr, err)
	}
	return s.run(ctx, ppid)
}

// upOptions are the flags of up: the file, and the settings of tether
// itself, which override the file's.
func upOptions(file *string) []option {
	return append([]option{{flag: "file", short: "f", arg: "FILE", def: "./tether.toml", help: "the config file",
		set: func(_ target, v any) error {
			s, _ := v.(string)
			if s == "" {
				return allowErr("want a file name")
			}
			*file = s
			return nil
		}}}, processOptions...)
}

// cmdUp is tether up: the sidecars of a config file, with the process
// flags overriding the file.
func cmdUp(ctx context.Context, ppid int, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	file := "tether.toml"
	flagProc := newProcConfig()
	names, help, err := parseFlags("up", upOptions(&file), args, target{pc: flagProc})
	if help {
		fmt.Fprint(stdout, commandHelp("up"))
		return 0
	}
	if err != nil {
		return fail(stderr, err)
	}
	for _, n := range names {
		if strings.HasPrefix(n, "-") {
			return fail(stderr, usagef("tether up: flags go before the sidecar names: %s; see tether up --help", n))
		}
	}
	fc, err := loadConfig(file)
	if err != nil {
		return fail(stderr, err)
	}
	sidecars, err := fc.selectSidecars(names)
	if err != nil {
		return fail(stderr, err)
	}
	pc := fc.proc
	for key := range flagProc.where { // flags win over the file
		switch key {
		case "lifeline":
			pc.lifeline = flagProc.lifeline
		case "exit_with_parent":
			pc.exitWithParent = flagProc.exitWithParent
		case "output":
			pc.output = flagProc.output
		}
	}
	for _, sc := range sidecars {
		if w := portWarning(sc, fmt.Sprintf("sidecar.%s.port = \"auto\"", sc.name)); w != "" {
			fmt.Fprintln(stderr, w)
		}
	}
	pc.ui = flagProc.ui // a flag only
	if err := checkViewFlags("up", flagProc, pc); err != nil {
		return fail(stderr, err)
	}
	s := newSession(sidecars, pc, stdin, stdout, stderr)
	if err := s.openLogs(func(sc *sidecarConfig) string {
		return fmt.Sprintf("tether up: sidecar.%s.log_file", quoteKey(sc.name))
	}); err != nil {
		return fail(stderr, err)
	}
	return s.run(ctx, ppid)
}

// versionLine says which tether this is.
func versionLine() string {
	v := "(devel)"
	rev := ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" {
			v = bi.Main.Version
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				rev = " " + s.Value[:12]
			}
		}
	}
	return fmt.Sprintf("tether %s%s %s %s/%s", v, rev, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

// mainHelp is the help of tether itself.
func mainHelp() string {
	return `tether keeps sidecar processes honest: it starts them, reports what they print
and what happens to them as NDJSON events on stdout, tells when they are ready,
restarts them when they crash or wedge, and stops each with every process it
started.

Usage:
  tether run [flags] -- COMMAND [ARG...]   supervise one sidecar
  tether up  [-f FILE] [NAME...]           supervise the sidecars of a config file (./tether.toml)
  tether demo                              watch a built-in sidecar get ready, crash, wedge and recover
  tether version                           print the version
  tether help COMMAND                      the flags of a command

Try it (each runs as printed; Ctrl-C stops it):
  tether demo
  tether run --port auto --ready 'http://127.0.0.1:{port}/' -- python3 -m http.server {port} --bind 127.0.0.1
  tether run --output text --restart on-failure -- sh -c 'echo hello; sleep 1; exit 3'

On a terminal, add --ui to run, up or demo for a live view: a table of the
sidecars, the log of the selected one, keys to restart, stop and start them.

A host program spawns tether, reads one JSON event per line on stdout, and may
write commands on stdin ({"cmd":"restart"}). With --lifeline stdin, closing
tether's stdin stops everything: even a host that is force-quit leaves nothing.
Reference: docs/cli.md. For app authors: docs/hosts.md.
`
}

// commandHelp returns the help of one command, or "".
func commandHelp(cmd string) string {
	parts, ok := helpPages[cmd]
	if !ok {
		return ""
	}
	var b strings.Builder
	for _, part := range parts {
		b.WriteString(part.text)
		if part.flags != nil {
			writeFlagHelp(&b, part.flags())
		}
	}
	return b.String()
}

// helpPart is one piece of a command's help page: text as written, then,
// when flags is not nil, the flags of the options it returns.
type helpPart struct {
	text  string
	flags func() []option
}

// helpPages are the help pages of the commands, by command.
var helpPages = map[string][]helpPart{
	"run": {
		{text: runHelp, flags: func() []option { return sidecarOptions }}, // keys of tether.toml only have no flag and are left out
		{text: "\nFlags of tether itself:\n", flags: func() []option { return processOptions }},
		{text: probesHelp + exitHelp + runExamplesHelp},
	},
	"up": {
		{text: upHelp, flags: func() []option { var file string; return upOptions(&file) }},
		{text: upConfigHelp},
	},
	"demo":    {{text: demoHelp, flags: func() []option { return processOptions }}},
	"version": {{text: "Usage: tether version\n\nPrint tether's version, Go version and platform.\n"}},
}

// writeFlagHelp writes one entry per option that has a flag: its names and
// argument, then its help and default.
func writeFlagHelp(b *strings.Builder, opts []option) {
	for _, o := range opts {
		if o.flag == "" {
			continue
		}
		name := "--" + o.flag
		if o.short != "" {
			name = "-" + o.short + ", " + name
		}
		if o.arg != "" {
			name += " " + o.arg
		}
		def := ""
		if o.def != "" {
			def = " (default " + o.def + ")"
		}
		fmt.Fprintf(b, "  %s\n      %s%s\n", name, o.help, def)
	}
}

const runHelp = `Usage: tether run [flags] -- COMMAND [ARG...]

Supervise one sidecar: COMMAND with its arguments, run directly (no shell).
Each flag is also the key of the same name in a [sidecar.NAME] table of
tether.toml (--ready-timeout is ready_timeout). Durations are Go durations:
250ms, 5s, 1m30s. Events go to stdout as NDJSON, one per line; diagnostics to
stderr.

Flags of the sidecar:
`

const runExamplesHelp = `
Examples (each runs as printed; Ctrl-C stops it):
  tether run --name web --port auto --ready 'http://127.0.0.1:{port}/' \
      --live 'http://127.0.0.1:{port}/' -- python3 -m http.server {port} --bind 127.0.0.1
  tether run --lifeline stdin --restart on-failure --max-restarts 5 -- sh -c 'echo working; sleep 2; exit 1'
  tether run --output text --port auto -- sh -c 'echo "my port is $TETHER_PORT"; exec sleep 60'

With --bundled, COMMAND is a plain name such as api, found beside the tether
executable as api-<target-triple> or api (the layout of Tauri's externalBin).
`

const upHelp = `Usage: tether up [-f FILE] [NAME...]

Supervise the sidecars of a config file (default ./tether.toml), or only the
NAMEs given and what they depend on. A sidecar starts once every sidecar in its
depends_on is ready; on a stop, each sidecar is stopped after the sidecars that
depend on it, independent ones in parallel. tether up ends when every sidecar
has ended; it exits 0 after an orderly stop, else with the status of the first
sidecar that ended with a non-zero one.

Flags (they win over the file's top-level keys):
`

const upConfigHelp = `
tether.toml:
  lifeline = "stdin"                   # settings of tether itself, at the top
  [sidecar.db]
  command = ["postgres", "-D", "data"] # an argv list; no shell
  ready = "tcp://127.0.0.1:5432"
  [sidecar.api]
  command = ["./api", "--port", "{port}"]
  port = "auto"
  env = { LOG_LEVEL = "info" }
  ready = "http://127.0.0.1:{port}/health"
  depends_on = ["db"]
  grace = "10s"

Every flag of tether run is a key of [sidecar.NAME] (tether help run); dir is
relative to the file, and defaults to the file's directory. An unknown key,
a bad value, an unknown depends_on name or a dependency cycle is an error:
exit status 2, nothing started.
`

const demoHelp = `Usage: tether demo [--output json|text]

Supervise a built-in demo sidecar (tether itself, in a hidden mode) that serves
HTTP health checks on an automatic port. In about 20 seconds you see it become
ready, crash, back off and restart, wedge so that its liveness probe fails, get
restarted again, and then stay healthy. Press Ctrl-C to stop it: tether stops
the sidecar and its worker process and leaves nothing behind. No files, no
setup. With --output json you see the events a host program reads; with --ui,
a live view: the sidecar's state, pid, port, attempt and readiness in a table,
its log below, and keys to restart (r), stop (x), start (s) it and quit (q).

Flags:
`

const probesHelp = `
Probes (--ready, --live; {port} is replaced):
  http://HOST:PORT/PATH   a GET answers 2xx or 3xx (also https://)
  tcp://HOST:PORT         a TCP connect succeeds
  exec:COMMAND ARGS       the command exits 0 (no shell; words split like a shell)
  log:REGEX               readiness only: a line of output matches
  notify                  readiness only: READY=1 on $NOTIFY_SOCKET (sd_notify)
`

const exitHelp = `
Stdin commands (one JSON object per line; "name" may be left out with run):
  {"cmd":"restart"}  {"cmd":"stop"}  {"cmd":"start"}
  {"cmd":"signal","signal":"HUP"}  {"cmd":"write","data":"text"}

Stopping: SIGTERM, SIGINT or SIGHUP (a second SIGINT kills at once), a stop
command, stdin's end with --lifeline stdin, or the parent's death.

Exit status: 0 after an orderly stop; the sidecar's status when the restart
policy ends supervision (128+N for signal N); after gave_up the last attempt's
status, 127 if the command was not found, 126 if it cannot be executed;
2 for a usage or config error (nothing is started).
`
