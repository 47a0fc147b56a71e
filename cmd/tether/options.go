package main

import (
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"

	"tether.dev/tether"
	"tether.dev/tether/internal/signame"
)

// sidecarConfig is one sidecar as the flags of run or a [sidecar.NAME] table
// describe it.
type sidecarConfig struct {
	name      string
	command   []string // program and arguments; never run through a shell
	bundled   bool     // command[0] is a sidecar bundled beside tether
	dependsOn []string
	spec      tether.Spec    // every other setting, as the library takes it
	log       logConfig      // log file and output events (not the library's)
	given     map[string]any // the value of each setting given, as the user wrote it, by key
}

// procConfig holds the settings of tether itself, shared by its sidecars.
type procConfig struct {
	lifeline       string // "none" or "stdin"
	exitWithParent bool
	output         string // "json", "text", or "" for: text on a terminal, else json
	ui             bool   // the live terminal view instead of the event stream (--ui)
	where          map[string]string
}

// newProcConfig returns the defaults of tether itself.
func newProcConfig() *procConfig {
	return &procConfig{lifeline: "none", exitWithParent: true, where: make(map[string]string)}
}

// target is what an option sets: a sidecar, or tether itself.
type target struct {
	sc *sidecarConfig
	pc *procConfig
}

// An option is one flag of run (or up, or demo) and the tether.toml key of
// the same name.
//
// To add a setting, add one entry to sidecarOptions (a setting of one
// sidecar: a flag of run and a key of [sidecar.NAME]) or processOptions (a
// setting of tether itself: a flag of run, up and demo, and a key at the
// top of tether.toml). Nothing else reads a list of settings: help, run's
// flag parser, the tether.toml decoder and every error message come from
// the entry. The rules:
//
//   - Build it with a helper where one fits (durationOption, probeOption,
//     countOption, ...); a literal option{} needs flag and/or key, arg,
//     help and set.
//   - def shows the default: take it from the library's Default* constant
//     (showDuration(tether.DefaultGrace), strconv.Itoa(...)), never a
//     figure typed by hand. TestOptionDefaults ties each one to the
//     library.
//   - set only converts: a string from the command line, or a TOML value
//     (string, int64, float64, bool, []any, map[string]any) from the file,
//     into the field's type. The range is Spec.Validate's to check; set
//     field to the Spec field Validate names (a *tether.FieldError's
//     Field), so that its refusal names the flag or key, and allow to say
//     in the command line's words what is allowed. set refuses only what
//     has no meaning on the command line (not a duration; a zero that the
//     library would read as "the default"), returning errNotAllowed.
//   - Show the key in tether.example.toml (TestExampleConfig) and describe
//     the flag in docs/cli.md.
type option struct {
	flag  string // long flag without dashes; "" for a key of tether.toml only
	short string // one-letter flag, if any
	key   string // tether.toml key; "" for a flag only
	arg   string // what the value looks like in help; "" for a switch
	def   string // the default, as help shows it
	help  string
	allow string // what is allowed, for errNotAllowed and Spec.Validate's refusals
	field string // the tether.Spec field Spec.Validate names for this setting
	proc  bool   // a setting of tether itself rather than of one sidecar
	multi bool   // the flag may be repeated
	set   func(t target, v any) error
}

// errNotAllowed is returned by an option's set for a value it cannot take;
// the message says what the option's allow says.
var errNotAllowed = errors.New("value not allowed")

// refusal returns the text of an error that set returned.
func (o *option) refusal(err error) string {
	if errors.Is(err, errNotAllowed) {
		return o.allow
	}
	return err.Error()
}

// allowErr says what values an option allows.
type allowErr string

// Error implements error.
func (e allowErr) Error() string { return string(e) }

const (
	allowDur    = "want a Go duration such as 250ms, 5s or 1m30s"
	allowPosDur = "want a positive Go duration such as 250ms, 5s or 1m30s"
)

// showDuration writes a default duration as a person would: 250ms, 5s, 60s.
func showDuration(d time.Duration) string {
	switch {
	case d%time.Second == 0:
		return strconv.FormatInt(int64(d/time.Second), 10) + "s"
	case d%time.Millisecond == 0:
		return strconv.FormatInt(int64(d/time.Millisecond), 10) + "ms"
	}
	return d.String()
}

