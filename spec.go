package tether

import (
	"fmt"
	"os"
	"strings"
	"syscall"
	"time"
)

// Spec describes a sidecar: what to run and how to keep it running. Only
// Command is required; every other field's zero value means the default
// written beside it. A Spec is plain input: tether never writes to it, so one
// Spec can serve many supervisors. Defaults are resolved into a private copy
// when a run starts.
type Spec struct {
	// Name names the sidecar in every event. Empty means the base name of
	// Command.
	Name string

	// Command is the program to run: a path, or a name looked up in the
	// PATH of the host process (as os/exec does). Required.
	Command string

	// Args are the arguments after the program name. "{port}" in them is
	// replaced by the attempt's port when Port is set.
	Args []string

	// Dir is the working directory. Empty means the host's.
	Dir string

	// Env holds "KEY=VALUE" entries added to the host's environment (a key
	// given here replaces the inherited one). "{port}" in values is
	// replaced by the attempt's port. Nil means the host's environment as
	// it is.
	Env []string

	// Port, when not zero, gives the sidecar a TCP port: PortAuto picks a
	// free loopback port afresh for every attempt; a positive number is a
	// fixed port. It replaces "{port}" in Args, Env values and probe
	// targets, and is reported in the spawned event.
	Port int

	// StopSignal is sent to the whole tree to ask it to stop. Nil means
	// SIGTERM (CTRL_BREAK on Windows).
	StopSignal os.Signal

	// StopRequest, when not empty, asks the sidecar to stop before any
	// signal is sent: "stdin-close" closes its stdin, "stdin:TEXT" writes
	// TEXT and a newline to it, an http:// or https:// URL is sent a POST
	// (2xx or 3xx is success), "exec:COMMAND ARGS" runs a command (exit 0 is
	// success; its words are split as ParseProbe splits exec probes).
	// "{port}" is replaced by the attempt's port. The sidecar then has Grace
	// to exit; only if it has not is StopSignal sent to its tree, and the
	// kill follows one second later. A request that fails (a refused or
	// timed-out POST, a failing command) is an error event, and the stop
	// goes on to StopSignal at once. A sidecar that exits on the request
	// never sees a signal. This is the graceful stop on Windows, where a
	// sidecar without a console cannot get CTRL_BREAK. The sidecar finds
	// the request in $TETHER_STOP_REQUEST.
	StopRequest string

	// Grace is how long a stop waits after StopSignal (or StopRequest)
	// before it kills the whole tree (signals it, with StopRequest). Zero
	// means 5s; a negative value kills at once.
	Grace time.Duration

	// DrainTimeout bounds how long, once every process of an attempt's tree
	// is gone, tether keeps reading output from pipes that something
	// outside the tree (a process that escaped it) still holds open. Zero
	// means 2s.
	DrainTimeout time.Duration

	// Containment says how the attempt's process tree is held together so
	// that a stop, and the host's death, leave none of it behind. The zero
	// value, ContainmentAuto, is the strongest the system offers.
	Containment Containment

	// Restart says when an exit nobody asked for is followed by a new
	// attempt. The zero value is RestartAlways.
	Restart RestartPolicy

	// Backoff shapes the delay before each restart.
	Backoff Backoff

	// HealthyAfter is how long an attempt must have been ready before the
	// restart delay goes back to Backoff.Initial. Zero means 30s.
	HealthyAfter time.Duration

	// MaxRestarts, when positive, ends supervision with ErrGaveUp once
	// more than MaxRestarts restarts fall inside RestartWindow. Zero means
	// unlimited.
	MaxRestarts int

	// RestartWindow is the sliding window MaxRestarts counts in. Zero
	// means 60s.
	RestartWindow time.Duration

	// Ready is the readiness probe run after every spawn. The zero Probe
	// means the sidecar is ready as soon as it is spawned.
	Ready Probe

	// ReadyTimeout is how long an attempt may take to become ready before
	// it counts as failed and its tree is stopped. Zero means 30s.
	ReadyTimeout time.Duration

	// ReadyInterval, when positive, is the least time between the starts
	// of two tries of an HTTP, TCP or exec readiness probe, for servers
	// that log every request. Zero means the fast schedule: 1 ms, doubling
	// to 4 ms for the first 10 s, then up to 100 ms, which finds a
	// sidecar ready within a few milliseconds of its being able to answer.
	ReadyInterval time.Duration

	// Live is the liveness probe, polled only once the attempt is ready.
	// The zero Probe means none.
	Live Probe

	// LiveInterval is the time between liveness checks. Zero means 5s.
	LiveInterval time.Duration

	// LiveTimeout bounds one liveness check. Zero means 2s.
	LiveTimeout time.Duration

	// LiveFailures is how many consecutive failed liveness checks make the
	// attempt unhealthy. Zero means 3.
	LiveFailures int

	// Watchdog, when positive, needs Ready to be NotifyProbe: once ready,
	// the sidecar must send WATCHDOG=1 on its notify socket at least once
	// every Watchdog, or the attempt is unhealthy (an error that says
	// watchdog) and is stopped and restarted as for failed liveness. The
	// sidecar finds the interval in $WATCHDOG_USEC, in microseconds, as
	// systemd gives it. Zero means no watchdog.
	Watchdog time.Duration

	// MemoryMax, when positive, bounds the memory of the attempt's whole
	// tree, in bytes: cgroup v2 memory.max (swap off) on Linux, or, where
	// the memory controller is bound to cgroup v1 (a hybrid or legacy
	// layout) and tether runs as root, v1's memory.limit_in_bytes; the
	// job object's job memory limit on Windows. A tree that passes it is
	// killed (on Windows its allocations fail, the job says so, and tether
	// kills it), its exited event has OOM set, and the restart policy
	// applies. Event.Containment ends in "+v1:…" when cgroup v1 holds
	// limits.
	//
	// Where the containment in force cannot apply a limit (MemoryMax,
	// CPUMax or PidsMax: no cgroup with the controller that tether may
	// write, the subreaper or group mode forced, macOS), the attempt does
	// not start:
	// supervision gives up (ErrGaveUp, with an error that names the limit
	// and why) rather than run unbounded.
	MemoryMax int64

	// CPUMax, when positive, bounds the tree's CPU time in percent of one
	// CPU (150 is one and a half): cgroup v2 cpu.max (v1
	// cpu.cfs_quota_us), or the job object's hard CPU rate cap.
	CPUMax int

	// PidsMax, when positive, bounds how many processes the tree may have
	// at once (on Linux tasks, threads included): cgroup v2 (or v1)
	// pids.max, or the job object's active process limit. A fork past it
	// fails.
	PidsMax int
}

