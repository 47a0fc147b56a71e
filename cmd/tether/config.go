package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/BurntSushi/toml"
)

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
// values are taken from the directory of path. The file is decoded into
// plain maps; each key is handed, with its TOML value, to the option of
// the same key (see option), so that a wrong type gets the same one-line
// message as a wrong value.
func parseConfig(path, text string) (*fileConfig, error) {
	fail := func(format string, args ...any) error {
		return usagef("tether up: %s: %s", path, fmt.Sprintf(format, args...))
	}
	if len(text) > maxConfigSize {
		return nil, fail("%d bytes; a config file may be at most %d bytes (1 MiB)", len(text), maxConfigSize)
	}
	if depth, line := configNesting(text); depth > maxConfigNesting {
		return nil, fail("line %d: arrays and inline tables nested %d deep or more; at most %d levels are allowed", line, depth, maxConfigNesting)
	}
	var top map[string]any
	md, err := toml.Decode(text, &top)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return nil, fail("line %d: %s", pe.Position.Line, pe.Message)
		}
		return nil, fail("%s", strings.TrimPrefix(err.Error(), "toml: "))
	}
	order, tables, err := sidecarTables(md, top)
	if err != nil {
		return nil, fail("%v", err)
	}

	fc := &fileConfig{path: path, proc: newProcConfig()}
	if err := fc.setProc("", top); err != nil {
		return nil, fail("%v", err)
	}
	if len(order) == 0 {
		return nil, fail("no sidecars: add a table such as [sidecar.api] with command = [\"prog\", \"arg\"]")
	}
	base := filepath.Dir(path)
	byName := make(map[string]*sidecarConfig)
	for _, name := range order {
		sc, err := fc.sidecar(name, tables[name], base)
		if err != nil {
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
	for _, sc := range fc.sidecars {
		if err := checkMemberPorts(sc, byName, order); err != nil {
			return nil, fail("%v", err)
		}
	}
	return fc, nil
}

// sidecarTables checks that every key of the file is known and returns the
// [sidecar.NAME] tables, with their names in the order of the file. An
// unknown key is reported as the first one in the file, with the keys
// allowed where it is.
func sidecarTables(md toml.MetaData, top map[string]any) (order []string, tables map[string]map[string]any, err error) {
	procKeys := optionKeys(processOptions)
	sideKeys := optionKeys(slices.Concat(sidecarOptions, processOptions))
	unknown := func(k toml.Key, allowed []string) error {
		last := k[len(k)-1]
		if last == "name" && len(k) == 3 {
			return fmt.Errorf("%s: the table's own name, [sidecar.%s], is the sidecar's name; there is no name key", k, k[1])
		}
		if s := suggest(last, allowed); s != "" {
			return fmt.Errorf("unknown key %s (did you mean %s?)", k, s)
		}
		return fmt.Errorf("unknown key %s; allowed here: %s", k, strings.Join(allowed, ", "))
	}
	tables = make(map[string]map[string]any)
	for _, k := range md.Keys() {
		switch {
		case len(k) == 1 && k[0] != "sidecar" && !slices.Contains(procKeys, k[0]):
			return nil, nil, unknown(k, append(slices.Clone(procKeys), "sidecar"))
		case len(k) == 1 && k[0] == "sidecar":
			if _, ok := top["sidecar"].(map[string]any); !ok {
				return nil, nil, fmt.Errorf("sidecar: want tables such as [sidecar.api]")
			}
		case len(k) == 2 && k[0] == "sidecar":
			table, ok := top["sidecar"].(map[string]any)[k[1]].(map[string]any)
			if !ok {
				return nil, nil, fmt.Errorf("%s: want a table such as [sidecar.%s]", k, quoteKey(k[1]))
			}
			if !slices.Contains(order, k[1]) {
				order = append(order, k[1])
				tables[k[1]] = table
			}
		case len(k) == 3 && k[0] == "sidecar" && !slices.Contains(sideKeys, k[2]):
			return nil, nil, unknown(k, sideKeys)
		case len(k) == 3 && k[0] == "sidecar" && !slices.Contains(order, k[1]):
			// Dotted keys only (sidecar.api.command = …) list no table.
			order = append(order, k[1])
			tables[k[1]], _ = top["sidecar"].(map[string]any)[k[1]].(map[string]any)
		}
	}
	return order, tables, nil
}

// setProc applies the settings of tether itself found in table, whose keys
// are written with prefix in messages. A setting given twice must agree.
func (fc *fileConfig) setProc(prefix string, table map[string]any) error {
	for _, o := range processOptions {
		v, ok := table[o.key]
		if !ok {
			continue
		}
		before := *fc.proc
		if err := o.set(target{pc: fc.proc}, v); err != nil {
			return fmt.Errorf("%s = %s: %s", prefix+o.key, showValue(v), o.refusal(err))
		}
		if prev, ok := fc.proc.where[o.key]; ok && !sameProc(before, *fc.proc) {
			return fmt.Errorf("%s = %s: conflicts with %s; %s is a setting of tether itself, give it once", prefix+o.key, showValue(v), prev, o.key)
		}
		fc.proc.where[o.key] = prefix + o.key
	}
	return nil
}

// sidecar reads the table [sidecar.NAME]. Settings of tether itself may be
// given there too; they apply to the whole process.
func (fc *fileConfig) sidecar(name string, table map[string]any, base string) (*sidecarConfig, error) {
	prefix := "sidecar." + quoteKey(name) + "."
	if err := checkName(name); err != nil {
		return nil, fmt.Errorf("[sidecar.%s]: %v", quoteKey(name), err)
	}
	if err := fc.setProc(prefix, table); err != nil {
		return nil, err
	}
	sc := newSidecarConfig()
	sc.name = name
	for _, o := range sidecarOptions {
		v, ok := table[o.key]
		if !ok || o.key == "" {
			continue
		}
		if err := o.set(target{sc: sc}, v); err != nil {
			return nil, fmt.Errorf("%s = %s: %s", prefix+o.key, showValue(v), o.refusal(err))
		}
		sc.given[o.key] = v
	}
	if sc.spec.Dir == "" {
		sc.spec.Dir = base
	} else if !filepath.IsAbs(sc.spec.Dir) {
		sc.spec.Dir = filepath.Join(base, sc.spec.Dir)
	}
	if sc.log.path != "" {
		sc.log.path = logPath(sc.log.path, base)
	}
	if err := sc.finish(func(key string) string { return prefix + key }, " = "); err != nil {
		return nil, err
	}
	return sc, nil
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

// Bounds of a config file, checked before it is parsed: a hostile file
// (an inline table nested thousands deep) must not take gigabytes.
const (
	maxConfigSize    = 1 << 20
	maxConfigNesting = 32
)

// configNesting returns how deep arrays and inline tables nest in the TOML
// text (strings and comments skipped), stopping at the first line that goes
// past maxConfigNesting, and that line.
func configNesting(text string) (depth, line int) {
	line = 1
	for i := 0; i < len(text); i++ {
		switch c := text[i]; c {
		case '\n':
			line++
		case '#':
			for i < len(text) && text[i] != '\n' {
				i++
			}
			i--
		case '"', '\'':
			delim := string(c)
			if strings.HasPrefix(text[i:], delim+delim+delim) {
				delim += delim + delim
			}
			for i += len(delim); i < len(text) && !strings.HasPrefix(text[i:], delim); i++ {
				switch {
				case text[i] == '\n':
					line++
				case text[i] == '\\' && c == '"':
					i++
				}
			}
			i += len(delim) - 1
		case '[', '{':
			if depth++; depth > maxConfigNesting {
				return depth, line
			}
		case ']', '}':
			depth--
		}
	}
	return 0, line
}