// durationOption is a duration setting of a sidecar, where zero is not
// allowed (the library would read it as the default).
func durationOption(flag string, def time.Duration, field, help string, fieldOf func(*tether.Spec) *time.Duration) option {
	return option{flag: flag, key: keyOf(flag), arg: "DUR", def: showDuration(def), help: help,
		allow: allowPosDur, field: field,
		set: func(t target, v any) error {
			d, err := durationValue(v)
			if err == nil && d == 0 {
				err = errNotAllowed
			}
			*fieldOf(&t.sc.spec) = d
			return err
		}}
}

// probeOption is a probe setting of a sidecar.
func probeOption(flag, field, help string, fieldOf func(*tether.Spec) *tether.Probe) option {
	return option{flag: flag, key: keyOf(flag), arg: "PROBE", def: "none", help: help, field: field,
		set: func(t target, v any) error {
			s, err := stringValue(v)
			if err != nil {
				return err
			}
			p, err := tether.ParseProbe(s)
			if err != nil {
				// ParseProbe's message names the probe and what is
				// allowed; the caller names the probe already.
				msg := strings.TrimPrefix(err.Error(), "tether: ")
				msg = strings.TrimPrefix(msg, fmt.Sprintf("probe %q: ", s))
				return allowErr(msg)
			}
			*fieldOf(&t.sc.spec) = p
			return nil
		}}
}

// countOption is a whole-number setting of a sidecar. zeroAllowed says
// whether 0 means on the command line what it means in the library.
func countOption(flag, def, field, help string, min int, fieldOf func(*tether.Spec) *int) option {
	return option{flag: flag, key: keyOf(flag), arg: "N", def: def, help: help,
		allow: fmt.Sprintf("want a whole number of at least %d", min), field: field,
		set: func(t target, v any) error {
			n, err := intValue(v)
			if err == nil && n < min && n >= 0 {
				err = errNotAllowed // 0 would mean the library's default
			}
			*fieldOf(&t.sc.spec) = n
			return err
		}}
}

// choiceOption is a setting of tether itself that takes one of a few words.
func choiceOption(flag, arg, def, help string, fieldOf func(*procConfig) *string) option {
	words := strings.Split(arg, "|")
	return option{flag: flag, key: keyOf(flag), arg: arg, def: def, help: help, proc: true,
		allow: "want " + strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1],
		set: func(t target, v any) error {
			s, err := stringValue(v)
			if err != nil || !slices.Contains(words, s) {
				return errNotAllowed
			}
			*fieldOf(t.pc) = s
			return nil
		}}
}