// PortAuto as Spec.Port picks a free loopback TCP port for every attempt.
const PortAuto = -1

// RestartPolicy says when tether starts a new attempt after an exit that
// nobody asked for. A stop that was asked for is never followed by a restart.
type RestartPolicy int

const (
	// RestartAlways restarts after every exit, clean or not.
	RestartAlways RestartPolicy = iota
	// RestartOnFailure restarts after a non-zero exit status or a death by
	// signal, and ends supervision after exit status 0.
	RestartOnFailure
	// RestartNever never restarts.
	RestartNever
)

var restartNames = [...]string{"always", "on-failure", "never"}

// String returns the policy's name as the command line spells it.
func (p RestartPolicy) String() string {
	if p >= 0 && int(p) < len(restartNames) {
		return restartNames[p]
	}
	return fmt.Sprintf("RestartPolicy(%d)", int(p))
}

// MarshalText returns the policy's name, as String does.
func (p RestartPolicy) MarshalText() ([]byte, error) {
	if p < 0 || int(p) >= len(restartNames) {
		return nil, fmt.Errorf("tether: %v: no such restart policy", p)
	}
	return []byte(p.String()), nil
}

// UnmarshalText sets p from its name: "always", "on-failure" or "never" (a
// config file's or a flag's value).
func (p *RestartPolicy) UnmarshalText(text []byte) error {
	for i, n := range restartNames {
		if string(text) == n {
			*p = RestartPolicy(i)
			return nil
		}
	}
	return fmt.Errorf("tether: restart policy %q: want always, on-failure or never", text)
}

// Backoff is the restart delay: Initial before the first restart, multiplied
// by Factor after each further consecutive failure, capped at Max, and moved
// by a random fraction of up to ±Jitter. Zero fields mean the defaults.
type Backoff struct {
	Initial time.Duration // zero means 250ms
	Max     time.Duration // zero means 30s
	Factor  float64       // zero means 2
	Jitter  float64       // zero means 0.1; negative means none
}

// Defaults, as the contract gives them.
const (
	DefaultGrace         = 5 * time.Second
	DefaultDrainTimeout  = 2 * time.Second
	DefaultHealthyAfter  = 30 * time.Second
	DefaultRestartWindow = 60 * time.Second
	DefaultReadyTimeout  = 30 * time.Second
	DefaultLiveInterval  = 5 * time.Second
	DefaultLiveTimeout   = 2 * time.Second
	DefaultLiveFailures  = 3
	DefaultBackoffInit   = 250 * time.Millisecond
	DefaultBackoffMax    = 30 * time.Second
	DefaultBackoffFactor = 2.0
	DefaultBackoffJitter = 0.1
)

