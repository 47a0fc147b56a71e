package main

import (
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"tether.dev/tether"
)

// The defaults help shows are the library's: each option's default, read
// back through the option itself, is what the library uses when the field
// is left zero. A default typed by hand, or a library default that
// changed without the help, fails here.
func TestOptionDefaults(t *testing.T) {
	t.Parallel()
	library := map[string]any{ // Spec field → what the library uses for zero
		"ReadyTimeout":    tether.DefaultReadyTimeout,
		"LiveInterval":    tether.DefaultLiveInterval,
		"LiveTimeout":     tether.DefaultLiveTimeout,
		"LiveFailures":    tether.DefaultLiveFailures,
		"Backoff.Initial": tether.DefaultBackoffInit,
		"Backoff.Max":     tether.DefaultBackoffMax,
		"Backoff.Factor":  tether.DefaultBackoffFactor,
		"Backoff.Jitter":  tether.DefaultBackoffJitter,
		"HealthyAfter":    tether.DefaultHealthyAfter,
		"RestartWindow":   tether.DefaultRestartWindow,
		"Grace":           tether.DefaultGrace,
		"MaxRestarts":     0, // unlimited
		"Restart":         tether.RestartAlways,
		"Containment":     tether.ContainmentAuto,
		"StopSignal":      syscall.SIGTERM,
	}
	seen := make(map[string]bool)
	for _, o := range sidecarOptions {
		want, ok := library[o.field]
		if !ok {
			if o.field != "" && o.def != "" && o.def != "none" && o.def != "inherit" {
				t.Errorf("--%s: default %q is not tied to the library: add its field %s here", o.flag, o.def, o.field)
			}
			continue
		}
		seen[o.field] = true
		sc := newSidecarConfig()
		def, _, _ := strings.Cut(o.def, " ") // "0 (unlimited)"
		if err := o.set(target{sc: sc}, def); err != nil {
			t.Errorf("--%s: its default %q is refused: %v", o.flag, o.def, err)
			continue
		}
		v := reflect.ValueOf(sc.spec)
		for _, part := range strings.Split(o.field, ".") {
			v = v.FieldByName(part)
		}
		got := v.Interface()
		if w, ok := want.(int); ok {
			want = w // untyped constants are int
		}
		if !reflect.DeepEqual(got, want) && !(reflect.TypeOf(got) == reflect.TypeOf(time.Duration(0)) && got == want) {
			t.Errorf("--%s: help says default %q, which is %v; the library uses %v", o.flag, o.def, got, want)
		}
	}
	for field := range library {
		if !seen[field] {
			t.Errorf("no option sets %s", field)
		}
	}
}

// The option table is the one list of settings: every entry can be found
// under its flag and key, and no two share one.
func TestOptionTable(t *testing.T) {
	t.Parallel()
	flags, keys := make(map[string]bool), make(map[string]bool)
	for _, list := range [][]option{sidecarOptions, processOptions} {
		for _, o := range list {
			if o.flag == "" && o.key == "" || o.help == "" || o.set == nil {
				t.Errorf("option %+v: needs a flag or key, help and set", o)
			}
			if o.flag != "" && o.key != "" && o.key != keyOf(o.flag) {
				t.Errorf("--%s: key %s, want %s", o.flag, o.key, keyOf(o.flag))
			}
			if flags[o.flag] && o.flag != "" || keys[o.key] && o.key != "" {
				t.Errorf("--%s / %s given twice", o.flag, o.key)
			}
			flags[o.flag], keys[o.key] = true, true
			if o.field != "" && fieldOption(o.field) != &sidecarOptions[indexOf(o)] {
				t.Errorf("field %s does not lead back to --%s", o.field, o.flag)
			}
		}
	}
}

func indexOf(o option) int {
	for i := range sidecarOptions {
		if sidecarOptions[i].key == o.key && sidecarOptions[i].flag == o.flag {
			return i
		}
	}
	return -1
}

// Spec.Validate is the one range check: a value the option converts but
// the library refuses is reported with the flag, the value as given and
// what the option allows.
func TestValidateRefusalsNameTheFlag(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--backoff-factor", "0.5"}, `tether run: --backoff-factor "0.5": want a number from 1 to 1000000`},
		{[]string{"--backoff-factor", "2e6"}, `tether run: --backoff-factor "2e6": want a number from 1 to 1000000`},
		{[]string{"--backoff-jitter", "2"}, `tether run: --backoff-jitter "2": want a fraction from 0 to 1`},
		{[]string{"--port", "70000"}, `tether run: --port "70000": want auto, or a port number from 1 to 65535`},
		{[]string{"--max-restarts", "-1"}, `tether run: --max-restarts "-1": want a whole number of at least 0`},
		{[]string{"--live-failures", "0"}, `tether run: --live-failures "0": want a whole number of at least 1`},
		{[]string{"--backoff-initial", "10s", "--backoff-max", "1s"}, `tether run: --backoff-max "1s": must not be less than --backoff-initial`},
	} {
		_, _, _, err := runConfig(append(c.args, "--", "prog"))
		if err == nil || err.Error() != c.want {
			t.Errorf("%q:\n got %v\nwant %s", c.args, err, c.want)
		}
	}
	// One of the two left at its default: the maximum follows the initial
	// delay, as in the library.
	if _, _, _, err := runConfig([]string{"--backoff-initial", "1m", "--", "prog"}); err != nil {
		t.Errorf("--backoff-initial 1m alone: %v", err)
	}
}