// sidecarOptions are the settings of one sidecar: run's flags, and the keys
// of a [sidecar.NAME] table. See option for how to add one.
var sidecarOptions = []option{
	{flag: "name", arg: "NAME", def: "base name of COMMAND", help: "the name in every event",
		allow: "want a non-empty name without spaces or control characters",
		set: func(t target, v any) error {
			s, err := stringValue(v)
			if err == nil && checkName(s) != nil {
				err = errNotAllowed
			}
			t.sc.name = s
			return err
		}},
	{key: "command", arg: "[ARGV]", help: `the program and its arguments, an argv list: ["prog", "arg"] (run takes it after --)`,
		allow: `want a non-empty argv list such as ["prog", "--flag", "value"]; tether runs no shell`, field: "Command",
		set: func(t target, v any) error {
			argv, err := stringList(v)
			if err != nil || len(argv) == 0 || argv[0] == "" {
				return errNotAllowed
			}
			t.sc.command = argv
			return nil
		}},
	{flag: "bundled", key: "bundled", def: "false",
		help: "run COMMAND as a sidecar bundled beside the tether executable (NAME-<target-triple>[.exe], as Tauri's externalBin names it, or NAME)",
		set: func(t target, v any) error {
			b, err := boolValue(v)
			t.sc.bundled = b
			return err
		}},
	{flag: "dir", key: "dir", arg: "DIR", def: "inherit", help: "working directory (in tether.toml relative to the file, and by default the file's directory)",
		allow: "want a directory", field: "Dir",
		set: func(t target, v any) error {
			s, err := stringValue(v)
			if err == nil && s == "" {
				err = errNotAllowed
			}
			t.sc.spec.Dir = s
			return err
		}},
	{flag: "env", key: "env", arg: "K=V", def: "inherit", multi: true, field: "Env",
		help: "extra environment; repeatable (in tether.toml a table: env = { LOG_LEVEL = \"info\" })",
		set: func(t target, v any) error {
			kvs, err := envValue(v)
			t.sc.spec.Env = append(t.sc.spec.Env, kvs...)
			return err
		}},
	{key: "depends_on", arg: "[NAMES]", help: "sidecars that must be ready before this one starts, and that stop after it (tether.toml only)",
		allow: `want a list of sidecar names such as ["db"]`,
		set: func(t target, v any) error {
			names, err := stringList(v)
			if err != nil {
				return errNotAllowed
			}
			t.sc.dependsOn = names
			return nil
		}},
	{flag: "port", key: "port", arg: "auto|N", def: "none", field: "Port", allow: "want auto, or a port number from 1 to 65535",
		help: "auto: a free loopback TCP port for each attempt; N: a fixed port. {port} in arguments, env values and probes becomes it",
		set: func(t target, v any) error {
			p, err := portValue(v)
			t.sc.spec.Port = p
			return err
		}},
	probeOption("ready", "Ready", "readiness probe (see Probes); without one, ready once spawned", func(s *tether.Spec) *tether.Probe { return &s.Ready }),
	durationOption("ready-timeout", tether.DefaultReadyTimeout, "ReadyTimeout", "not ready by then: the attempt failed, its tree is stopped, the restart policy applies",
		func(s *tether.Spec) *time.Duration { return &s.ReadyTimeout }),
	{flag: "ready-interval", key: "ready_interval", arg: "DUR", def: "none", field: "ReadyInterval", allow: allowPosDur,
		help: "the least time between tries of an HTTP, TCP or exec readiness probe, for servers that log every request (none: the fast schedule, 1ms to 4ms)",
		set: func(t target, v any) error {
			d, err := durationValue(v)
			if err == nil && d == 0 {
				err = errNotAllowed
			}
			t.sc.spec.ReadyInterval = d
			return err
		}},
	probeOption("live", "Live", "liveness probe, polled only after ready", func(s *tether.Spec) *tether.Probe { return &s.Live }),
	durationOption("live-interval", tether.DefaultLiveInterval, "LiveInterval", "time between liveness checks",
		func(s *tether.Spec) *time.Duration { return &s.LiveInterval }),
	durationOption("live-timeout", tether.DefaultLiveTimeout, "LiveTimeout", "time one liveness check may take",
		func(s *tether.Spec) *time.Duration { return &s.LiveTimeout }),
	countOption("live-failures", strconv.Itoa(tether.DefaultLiveFailures), "LiveFailures",
		"N failed liveness checks in a row: unhealthy, the tree is stopped and restarted", 1,
		func(s *tether.Spec) *int { return &s.LiveFailures }),
	{flag: "restart", key: "restart", arg: "always|on-failure|never", def: tether.RestartAlways.String(), field: "Restart",
		allow: "want always, on-failure or never", help: "when to restart after an exit nobody asked for",
		set: func(t target, v any) error {
			s, err := stringValue(v)
			if err != nil {
				return err
			}
			var p tether.RestartPolicy
			if p.UnmarshalText([]byte(s)) != nil {
				return errNotAllowed
			}
			t.sc.spec.Restart = p
			return nil
		}},
	durationOption("backoff-initial", tether.DefaultBackoffInit, "Backoff.Initial", "delay before the first restart",
		func(s *tether.Spec) *time.Duration { return &s.Backoff.Initial }),
	durationOption("backoff-max", tether.DefaultBackoffMax, "Backoff.Max", "the longest delay",
		func(s *tether.Spec) *time.Duration { return &s.Backoff.Max }),
	{flag: "backoff-factor", key: "backoff_factor", arg: "F", def: strconv.FormatFloat(tether.DefaultBackoffFactor, 'g', -1, 64),
		field: "Backoff.Factor", allow: "want a number from 1 to 1000000",
		help: "the delay is multiplied by F after each failed attempt (1: constant)",
		set: func(t target, v any) error {
			f, err := floatValue(v)
			if err == nil && f == 0 {
				err = errNotAllowed // the library's "the default"
			}
			t.sc.spec.Backoff.Factor = f
			return err
		}},
	{flag: "backoff-jitter", key: "backoff_jitter", arg: "F", def: strconv.FormatFloat(tether.DefaultBackoffJitter, 'g', -1, 64),
		field: "Backoff.Jitter", allow: "want a fraction from 0 to 1",
		help: "each delay moves by up to ± this fraction of itself (0: none)",
		set: func(t target, v any) error {
			f, err := floatValue(v)
			switch {
			case err != nil:
			case f < 0:
				err = errNotAllowed // the library's "none"; 0 says that here
			case f == 0:
				f = -1 // the library's "none"
			}
			t.sc.spec.Backoff.Jitter = f
			return err
		}},
	durationOption("healthy-after", tether.DefaultHealthyAfter, "HealthyAfter", "an attempt ready this long resets the delay to backoff-initial",
		func(s *tether.Spec) *time.Duration { return &s.HealthyAfter }),
	countOption("max-restarts", "0 (unlimited)", "MaxRestarts", "more than N restarts within restart-window: gave_up, supervision ends", 0,
		func(s *tether.Spec) *int { return &s.MaxRestarts }),
	durationOption("restart-window", tether.DefaultRestartWindow, "RestartWindow", "the sliding window max-restarts counts in",
		func(s *tether.Spec) *time.Duration { return &s.RestartWindow }),
	{flag: "stop-signal", key: "stop_signal", arg: "SIG", def: "TERM", field: "StopSignal",
		allow: "want a signal name such as TERM, INT, HUP, KILL, or a number", help: "signal sent to the whole tree to stop it",
		set: func(t target, v any) error {
			s, err := stringValue(v)
			if err != nil {
				return err
			}
			sig, err := signame.Parse(s)
			if err != nil {
				return errNotAllowed
			}
			t.sc.spec.StopSignal = sig
			return nil
		}},
	{flag: "containment", key: "containment", arg: "auto|cgroup|subreaper|group", def: tether.ContainmentAuto.String(),
		field: "Containment", allow: "want auto, cgroup, subreaper or group",
		help: "how the sidecar's process tree is held together: auto picks the strongest the system offers (docs/containment.md)",
		set: func(t target, v any) error {
			s, err := stringValue(v)
			if err != nil {
				return err
			}
			var c tether.Containment
			if c.UnmarshalText([]byte(s)) != nil {
				return errNotAllowed
			}
			t.sc.spec.Containment = c
			return nil
		}},
	{flag: "stop-request", key: "stop_request", arg: "ACTION", def: "none", field: "StopRequest",
		help: "ask the sidecar to stop before any signal: stdin-close, stdin:TEXT (a line to its stdin), http://HOST:PORT/PATH (a POST; also https) or exec:COMMAND ARGS; then grace, then the stop signal, then the kill 1s later",
		set: func(t target, v any) error {
			s, err := stringValue(v)
			t.sc.spec.StopRequest = s
			return err
		}},
	{flag: "watchdog", key: "watchdog", arg: "DUR", def: "none", field: "Watchdog",
		allow: "want a duration of at least 1ms, such as 500ms or 10s",
		help:  "with --ready notify: once ready, the sidecar must send WATCHDOG=1 at least this often (it gets $WATCHDOG_USEC), or it is unhealthy and restarted",
		set: func(t target, v any) error {
			d, err := durationValue(v)
			if err == nil && d <= 0 {
				err = errNotAllowed
			}
			t.sc.spec.Watchdog = d
			return err
		}},
	{flag: "memory-max", key: "memory_max", arg: "SIZE", def: "none", field: "MemoryMax",
		allow: "want a positive size: bytes, or a whole number with KiB, MiB or GiB (64MiB, 2GiB)",
		help:  "bound the memory of the sidecar's whole tree; past it the tree is killed (exited has oom: true) and the restart policy applies",
		set: func(t target, v any) error {
			n, err := sizeValue(v, 1)
			if err != nil {
				err = errNotAllowed
			}
			t.sc.spec.MemoryMax = n
			return err
		}},
	{flag: "cpu-max", key: "cpu_max", arg: "PERCENT", def: "none", field: "CPUMax",
		allow: "want a positive whole number of percent of one CPU (150 is one and a half)",
		help:  "bound the CPU time of the sidecar's whole tree, in percent of one CPU",
		set: func(t target, v any) error {
			n, err := positiveIntValue(v)
			t.sc.spec.CPUMax = n
			return err
		}},
	{flag: "pids-max", key: "pids_max", arg: "N", def: "none", field: "PidsMax",
		allow: "want a positive whole number",
		help:  "bound how many processes the sidecar's whole tree may have at once (on Linux threads count too)",
		set: func(t target, v any) error {
			n, err := positiveIntValue(v)
			t.sc.spec.PidsMax = n
			return err
		}},
	{flag: "grace", key: "grace", arg: "DUR", def: showDuration(tether.DefaultGrace), field: "Grace", allow: allowDur,
		help: "after the stop signal (or the stop request), wait this long, then kill the whole tree (0: kill at once)",
		set: func(t target, v any) error {
			d, err := durationValue(v)
			if err == nil && d == 0 {
				d = -1 // the library's "kill at once"
			}
			t.sc.spec.Grace = d
			return err
		}},
	{flag: "log-file", key: "log_file", arg: "PATH", def: "none", allow: "want a file name",
		help: "append the sidecar's stdout and stderr, byte for byte, to PATH, rotated by size (relative to --dir, or to tether.toml's directory)",
		set: func(t target, v any) error {
			s, err := stringValue(v)
			if err == nil && (s == "" || strings.ContainsRune(s, 0)) {
				err = errNotAllowed
			}
			t.sc.log.path = s
			return err
		}},
	{flag: "log-max-size", key: "log_max_size", arg: "SIZE", def: "10MiB", allow: allowLogSize,
		help: "rotate the log file before it would pass SIZE (KiB, MiB, GiB)",
		set: func(t target, v any) error {
			n, err := sizeValue(v, 1<<10)
			t.sc.log.maxSize = n
			return err
		}},
	{flag: "log-max-files", key: "log_max_files", arg: "N", def: "3", allow: "want a whole number from 1 to 100",
		help: "keep at most N log files in all: PATH, PATH.1 … PATH.(N-1)",
		set: func(t target, v any) error {
			n, err := intValue(v)
			if err != nil || n < 1 || n > 100 {
				err = errNotAllowed
			}
			t.sc.log.maxFiles = n
			return err
		}},
	{flag: "output-events", key: "output_events", def: "true", allow: allowBool,
		help: "stdout and stderr events; --output-events=false leaves them out (the log file and the crash tail keep the output)",
		set: func(t target, v any) error {
			b, err := boolValue(v)
			t.sc.log.noOutput = !b
			return err
		}},
}

