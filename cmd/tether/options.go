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
)

// sidecarConfig is one sidecar as the flags of run or a [sidecar.NAME] table
// describe it.
type sidecarConfig struct {
	name      string
	command   []string // program and arguments; never run through a shell
	bundled   bool     // command[0] is a sidecar bundled beside tether
	dependsOn []string
	spec      tether.Spec // every other setting, as the library takes it
	given     map[string]bool
}

// procConfig holds the settings of tether itself, shared by its sidecars.
type procConfig struct {
	lifeline       string // "none" or "stdin"
	exitWithParent bool
	output         string // "json", "text", or "" for: text on a terminal, else json
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
// the same name. set receives a string from the command line, or a TOML
// value (string, int64, float64, bool, []any, map[string]any) from the
// file; it returns what is allowed when the value is not.
type option struct {
	flag  string // long flag without dashes; "" for a key of tether.toml only
	short string // one-letter flag, if any
	key   string // tether.toml key; "" for a flag only
	arg   string // what the value looks like in help; "" for a switch
	def   string // the default, as help shows it
	help  string
	proc  bool // a setting of tether itself rather than of one sidecar
	multi bool // the flag may be repeated
	set   func(t target, v any) error
}

// allowErr says what values an option allows.
type allowErr string

// Error implements error.
func (e allowErr) Error() string { return string(e) }

const (
	allowDur      = "want a Go duration such as 250ms, 5s or 1m30s"
	allowPosDur   = "want a positive Go duration such as 250ms, 5s or 1m30s"
	allowSignal   = "want a signal name such as TERM, INT, HUP, KILL, or a number"
	allowBool     = "want true or false"
	allowLifeline = "want stdin or none"
	allowOutput   = "want json or text"
	allowRestart  = "want always, on-failure or never"
	allowPort     = "want auto, or a port number from 1 to 65535"
)

// sidecarOptions are the settings of one sidecar: run's flags, and the keys
// of a [sidecar.NAME] table. The list is built afresh for every use.
func sidecarOptions() []option {
	durOpt := func(flag, def, help string, allowZero bool, field func(*tether.Spec) *time.Duration) option {
		return option{flag: flag, key: keyOf(flag), arg: "DUR", def: def, help: help,
			set: func(t target, v any) error {
				d, err := durationValue(v, allowZero)
				if err != nil {
					return err
				}
				*field(&t.sc.spec) = d
				return nil
			}}
	}
	probeOpt := func(flag, help string, field func(*tether.Spec) *tether.Probe) option {
		return option{flag: flag, key: keyOf(flag), arg: "PROBE", def: "none", help: help,
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
				*field(&t.sc.spec) = p
				return nil
			}}
	}
	return []option{
		{flag: "name", arg: "NAME", def: "base name of COMMAND", help: "the name in every event",
			set: func(t target, v any) error {
				s, err := stringValue(v)
				if err != nil {
					return err
				}
				if err := checkName(s); err != nil {
					return err
				}
				t.sc.name = s
				return nil
			}},
		{key: "command", arg: "[ARGV]", help: `the program and its arguments, an argv list: ["prog", "arg"] (run takes it after --)`,
			set: func(t target, v any) error {
				argv, err := stringList(v)
				if err != nil || len(argv) == 0 || argv[0] == "" {
					return allowErr(`want a non-empty argv list such as ["prog", "--flag", "value"]; tether runs no shell`)
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
			set: func(t target, v any) error {
				s, err := stringValue(v)
				if err == nil && s == "" {
					err = allowErr("want a directory")
				}
				t.sc.spec.Dir = s
				return err
			}},
		{flag: "env", key: "env", arg: "K=V", def: "inherit", multi: true,
			help: "extra environment; repeatable (in tether.toml a table: env = { LOG_LEVEL = \"info\" })",
			set: func(t target, v any) error {
				kvs, err := envValue(v)
				t.sc.spec.Env = append(t.sc.spec.Env, kvs...)
				return err
			}},
		{key: "depends_on", arg: "[NAMES]", help: "sidecars that must be ready before this one starts, and that stop after it (tether.toml only)",
			set: func(t target, v any) error {
				names, err := stringList(v)
				if err != nil {
					return allowErr(`want a list of sidecar names such as ["db"]`)
				}
				t.sc.dependsOn = names
				return nil
			}},
		{flag: "port", key: "port", arg: "auto|N", def: "none",
			help: "auto: a free loopback TCP port for each attempt; N: a fixed port. {port} in arguments, env values and probes becomes it",
			set: func(t target, v any) error {
				p, err := portValue(v)
				t.sc.spec.Port = p
				return err
			}},
		probeOpt("ready", "readiness probe (see Probes); without one, ready once spawned", func(s *tether.Spec) *tether.Probe { return &s.Ready }),
		durOpt("ready-timeout", "30s", "not ready by then: the attempt failed, its tree is stopped, the restart policy applies", false,
			func(s *tether.Spec) *time.Duration { return &s.ReadyTimeout }),
		probeOpt("live", "liveness probe, polled only after ready", func(s *tether.Spec) *tether.Probe { return &s.Live }),
		durOpt("live-interval", "5s", "time between liveness checks", false, func(s *tether.Spec) *time.Duration { return &s.LiveInterval }),
		durOpt("live-timeout", "2s", "time one liveness check may take", false, func(s *tether.Spec) *time.Duration { return &s.LiveTimeout }),
		{flag: "live-failures", key: "live_failures", arg: "N", def: "3",
			help: "N failed liveness checks in a row: unhealthy, the tree is stopped and restarted",
			set: func(t target, v any) error {
				n, err := intValue(v, 1)
				t.sc.spec.LiveFailures = n
				return err
			}},
		{flag: "restart", key: "restart", arg: "always|on-failure|never", def: "always",
			help: "when to restart after an exit nobody asked for",
			set: func(t target, v any) error {
				s, err := stringValue(v)
				if err != nil {
					return err
				}
				p, err := tether.ParseRestartPolicy(s)
				if err != nil {
					return allowErr(allowRestart)
				}
				t.sc.spec.Restart = p
				return nil
			}},
		durOpt("backoff-initial", "250ms", "delay before the first restart", false, func(s *tether.Spec) *time.Duration { return &s.Backoff.Initial }),
		durOpt("backoff-max", "30s", "the longest delay", false, func(s *tether.Spec) *time.Duration { return &s.Backoff.Max }),
		{flag: "backoff-factor", key: "backoff_factor", arg: "F", def: "2",
			help: "the delay is multiplied by F after each failed attempt (1: constant)",
			set: func(t target, v any) error {
				f, err := floatValue(v)
				if err != nil || f < 1 || f > 1e6 {
					return allowErr("want a number from 1 to 1000000")
				}
				t.sc.spec.Backoff.Factor = f
				return nil
			}},
		{flag: "backoff-jitter", key: "backoff_jitter", arg: "F", def: "0.1",
			help: "each delay moves by up to ± this fraction of itself (0: none)",
			set: func(t target, v any) error {
				f, err := floatValue(v)
				if err != nil || f < 0 || f > 1 {
					return allowErr("want a fraction from 0 to 1")
				}
				if f == 0 {
					f = -1 // the library's "none"
				}
				t.sc.spec.Backoff.Jitter = f
				return nil
			}},
		durOpt("healthy-after", "30s", "an attempt ready this long resets the delay to backoff-initial", false,
			func(s *tether.Spec) *time.Duration { return &s.HealthyAfter }),
		{flag: "max-restarts", key: "max_restarts", arg: "N", def: "0 (unlimited)",
			help: "more than N restarts within restart-window: gave_up, supervision ends",
			set: func(t target, v any) error {
				n, err := intValue(v, 0)
				t.sc.spec.MaxRestarts = n
				return err
			}},
		durOpt("restart-window", "60s", "the sliding window max-restarts counts in", false,
			func(s *tether.Spec) *time.Duration { return &s.RestartWindow }),
		{flag: "stop-signal", key: "stop_signal", arg: "SIG", def: "TERM",
			help: "signal sent to the whole tree to stop it",
			set: func(t target, v any) error {
				s, err := stringValue(v)
				if err != nil {
					return err
				}
				sig, err := tether.ParseSignal(s)
				if err != nil {
					return allowErr(allowSignal)
				}
				t.sc.spec.StopSignal = sig
				return nil
			}},
		{flag: "containment", key: "containment", arg: "auto|cgroup|subreaper|group", def: "auto",
			help: "how the sidecar's process tree is held together: auto picks the strongest the system offers (docs/containment.md)",
			set: func(t target, v any) error {
				s, err := stringValue(v)
				if err != nil {
					return err
				}
				c, err := tether.ParseContainment(s)
				if err != nil {
					return allowErr("want auto, cgroup, subreaper or group")
				}
				t.sc.spec.Containment = c
				return nil
			}},
		{flag: "grace", key: "grace", arg: "DUR", def: "5s",
			help: "after the stop signal, wait this long, then kill the whole tree (0: kill at once)",
			set: func(t target, v any) error {
				d, err := durationValue(v, true)
				if d == 0 {
					d = -1 // the library's "kill at once"
				}
				t.sc.spec.Grace = d
				return err
			}},
	}
}

// processOptions are the settings of tether itself: flags of run, up and
// demo, and keys at the top of tether.toml.
func processOptions() []option {
	return []option{
		{flag: "lifeline", key: "lifeline", arg: "stdin|none", def: "none", proc: true,
			help: "stdin: end of standard input means the host is gone: stop everything and exit 0",
			set: func(t target, v any) error {
				s, err := stringValue(v)
				if err != nil || (s != "stdin" && s != "none") {
					return allowErr(allowLifeline)
				}
				t.pc.lifeline = s
				return nil
			}},
		{flag: "exit-with-parent", key: "exit_with_parent", def: "true", proc: true,
			help: "when tether's parent process dies (even by SIGKILL), stop everything and exit; --exit-with-parent=false to turn off",
			set: func(t target, v any) error {
				b, err := boolValue(v)
				t.pc.exitWithParent = b
				return err
			}},
		{flag: "output", key: "output", arg: "json|text", def: "json unless stdout is a terminal", proc: true,
			help: "events as NDJSON for programs, or as coloured lines for people (NO_COLOR turns colour off)",
			set: func(t target, v any) error {
				s, err := stringValue(v)
				if err != nil || (s != "json" && s != "text") {
					return allowErr(allowOutput)
				}
				t.pc.output = s
				return nil
			}},
	}
}

// keyOf turns a flag name into its tether.toml key: ready-timeout → ready_timeout.
func keyOf(flag string) string { return strings.ReplaceAll(flag, "-", "_") }

// Values. From the command line every value is a string; from tether.toml it
// has its TOML type.

// stringValue reads a string.
func stringValue(v any) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", allowErr("want a string (in quotes)")
	}
	return s, nil
}

