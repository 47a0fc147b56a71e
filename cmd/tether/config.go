package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"

	"github.com/BurntSushi/toml"
)

// fileTable is the top of tether.toml. Every key is decoded into an any and
// checked by its option, so that a wrong type gets the same one-line message
// as a wrong value; a key that matches no field is left undecoded and
// reported as unknown.
type fileTable struct {
	Lifeline       any                     `toml:"lifeline"`
	ExitWithParent any                     `toml:"exit_with_parent"`
	Output         any                     `toml:"output"`
	Sidecar        map[string]sidecarTable `toml:"sidecar"`
}

// sidecarTable is one [sidecar.NAME] table: a field for each key of
// sidecarOptions (the name is the table's), and the settings of tether
// itself, which may be given here too (they apply to the whole process).
type sidecarTable struct {
	Command        any `toml:"command"`
	Bundled        any `toml:"bundled"`
	Dir            any `toml:"dir"`
	Env            any `toml:"env"`
	DependsOn      any `toml:"depends_on"`
	Port           any `toml:"port"`
	Ready          any `toml:"ready"`
	ReadyTimeout   any `toml:"ready_timeout"`
	Live           any `toml:"live"`
	LiveInterval   any `toml:"live_interval"`
	LiveTimeout    any `toml:"live_timeout"`
	LiveFailures   any `toml:"live_failures"`
	Restart        any `toml:"restart"`
	BackoffInitial any `toml:"backoff_initial"`
	BackoffMax     any `toml:"backoff_max"`
	BackoffFactor  any `toml:"backoff_factor"`
	BackoffJitter  any `toml:"backoff_jitter"`
	HealthyAfter   any `toml:"healthy_after"`
	MaxRestarts    any `toml:"max_restarts"`
	RestartWindow  any `toml:"restart_window"`
	StopSignal     any `toml:"stop_signal"`
	Grace          any `toml:"grace"`
	Containment    any `toml:"containment"`
	Lifeline       any `toml:"lifeline"`
	ExitWithParent any `toml:"exit_with_parent"`
	Output         any `toml:"output"`
}

// tableValues returns the keys set in t, in the order of sidecarTable's
// fields.
func tableValues(t any) (keys []string, values []any) {
	v := reflect.ValueOf(t)
	for i := range v.NumField() {
		f := v.Type().Field(i)
		tag := f.Tag.Get("toml")
		if tag == "" || f.Type.Kind() != reflect.Interface {
			continue
		}
		if x := v.Field(i).Interface(); x != nil {
			keys = append(keys, tag)
			values = append(values, x)
		}
	}
	return keys, values
}

// fileConfig is a parsed and checked tether.toml.
type fileConfig struct {
	path     string
	sidecars []*sidecarConfig // in the order of the file
	proc     *procConfig
}

// loadConfig reads and checks the file at path. Every problem is a
// *usageError of one line that names the file, the key, the bad value and
// what is allowed.
func loadConfig(path string) (*fileConfig, error) {
	text, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, usagef("tether up: %s: no such file; write one (see tether up --help, or tether.example.toml) or name another with -f FILE", path)
		}
		return nil, usagef("tether up: %v", err)
	}
	return parseConfig(path, string(text))
}