// processOptions are the settings of tether itself: flags of run, up and
// demo, and keys at the top of tether.toml. See option for how to add one.
var processOptions = []option{
	choiceOption("lifeline", "stdin|none", "none",
		"stdin: end of standard input means the host is gone: stop everything and exit 0",
		func(pc *procConfig) *string { return &pc.lifeline }),
	{flag: "exit-with-parent", key: "exit_with_parent", def: "true", proc: true, allow: allowBool,
		help: "when tether's parent process dies (even by SIGKILL), stop everything and exit; --exit-with-parent=false to turn off",
		set: func(t target, v any) error {
			b, err := boolValue(v)
			t.pc.exitWithParent = b
			return err
		}},
	choiceOption("output", "json|text", "json unless stdout is a terminal",
		"events as NDJSON for programs, or as coloured lines for people (NO_COLOR turns colour off)",
		func(pc *procConfig) *string { return &pc.output }),
	{flag: "ui", def: "off", proc: true, allow: allowBool,
		help: "a live view for a terminal instead of the event stream: a table of the sidecars, the log of the selected one, keys to restart, stop, start and quit",
		set: func(t target, v any) error {
			b, err := boolValue(v)
			t.pc.ui = b
			return err
		}},
}

// findOption returns the option with the given tether.toml key, or nil.
func findOption(opts []option, key string) *option {
	for i := range opts {
		if opts[i].key == key {
			return &opts[i]
		}
	}
	return nil
}