// FieldError reports a Spec field whose value is not allowed.
type FieldError struct {
	Field string // the Spec field, e.g. "Backoff.Factor"
	Value string // the value given
	Allow string // what is allowed
}

// Error implements error.
func (e *FieldError) Error() string {
	return fmt.Sprintf("tether: invalid %s %s: %s", e.Field, e.Value, e.Allow)
}

// Is makes errors.Is(err, ErrInvalidSpec) hold.
func (e *FieldError) Is(target error) bool { return target == ErrInvalidSpec }

// Validate reports the first field of s whose value is not allowed, as a
// *FieldError, or nil. It does not look at the file system: a command that
// cannot be found is reported when a run starts.
func (s *Spec) Validate() error {
	if err := s.validateArgv(); err != nil {
		return err
	}
	if s.Port < PortAuto || s.Port > 65535 {
		return fieldError("Port", fmt.Sprint(s.Port), "want PortAuto (-1), 0 (none) or 1-65535")
	}
	if s.StopSignal != nil {
		if _, ok := s.StopSignal.(syscall.Signal); !ok {
			return fieldError("StopSignal", s.StopSignal.String(), "want a syscall.Signal")
		}
	}
	if _, err := parseStopRequest(s.StopRequest); err != nil {
		return fieldError("StopRequest", fmt.Sprintf("%q", s.StopRequest), err.Error())
	}
	if err := s.validateTimes(); err != nil {
		return err
	}
	for _, lim := range []struct {
		field string
		n     int64
	}{{"MemoryMax", s.MemoryMax}, {"CPUMax", int64(s.CPUMax)}, {"PidsMax", int64(s.PidsMax)}} {
		if lim.n < 0 {
			return fieldError(lim.field, fmt.Sprint(lim.n), "must not be negative (zero means no limit)")
		}
	}
	if !containmentSupported(s.Containment) {
		return fieldError("Containment", s.Containment.String(), "want auto or group; cgroup and subreaper exist on Linux only, and Windows has auto only")
	}
	if s.Restart < RestartAlways || s.Restart > RestartNever {
		return fieldError("Restart", s.Restart.String(), "want RestartAlways, RestartOnFailure or RestartNever")
	}
	if s.MaxRestarts < 0 {
		return fieldError("MaxRestarts", fmt.Sprint(s.MaxRestarts), "must not be negative (zero means unlimited)")
	}
	if s.LiveFailures < 0 {
		return fieldError("LiveFailures", fmt.Sprint(s.LiveFailures), "must not be negative (zero means 3)")
	}
	if err := s.Ready.validate("Ready", true); err != nil {
		return err
	}
	if err := s.Live.validate("Live", false); err != nil {
		return err
	}
	return s.validatePortPlaceholder()
}

// fieldError is the *FieldError for a field of Spec.
func fieldError(field, value, allow string) error {
	return &FieldError{Field: field, Value: value, Allow: allow}
}

// validateArgv checks Command, Args and Env.
func (s *Spec) validateArgv() error {
	switch {
	case s.Command == "":
		return fieldError("Command", `""`, "a program name or path is required")
	case strings.ContainsRune(s.Command, 0):
		return fieldError("Command", fmt.Sprintf("%q", s.Command), "must not contain NUL")
	}
	for i, a := range s.Args {
		if strings.ContainsRune(a, 0) {
			return fieldError(fmt.Sprintf("Args[%d]", i), fmt.Sprintf("%q", a), "must not contain NUL")
		}
	}
	for i, kv := range s.Env {
		k, _, ok := strings.Cut(kv, "=")
		if !ok || k == "" || strings.ContainsRune(kv, 0) {
			return fieldError(fmt.Sprintf("Env[%d]", i), fmt.Sprintf("%q", kv), "want KEY=VALUE with a non-empty KEY and no NUL")
		}
	}
	return nil
}