// parseConfig checks a tether.toml whose contents are text. Relative dir
// values are taken from the directory of path.
func parseConfig(path, text string) (*fileConfig, error) {
	fail := func(format string, args ...any) error {
		return usagef("tether up: %s: %s", path, fmt.Sprintf(format, args...))
	}
	var ft fileTable
	md, err := toml.Decode(text, &ft)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return nil, fail("line %d: %s", pe.Position.Line, pe.Message)
		}
		return nil, fail("%s", strings.TrimPrefix(err.Error(), "toml: "))
	}
	// Keys inside a known key's value (env = { K = "v" }) are decoded with
	// it, as part of an any; only keys that no field took are unknown.
	sideKeys := optionKeys(slices.Concat(sidecarOptions(), processOptions()))
	und := slices.DeleteFunc(md.Undecoded(), func(k toml.Key) bool {
		return (len(k) > 3 && k[0] == "sidecar" && slices.Contains(sideKeys, k[2])) ||
			(len(k) > 1 && slices.Contains(optionKeys(processOptions()), k[0]))
	})
	if len(und) > 0 {
		// Report the unknown key itself, not one inside an unknown table.
		k := und[0]
		for _, u := range und[1:] {
			if len(u) < len(k) {
				k = u
			}
		}
		var allowed []string
		if len(k) == 3 && k[0] == "sidecar" {
			allowed = sideKeys
		} else {
			allowed = append(optionKeys(processOptions()), "sidecar")
		}
		last := k[len(k)-1]
		if last == "name" && len(k) == 3 {
			return nil, fail("%s: the table's own name, [sidecar.%s], is the sidecar's name; there is no name key", k, k[1])
		}
		if s := suggest(last, allowed); s != "" {
			return nil, fail("unknown key %s (did you mean %s?)", k, s)
		}
		return nil, fail("unknown key %s; allowed here: %s", k, strings.Join(allowed, ", "))
	}

	fc := &fileConfig{path: path, proc: newProcConfig()}
	setProc := func(where string, keys []string, values []any) error {
		for i, key := range keys {
			for _, o := range processOptions() {
				if o.key != key {
					continue
				}
				before := *fc.proc
				if err := o.set(target{pc: fc.proc}, values[i]); err != nil {
					return fail("%s = %s: %v", where+key, showValue(values[i]), err)
				}
				if prev, ok := fc.proc.where[key]; ok && !sameProc(before, *fc.proc) {
					return fail("%s = %s: conflicts with %s; %s is a setting of tether itself, give it once", where+key, showValue(values[i]), prev, key)
				}
				fc.proc.where[key] = where + key
			}
		}
		return nil
	}
	keys, values := tableValues(struct {
		Lifeline       any `toml:"lifeline"`
		ExitWithParent any `toml:"exit_with_parent"`
		Output         any `toml:"output"`
	}{ft.Lifeline, ft.ExitWithParent, ft.Output})
	if err := setProc("", keys, values); err != nil {
		return nil, err
	}

	// Sidecars in the order the file gives them.
	var order []string
	for _, k := range md.Keys() {
		if len(k) == 2 && k[0] == "sidecar" && !slices.Contains(order, k[1]) {
			order = append(order, k[1])
		}
	}
	for name := range ft.Sidecar { // dotted keys only (sidecar.api.command = …)
		if !slices.Contains(order, name) {
			order = append(order, name)
		}
	}
	if len(order) == 0 {
		return nil, fail("no sidecars: add a table such as [sidecar.api] with command = [\"prog\", \"arg\"]")
	}
	base := filepath.Dir(path)
	byName := make(map[string]*sidecarConfig)
	for _, name := range order {
		prefix := "sidecar." + quoteKey(name) + "."
		if err := checkName(name); err != nil {
			return nil, fail("[sidecar.%s]: %v", quoteKey(name), err)
		}
		sc := newSidecarConfig()
		sc.name = name
		keys, values := tableValues(ft.Sidecar[name])
		var sideKeys []string
		var sideValues []any
		var procKeys []string
		var procValues []any
		for i, key := range keys {
			if slices.Contains(optionKeys(processOptions()), key) {
				procKeys, procValues = append(procKeys, key), append(procValues, values[i])
			} else {
				sideKeys, sideValues = append(sideKeys, key), append(sideValues, values[i])
			}
		}
		if err := setProc(prefix, procKeys, procValues); err != nil {
			return nil, err
		}
		for i, key := range sideKeys {
			for _, o := range sidecarOptions() {
				if o.key == key {
					if err := o.set(target{sc: sc}, sideValues[i]); err != nil {
						return nil, fail("%s = %s: %v", prefix+key, showValue(sideValues[i]), err)
					}
					sc.given[key] = true
				}
			}
		}
		if sc.spec.Dir == "" {
			sc.spec.Dir = base
		} else if !filepath.IsAbs(sc.spec.Dir) {
			sc.spec.Dir = filepath.Join(base, sc.spec.Dir)
		}
		if err := sc.finish(func(key string) string { return prefix + key }, " = "); err != nil {
			return nil, fail("%v", err)
		}
		fc.sidecars = append(fc.sidecars, sc)
		byName[name] = sc
	}
	for _, sc := range fc.sidecars {
		for _, d := range sc.dependsOn {
			if _, ok := byName[d]; !ok {
				hint := ""
				if s := suggest(d, order); s != "" {
					hint = fmt.Sprintf(" (did you mean %q?)", s)
				}
				return nil, fail("sidecar.%s.depends_on: unknown sidecar %q%s; sidecars here: %s", quoteKey(sc.name), d, hint, strings.Join(order, ", "))
			}
		}
	}
	if cycle := findCycle(fc.sidecars, byName); cycle != nil {
		return nil, fail("sidecar.%s.depends_on: dependency cycle %s; a sidecar cannot wait, even indirectly, for itself", quoteKey(cycle[0]), strings.Join(cycle, " → "))
	}
	return fc, nil
}