// keyOf turns a flag name into its tether.toml key: ready-timeout → ready_timeout.
func keyOf(flag string) string { return strings.ReplaceAll(flag, "-", "_") }

// Values. From the command line every value is a string; from tether.toml it
// has its TOML type. These functions convert; ranges are Spec.Validate's.

const (
	allowSignal = "want a signal name such as TERM, INT, HUP, KILL, or a number"
	allowBool   = "want true or false"
)

// stringValue reads a string.
func stringValue(v any) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", allowErr("want a string (in quotes)")
	}
	return s, nil
}

// durationValue reads a Go duration, in a string. A negative one is
// refused: no setting takes one on the command line.
func durationValue(v any) (time.Duration, error) {
	s, ok := v.(string)
	if !ok {
		return 0, allowErr(allowDur + `, in quotes`)
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, allowErr(allowDur)
	}
	if d < 0 {
		return 0, errNotAllowed
	}
	return d, nil
}

// intValue reads a whole number.
// positiveIntValue is intValue for values that must be above 0.
func positiveIntValue(v any) (int, error) {
	n, err := intValue(v)
	if err == nil && n <= 0 {
		err = errNotAllowed
	}
	return n, err
}

func intValue(v any) (int, error) {
	var n int64
	switch x := v.(type) {
	case int64:
		n = x
	case string:
		var err error
		if n, err = strconv.ParseInt(x, 10, 32); err != nil {
			return 0, errNotAllowed
		}
	default:
		return 0, errNotAllowed
	}
	if n < math.MinInt32 || n > math.MaxInt32 {
		return 0, errNotAllowed
	}
	return int(n), nil
}

