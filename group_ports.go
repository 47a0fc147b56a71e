package tether

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// memberPort matches a {NAME.port} placeholder and captures NAME.
var memberPort = regexp.MustCompile(`\{([^\s{}"'=]+)\.port\}`)

// link checks the members and ties each to the members it depends on and
// whose ports it uses. A problem is an error that matches ErrInvalidSpec.
func (g *Group) link() error {
	seen := make(map[string]bool)
	for i, m := range g.members {
		switch {
		case m.name == "":
			return &FieldError{Field: fmt.Sprintf("Members[%d].Spec.Name", i), Value: `""`, Allow: "a Group member needs a name"}
		case seen[m.name]:
			return &FieldError{Field: fmt.Sprintf("Members[%d].Spec.Name", i), Value: strconv.Quote(m.name), Allow: "names must be unique"}
		}
		seen[m.name] = true
		if err := m.Spec.Validate(); err != nil {
			return fmt.Errorf("tether: sidecar %s: %w", m.name, err)
		}
	}
	for _, m := range g.members {
		for _, d := range m.DependsOn {
			dm := g.byName[d]
			if dm == nil {
				return &FieldError{Field: m.name + ".DependsOn", Value: strconv.Quote(d), Allow: "want the name of another member (there are: " + g.names() + ")"}
			}
			m.deps = append(m.deps, dm)
			dm.dependents = append(dm.dependents, m)
		}
	}
	if cycle := g.cycle(); cycle != nil {
		return &FieldError{Field: cycle[0] + ".DependsOn", Value: strings.Join(cycle, " → "), Allow: "a sidecar cannot wait, even indirectly, for itself"}
	}
	for _, m := range g.members {
		if err := m.linkPorts(); err != nil {
			return err
		}
	}
	return nil
}

// cycle returns a dependency cycle (first name repeated at the end), or
// nil.
func (g *Group) cycle() []string {
	const (
		unseen = iota
		onPath
		done
	)
	mark := make(map[*member]int)
	var path []string
	var visit func(m *member) []string
	visit = func(m *member) []string {
		switch mark[m] {
		case onPath:
			i := slices.Index(path, m.name)
			return append(slices.Clone(path[i:]), m.name)
		case done:
			return nil
		}
		mark[m] = onPath
		path = append(path, m.name)
		for _, d := range m.deps {
			if c := visit(d); c != nil {
				return c
			}
		}
		path = path[:len(path)-1]
		mark[m] = done
		return nil
	}
	for _, m := range g.members {
		if c := visit(m); c != nil {
			return c
		}
	}
	return nil
}

// portTexts lists the settings of spec in which {NAME.port} is replaced:
// the arguments, the env values and the probes, each with its field.
func portTexts(spec *Spec) (fields, texts []string) {
	for i, a := range spec.Args {
		fields, texts = append(fields, fmt.Sprintf("Args[%d]", i)), append(texts, a)
	}
	for i, kv := range spec.Env {
		fields, texts = append(fields, fmt.Sprintf("Env[%d]", i)), append(texts, kv)
	}
	for _, p := range []struct {
		field string
		probe Probe
	}{{"Ready", spec.Ready}, {"Live", spec.Live}} {
		if p.probe.kind == probeHTTP || p.probe.kind == probeTCP || p.probe.kind == probeExec {
			fields, texts = append(fields, p.field), append(texts, p.probe.text)
		}
	}
	return fields, texts
}

// linkPorts finds the members whose {NAME.port} m's Spec uses: each must
// be in m's DependsOn and have a port.
func (m *member) linkPorts() error {
	fields, texts := portTexts(&m.Spec)
	for i, text := range texts {
		for _, match := range memberPort.FindAllStringSubmatch(text, -1) {
			bad := func(allow string) error {
				return &FieldError{Field: m.name + ".Spec." + fields[i], Value: strconv.Quote(text), Allow: match[0] + " " + allow}
			}
			var dep *member
			for _, d := range m.deps {
				if d.name == match[1] {
					dep = d
				}
			}
			switch {
			case dep == nil:
				return bad(fmt.Sprintf("names %s, which is not in %s's DependsOn: a sidecar may use the port of a sidecar it depends on", match[1], m.name))
			case dep.Spec.Port == 0:
				return bad(fmt.Sprintf("names %s, which has no Port", match[1]))
			}
			if !slices.Contains(m.portDeps, dep) {
				m.portDeps = append(m.portDeps, dep)
			}
		}
	}
	return nil
}

// fillPorts sets spec's arguments, env values and probes, on m's
// supervisor's goroutine just before it spawns, to template's with each
// {NAME.port} replaced by the current port of member NAME (0 while NAME
// runs no attempt). It records the ports used, for rewire.
func (r *groupRun) fillPorts(m *member, template Spec, spec *Spec) {
	ports := make(map[string]int, len(m.portDeps))
	for _, d := range m.portDeps {
		if sup := d.sup.Load(); sup != nil {
			ports[d.name] = sup.Status().Port
		} else {
			ports[d.name] = 0
		}
	}
	m.usedPorts.Store(&ports)
	fill := func(s string) string {
		return memberPort.ReplaceAllStringFunc(s, func(ph string) string {
			name := memberPort.FindStringSubmatch(ph)[1]
			if port, ok := ports[name]; ok {
				return strconv.Itoa(port)
			}
			return ph
		})
	}
	spec.Args = mapStrings(template.Args, fill)
	spec.Env = mapStrings(template.Env, fill)
	spec.Ready = template.Ready.withText(fill)
	spec.Live = template.Live.withText(fill)
}

// rewire restarts, now that d is ready, each running member that uses
// {d.port} and was spawned with another port than d's current one.
func (r *groupRun) rewire(d *member) {
	dsup := d.sup.Load()
	if dsup == nil {
		return
	}
	port := dsup.Status().Port
	for _, m := range d.dependents {
		if !slices.Contains(m.portDeps, d) || m.phase != phaseLive || !m.running || m.stopBegun {
			continue
		}
		used := m.usedPorts.Load()
		if used == nil || (*used)[d.name] == port {
			continue // not spawned yet (it reads the port when it is), or up to date
		}
		if sup := m.sup.Load(); sup != nil {
			r.goCall(m, sup.Restart)
		}
	}
}

// mapStrings returns f applied to each of ss (nil for nil).
func mapStrings(ss []string, f func(string) string) []string {
	if ss == nil {
		return nil
	}
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = f(s)
	}
	return out
}

// withText returns p with replace applied to its address, its exec words
// and its text. Probes of other kinds are returned as they are.
func (p Probe) withText(replace func(string) string) Probe {
	switch p.kind {
	case probeHTTP, probeTCP, probeExec:
		p.target = replace(p.target)
		p.argv = mapStrings(p.argv, replace)
		p.text = replace(p.text)
	}
	return p
}