// durationValue reads a Go duration, in a string: positive, or zero too
// when allowZero.
func durationValue(v any, allowZero bool) (time.Duration, error) {
	allow := allowPosDur
	if allowZero {
		allow = allowDur
	}
	s, ok := v.(string)
	if !ok {
		return 0, allowErr(allow + `, in quotes`)
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 || (d == 0 && !allowZero) {
		return 0, allowErr(allow)
	}
	return d, nil
}

// intValue reads a whole number of at least min.
func intValue(v any, min int) (int, error) {
	allow := allowErr(fmt.Sprintf("want a whole number of at least %d", min))
	var n int64
	switch x := v.(type) {
	case int64:
		n = x
	case string:
		var err error
		if n, err = strconv.ParseInt(x, 10, 32); err != nil {
			return 0, allow
		}
	default:
		return 0, allow
	}
	if n < int64(min) || n > math.MaxInt32 {
		return 0, allow
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
			return 0, allowErr("want a number")
		}
		return x, nil
	case string:
		f, err := strconv.ParseFloat(x, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return 0, allowErr("want a number")
		}
		return f, nil
	}
	return 0, allowErr("want a number")
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
			return 0, allowErr(allowPort)
		}
	case int64:
		n = x
	default:
		return 0, allowErr(allowPort)
	}
	if n < 1 || n > 65535 {
		return 0, allowErr(allowPort)
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
	initial, maxd := s.Backoff.Initial, s.Backoff.Max
	if initial == 0 {
		initial = tether.DefaultBackoffInit
	}
	if maxd == 0 {
		maxd = tether.DefaultBackoffMax
	}
	if maxd < initial && c.given["backoff_max"] && c.given["backoff_initial"] {
		// (With one of them left at its default, the maximum follows the
		// initial delay, as in the library.)
		return fmt.Errorf("%s%s%q: must not be less than %s (%v)", where("backoff_max"), sep, maxd.String(), where("backoff_initial"), initial)
	}
	if err := checkPortPlaceholder(c, where, sep); err != nil {
		return err
	}
	if err := s.Validate(); err != nil {
		var fe *tether.FieldError
		if errors.As(err, &fe) {
			v := fe.Value
			if !strings.HasPrefix(v, `"`) {
				v = strconv.Quote(v)
			}
			return fmt.Errorf("%s%s%s: %s", where(fieldKey(fe.Field)), sep, v, fe.Allow)
		}
		return err
	}
	return nil
}