// floatValue reads a finite number.
func floatValue(v any) (float64, error) {
	switch x := v.(type) {
	case int64:
		return float64(x), nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return 0, errNotAllowed
		}
		return x, nil
	case string:
		f, err := strconv.ParseFloat(x, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return 0, errNotAllowed
		}
		return f, nil
	}
	return 0, errNotAllowed
}

// boolValue reads true or false.
func boolValue(v any) (bool, error) {
	switch x := v.(type) {
	case bool:
		return x, nil
	case string:
		switch x {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
	}
	return false, allowErr(allowBool)
}

// portValue reads "auto" (tether.PortAuto), "none" (0) or a port number.
// A number below 1 is refused: 0 and -1 are the library's "none" and
// "auto", which are written as words here.
func portValue(v any) (int, error) {
	var n int64
	switch x := v.(type) {
	case string:
		switch x {
		case "auto":
			return tether.PortAuto, nil
		case "none":
			return 0, nil
		}
		var err error
		if n, err = strconv.ParseInt(x, 10, 32); err != nil {
			return 0, errNotAllowed
		}
	case int64:
		n = x
	default:
		return 0, errNotAllowed
	}
	if n < 1 || n > math.MaxInt32 {
		return 0, errNotAllowed
	}
	return int(n), nil
}

// stringList reads a TOML list of strings.
func stringList(v any) ([]string, error) {
	list, ok := v.([]any)
	if !ok {
		return nil, allowErr("want a list of strings")
	}
	out := make([]string, 0, len(list))
	for _, e := range list {
		s, ok := e.(string)
		if !ok || strings.ContainsRune(s, 0) {
			return nil, allowErr("want a list of strings")
		}
		out = append(out, s)
	}
	return out, nil
}

// envValue reads K=V (a flag) or a table (tether.toml), whose values may be
// strings, numbers or booleans. Table keys are sorted, so that the result
// does not depend on map order.
func envValue(v any) ([]string, error) {
	check := func(k, val string) error {
		if k == "" || strings.ContainsAny(k, "=\x00") || strings.ContainsRune(val, 0) {
			return allowErr("want KEY=VALUE with a non-empty KEY without = and no NUL")
		}
		return nil
	}
	switch x := v.(type) {
	case string:
		k, val, ok := strings.Cut(x, "=")
		if !ok {
			return nil, allowErr("want KEY=VALUE")
		}
		if err := check(k, val); err != nil {
			return nil, err
		}
		return []string{x}, nil
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		out := make([]string, 0, len(keys))
		for _, k := range keys {
			var val string
			switch e := x[k].(type) {
			case string:
				val = e
			case int64, float64, bool:
				val = fmt.Sprint(e)
			default:
				return nil, allowErr(fmt.Sprintf("want a table of strings; %s is not a string", k))
			}
			if err := check(k, val); err != nil {
				return nil, err
			}
			out = append(out, k+"="+val)
		}
		return out, nil
	}
	return nil, allowErr(`want a table such as { LOG_LEVEL = "info" }`)
}

// checkName accepts a sidecar name: not empty, no spaces or control
// characters.
func checkName(s string) error {
	if s == "" || strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		return allowErr("want a non-empty name without spaces or control characters")
	}
	return nil
}