// validateTimes checks the durations, the watchdog and the backoff.
func (s *Spec) validateTimes() error {
	durs := []struct {
		name string
		d    time.Duration
	}{
		{"DrainTimeout", s.DrainTimeout}, {"HealthyAfter", s.HealthyAfter},
		{"RestartWindow", s.RestartWindow}, {"ReadyTimeout", s.ReadyTimeout},
		{"LiveInterval", s.LiveInterval}, {"LiveTimeout", s.LiveTimeout}, {"ReadyInterval", s.ReadyInterval},
		{"Backoff.Initial", s.Backoff.Initial}, {"Backoff.Max", s.Backoff.Max},
	}
	for _, d := range durs {
		if d.d < 0 {
			return fieldError(d.name, d.d.String(), "must not be negative (zero means the default)")
		}
	}
	if s.Watchdog < 0 || (s.Watchdog > 0 && s.Watchdog < time.Millisecond) {
		return fieldError("Watchdog", s.Watchdog.String(), "want at least 1ms (zero means none)")
	}
	if s.Watchdog > 0 && s.Ready.kind != probeNotify {
		return fieldError("Watchdog", s.Watchdog.String(), "needs Ready to be the notify probe: WATCHDOG=1 arrives on the notify socket")
	}
	if f := s.Backoff.Factor; f != 0 && (f < 1 || f != f || f > 1e6) {
		return fieldError("Backoff.Factor", fmt.Sprint(f), "want a number from 1 to 1e6 (zero means 2)")
	}
	if j := s.Backoff.Jitter; j > 1 || j != j {
		return fieldError("Backoff.Jitter", fmt.Sprint(j), "want a fraction up to 1 (zero means 0.1, negative none)")
	}
	if s.Backoff.Initial > 0 && s.Backoff.Max > 0 && s.Backoff.Max < s.Backoff.Initial {
		return fieldError("Backoff.Max", s.Backoff.Max.String(), "must not be less than Backoff.Initial")
	}
	return nil
}

// validatePortPlaceholder refuses "{port}" in Args, Env values or a probe
// when s has no Port: there would be nothing to put in its place, and a
// probe would poll a URL that cannot answer until ReadyTimeout.
func (s *Spec) validatePortPlaceholder() error {
	if s.Port != 0 {
		return nil
	}
	const allow = "{port} needs a Port (PortAuto or a number): there is nothing to put in its place"
	for i, a := range s.Args {
		if strings.Contains(a, "{port}") {
			return &FieldError{Field: fmt.Sprintf("Args[%d]", i), Value: fmt.Sprintf("%q", a), Allow: allow}
		}
	}
	for i, kv := range s.Env {
		if strings.Contains(kv, "{port}") {
			return &FieldError{Field: fmt.Sprintf("Env[%d]", i), Value: fmt.Sprintf("%q", kv), Allow: allow}
		}
	}
	if strings.Contains(s.StopRequest, "{port}") {
		return &FieldError{Field: "StopRequest", Value: fmt.Sprintf("%q", s.StopRequest), Allow: allow}
	}
	for _, p := range []struct {
		field string
		probe Probe
	}{{"Ready", s.Ready}, {"Live", s.Live}} {
		if p.probe.kind != probeLog && strings.Contains(p.probe.text, "{port}") {
			return &FieldError{Field: p.field, Value: fmt.Sprintf("%q", p.probe.text), Allow: allow}
		}
	}
	if strings.Contains(s.StopRequest, "{port}") {
		return &FieldError{Field: "StopRequest", Value: fmt.Sprintf("%q", s.StopRequest), Allow: allow}
	}
	return nil
}

// resolved returns a copy of s with every default filled in. s must be
// valid.
func (s *Spec) resolved() Spec {
	r := *s
	r.Args = append([]string(nil), s.Args...)
	r.Env = append([]string(nil), s.Env...)
	if r.Name == "" {
		r.Name = baseName(r.Command)
	}
	if r.StopSignal == nil {
		r.StopSignal = syscall.SIGTERM
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&r.Grace, DefaultGrace)
	if r.Grace < 0 {
		r.Grace = 0
	}
	def(&r.DrainTimeout, DefaultDrainTimeout)
	def(&r.HealthyAfter, DefaultHealthyAfter)
	def(&r.RestartWindow, DefaultRestartWindow)
	def(&r.ReadyTimeout, DefaultReadyTimeout)
	def(&r.LiveInterval, DefaultLiveInterval)
	def(&r.LiveTimeout, DefaultLiveTimeout)
	def(&r.Backoff.Initial, DefaultBackoffInit)
	def(&r.Backoff.Max, DefaultBackoffMax)
	if r.Backoff.Max < r.Backoff.Initial {
		r.Backoff.Max = r.Backoff.Initial
	}
	if r.Backoff.Factor == 0 {
		r.Backoff.Factor = DefaultBackoffFactor
	}
	switch {
	case r.Backoff.Jitter == 0:
		r.Backoff.Jitter = DefaultBackoffJitter
	case r.Backoff.Jitter < 0:
		r.Backoff.Jitter = 0
	}
	if r.LiveFailures == 0 {
		r.LiveFailures = DefaultLiveFailures
	}
	return r
}

// baseName is the last element of a slash- or backslash-separated path,
// without a Windows ".exe".
func baseName(p string) string {
	if i := strings.LastIndexAny(p, `/\`); i >= 0 {
		p = p[i+1:]
	}
	if strings.HasSuffix(strings.ToLower(p), ".exe") {
		p = p[:len(p)-4]
	}
	return p
}