// fieldKey maps a tether.Spec field, as a *tether.FieldError names it, to
// the key of the same setting.
func fieldKey(field string) string {
	if i := strings.IndexByte(field, '['); i >= 0 {
		field = field[:i]
	}
	switch field {
	case "Command", "Args":
		return "command"
	case "Backoff.Initial":
		return "backoff_initial"
	case "Backoff.Max":
		return "backoff_max"
	case "Backoff.Factor":
		return "backoff_factor"
	case "Backoff.Jitter":
		return "backoff_jitter"
	}
	// CamelCase → snake_case: ReadyTimeout → ready_timeout.
	var b strings.Builder
	for i, r := range field {
		if unicode.IsUpper(r) {
			if i > 0 {
				b.WriteByte('_')
			}
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
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
			return nil, false, usagef("tether %s: --%s %q: %v", cmd, o.flag, value, err)
		}
		if t.sc != nil && o.key != "" && !o.proc {
			t.sc.given[o.key] = true
		}
		if o.proc {
			t.pc.where[o.key] = "--" + o.flag
		}
	}
	return nil, false, nil
}

// newSidecarConfig returns an empty sidecar.
func newSidecarConfig() *sidecarConfig {
	return &sidecarConfig{given: make(map[string]bool)}
}

// runConfig reads the command line of tether run.
func runConfig(args []string) (*sidecarConfig, *procConfig, bool, error) {
	sc, pc := newSidecarConfig(), newProcConfig()
	opts := slices.Concat(sidecarOptions(), processOptions())
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
		for _, o := range sidecarOptions() {
			if o.key == key && o.flag != "" {
				return "--" + o.flag
			}
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
	return sc, pc, false, nil
}

// noColor reports whether NO_COLOR asks for output without colour
// (https://no-color.org: set and not empty).
func noColor() bool {
	v, ok := os.LookupEnv("NO_COLOR")
	return ok && v != ""
}