// baseName is the default name of a sidecar: the last element of the
// program's path, without a Windows ".exe", as the library names it.
func baseName(p string) string {
	if i := strings.LastIndexAny(p, `/\`); i >= 0 {
		p = p[i+1:]
	}
	if len(p) > 4 && strings.EqualFold(p[len(p)-4:], ".exe") {
		p = p[:len(p)-4]
	}
	return p
}

// showValue renders a value as the user wrote it, for error messages.
func showValue(v any) string {
	switch x := v.(type) {
	case string:
		return strconv.Quote(x)
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = showValue(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case map[string]any:
		return "{…}"
	}
	return fmt.Sprint(v)
}

// finish checks a sidecar's settings as a whole and fills in its name. where
// names a key as the user gave it (--backoff-max, sidecar.api.backoff_max),
// and sep goes between it and a value (" " for a flag, " = " for a key).
func (c *sidecarConfig) finish(where func(key string) string, sep string) error {
	if len(c.command) == 0 {
		return fmt.Errorf("%s: missing: a sidecar needs a command", where("command"))
	}
	if c.bundled {
		if strings.ContainsAny(c.command[0], `/\`) {
			return fmt.Errorf("%s%s%q: with bundled, the program must be a plain file name such as \"server\", not a path", where("command"), sep, c.command[0])
		}
	}
	if c.name == "" {
		c.name = baseName(c.command[0])
		if checkName(c.name) != nil {
			return fmt.Errorf("%s%s%q: its base name %q cannot name the sidecar: give a name", where("command"), sep, c.command[0], c.name)
		}
	}
	s := &c.spec
	s.Name = c.name
	s.Command = c.command[0]
	s.Args = c.command[1:]
	if err := checkPortPlaceholder(c, where, sep); err != nil {
		return err
	}
	if err := s.Validate(); err != nil {
		var fe *tether.FieldError
		if errors.As(err, &fe) {
			return c.fieldRefusal(fe, where, sep)
		}
		return err
	}
	return nil
}

// fieldRefusal words Spec.Validate's refusal in the terms of the command
// line or the file: the flag or key, the value as given, and what the
// option allows. When the library's reason names another field ("must not
// be less than Backoff.Initial"), that reason is kept, with the field
// written as its flag or key.
func (c *sidecarConfig) fieldRefusal(fe *tether.FieldError, where func(key string) string, sep string) error {
	field, _, indexed := strings.Cut(fe.Field, "[")
	o := fieldOption(field)
	key := fieldKey(field)
	value := fe.Value
	if !strings.HasPrefix(value, `"`) {
		value = strconv.Quote(value)
	}
	if raw, ok := c.given[key]; ok && !indexed {
		value = showValue(raw)
	}
	allow := fe.Allow
	for _, other := range sidecarOptions {
		if other.field != "" && other.field != field && strings.Contains(allow, other.field) {
			return fmt.Errorf("%s%s%s: %s", where(key), sep, value, strings.ReplaceAll(allow, other.field, where(other.key)))
		}
	}
	if o != nil && o.allow != "" && !indexed {
		allow = o.allow
	}
	return fmt.Errorf("%s%s%s: %s", where(key), sep, value, allow)
}

// fieldOption returns the sidecar option for a tether.Spec field, or nil.
func fieldOption(field string) *option {
	for i := range sidecarOptions {
		if sidecarOptions[i].field == field {
			return &sidecarOptions[i]
		}
	}
	return nil
}

// fieldKey maps a tether.Spec field, as a *tether.FieldError names it, to
// the key of the same setting.
func fieldKey(field string) string {
	if field == "Args" {
		return "command"
	}
	if o := fieldOption(field); o != nil {
		return o.key
	}
	return keyOf(strings.ToLower(field))
}