// sameProc reports whether two settings of tether itself agree.
func sameProc(a, b procConfig) bool {
	return a.lifeline == b.lifeline && a.exitWithParent == b.exitWithParent && a.output == b.output
}

// quoteKey writes a TOML key as a bare key when it can be one.
func quoteKey(k string) string {
	for _, r := range k {
		if !(r == '-' || r == '_' || (r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z')) {
			return fmt.Sprintf("%q", k)
		}
	}
	return k
}

// findCycle returns a dependency cycle (first name repeated at the end), or
// nil.
func findCycle(sidecars []*sidecarConfig, byName map[string]*sidecarConfig) []string {
	const (
		unseen = iota
		onPath
		done
	)
	mark := make(map[string]int)
	var path []string
	var visit func(name string) []string
	visit = func(name string) []string {
		switch mark[name] {
		case onPath:
			i := slices.Index(path, name)
			return append(slices.Clone(path[i:]), name)
		case done:
			return nil
		}
		mark[name] = onPath
		path = append(path, name)
		for _, d := range byName[name].dependsOn {
			if c := visit(d); c != nil {
				return c
			}
		}
		path = path[:len(path)-1]
		mark[name] = done
		return nil
	}
	for _, sc := range sidecars {
		if c := visit(sc.name); c != nil {
			return c
		}
	}
	return nil
}

// selectSidecars returns the named sidecars and everything they depend on,
// in file order; no names means all.
func (fc *fileConfig) selectSidecars(names []string) ([]*sidecarConfig, error) {
	if len(names) == 0 {
		return fc.sidecars, nil
	}
	byName := make(map[string]*sidecarConfig)
	var all []string
	for _, sc := range fc.sidecars {
		byName[sc.name] = sc
		all = append(all, sc.name)
	}
	want := make(map[string]bool)
	var add func(n string)
	add = func(n string) {
		if want[n] {
			return
		}
		want[n] = true
		for _, d := range byName[n].dependsOn {
			add(d)
		}
	}
	for _, n := range names {
		if _, ok := byName[n]; !ok {
			hint := ""
			if s := suggest(n, all); s != "" {
				hint = fmt.Sprintf(" (did you mean %q?)", s)
			}
			return nil, usagef("tether up: no sidecar %q in %s%s; sidecars: %s", n, fc.path, hint, strings.Join(all, ", "))
		}
		add(n)
	}
	var out []*sidecarConfig
	for _, sc := range fc.sidecars {
		if want[sc.name] {
			out = append(out, sc)
		}
	}
	return out, nil
}