// suggest returns the candidate closest to s, if one is close enough to be
// a likely typo.
func suggest(s string, candidates []string) string {
	best, bestD := "", 3
	for _, c := range candidates {
		if d := editDistance(s, c); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance of a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// optionKeys lists the tether.toml keys of opts.
func optionKeys(opts []option) []string {
	var keys []string
	for _, o := range opts {
		if o.key != "" {
			keys = append(keys, o.key)
		}
	}
	return keys
}

// usageError is a bad command line or config: tether prints its one line
// on stderr and exits 2 before starting anything.
type usageError struct{ msg string }

// Error implements error.
func (e *usageError) Error() string { return e.msg }

// usagef returns a *usageError with a formatted message.
func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// parseFlags reads the flags of cmd in args, up to "--" or the first
// argument that is not a flag, and returns the rest. Flags are written
// --name value, --name=value, or with one dash; a switch takes no value
// (--bundled) or an explicit one (--exit-with-parent=false). -h and --help
// return help=true.
func parseFlags(cmd string, opts []option, args []string, t target) (rest []string, help bool, err error) {
	seen := make(map[string]bool)
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return args[i+1:], false, nil
		}
		if len(a) < 2 || a[0] != '-' {
			return args[i:], false, nil
		}
		name := strings.TrimPrefix(strings.TrimPrefix(a, "-"), "-")
		name, value, hasValue := strings.Cut(name, "=")
		if name == "h" || name == "help" {
			return nil, true, nil
		}
		var o *option
		for j := range opts {
			if opts[j].flag != "" && (opts[j].flag == name || (opts[j].short != "" && opts[j].short == name)) {
				o = &opts[j]
				break
			}
		}
		if o == nil {
			var flags []string
			for _, op := range opts {
				if op.flag != "" {
					flags = append(flags, op.flag)
				}
			}
			hint := ""
			if s := suggest(name, flags); s != "" {
				hint = fmt.Sprintf(" (did you mean --%s?)", s)
			}
			return nil, false, usagef("tether %s: unknown flag %s%s; see tether %s --help", cmd, a, hint, cmd)
		}
		if seen[o.flag] && !o.multi {
			return nil, false, usagef("tether %s: --%s given twice", cmd, o.flag)
		}
		seen[o.flag] = true
		if !hasValue {
			if o.arg == "" {
				value = "true"
			} else {
				if i+1 >= len(args) {
					return nil, false, usagef("tether %s: --%s needs a value: %s", cmd, o.flag, o.arg)
				}
				i++
				value = args[i]
			}
		}
		if err := o.set(t, value); err != nil {
			return nil, false, usagef("tether %s: --%s %q: %s", cmd, o.flag, value, o.refusal(err))
		}
		if t.sc != nil && o.key != "" && !o.proc {
			t.sc.given[o.key] = value
		}
		if o.proc {
			t.pc.where[o.key] = "--" + o.flag
		}
	}
	return nil, false, nil
}

// newSidecarConfig returns an empty sidecar.
func newSidecarConfig() *sidecarConfig {
	return &sidecarConfig{given: make(map[string]any)}
}

// runConfig reads the command line of tether run.
func runConfig(args []string) (*sidecarConfig, *procConfig, bool, error) {
	sc, pc := newSidecarConfig(), newProcConfig()
	opts := slices.Concat(sidecarOptions, processOptions)
	rest, help, err := parseFlags("run", opts, args, target{sc: sc, pc: pc})
	if help || err != nil {
		return nil, nil, help, err
	}
	if len(rest) == 0 {
		return nil, nil, false, usagef("tether run: missing COMMAND: tether run [flags] -- COMMAND [ARG...]; see tether run --help")
	}
	sc.command = rest
	if strings.ContainsRune(strings.Join(rest, ""), 0) {
		return nil, nil, false, usagef("tether run: COMMAND must not contain NUL")
	}
	err = sc.finish(func(key string) string {
		if o := findOption(sidecarOptions, key); o != nil && o.flag != "" {
			return "--" + o.flag
		}
		return "COMMAND"
	}, " ")
	if err == nil {
		err = checkNoOtherPorts(sc, func(key string) string {
			if key == "command" {
				return "COMMAND argument"
			}
			return "--" + key
		})
	}
	if err != nil {
		err = fmt.Errorf("tether run: %w", err)
	}
	if err != nil {
		return nil, nil, false, &usageError{msg: err.Error()}
	}
	if sc.log.path != "" {
		sc.log.path = logPath(sc.log.path, sc.spec.Dir)
	}
	return sc, pc, false, nil
}

// noColor reports whether NO_COLOR asks for output without colour
// (https://no-color.org: set and not empty).
func noColor() bool {
	v, ok := os.LookupEnv("NO_COLOR")
	return ok && v != ""
}
