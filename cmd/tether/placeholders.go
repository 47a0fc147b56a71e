package main

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"tether.dev/tether"
)

// The placeholders are {port} (the attempt's own port) and, in tether up,
// {NAME.port} (the port of sidecar NAME). Any other text in braces is left
// as it is: arguments may well hold JSON or format strings.

// otherPort matches a {NAME.port} placeholder and captures NAME.
var otherPort = regexp.MustCompile(`\{([^\s{}"'=]+)\.port\}`)

// placeholderText is one setting that may hold placeholders, and the key
// that names it.
type placeholderText struct {
	key  string // the option key: command, env, ready, live
	text string
}

// placeholderTexts lists the settings of c in which tether replaces
// placeholders: the arguments, the env values and the probes.
func placeholderTexts(c *sidecarConfig) []placeholderText {
	var out []placeholderText
	for _, a := range c.command[1:] {
		out = append(out, placeholderText{"command", a})
	}
	for _, kv := range c.spec.Env {
		out = append(out, placeholderText{"env", kv})
	}
	if c.spec.StopRequest != "" {
		out = append(out, placeholderText{"stop_request", c.spec.StopRequest})
	}
	for _, p := range []struct {
		key   string
		probe tether.Probe
	}{{"ready", c.spec.Ready}, {"live", c.spec.Live}} {
		if !p.probe.IsZero() && !strings.HasPrefix(p.probe.String(), "log:") {
			out = append(out, placeholderText{p.key, p.probe.String()})
		}
	}
	if c.spec.StopRequest != "" {
		out = append(out, placeholderText{"stop_request", c.spec.StopRequest})
	}
	return out
}

// checkPortPlaceholder refuses {port} in a sidecar that has no port: there
// would be nothing to put in its place. where names a key as the user
// gave it, and sep goes between it and a value.
func checkPortPlaceholder(c *sidecarConfig, where func(key string) string, sep string) error {
	if c.spec.Port != 0 {
		return nil
	}
	for _, t := range placeholderTexts(c) {
		if strings.Contains(t.text, "{port}") {
			what := where(t.key) + sep + strconv.Quote(t.text)
			if t.key == "command" {
				what = where(t.key) + " argument " + strconv.Quote(t.text)
			}
			return fmt.Errorf("%s: {port} needs %s: there is no port to put in its place (use %s)",
				what, where("port"), portHint(where("port"), sep))
		}
	}
	return nil
}

// portHint says how to give a sidecar a port, as a flag or as a key.
func portHint(port, sep string) string {
	if sep == " " {
		return port + " auto, or " + port + " N for a fixed port"
	}
	return port + ` = "auto", or ` + port + " = N for a fixed port"
}

// checkNoOtherPorts refuses {NAME.port} in tether run, which supervises
// one sidecar: there is no other sidecar whose port it could be.
func checkNoOtherPorts(c *sidecarConfig, where func(key string) string) error {
	for _, t := range placeholderTexts(c) {
		if m := otherPort.FindString(t.text); m != "" {
			return fmt.Errorf("%s %s: %s is the port of another sidecar, which only tether up has; tether run supervises one sidecar: use {port} with --port",
				where(t.key), strconv.Quote(t.text), m)
		}
	}
	return nil
}

// portWarning returns a one-line warning when c picks a port automatically
// but nothing tells the sidecar which: no {port} in its arguments, env
// values or probes, and no mention of TETHER_PORT. "" when all is well.
func portWarning(c *sidecarConfig, what string) string {
	if c.spec.Port != tether.PortAuto {
		return ""
	}
	for _, t := range placeholderTexts(c) {
		if strings.Contains(t.text, "{port}") || strings.Contains(t.text, "TETHER_PORT") {
			return ""
		}
	}
	return fmt.Sprintf("tether: warning: %s picks a free port for %s, but {port} appears nowhere (arguments, env values, probes): the sidecar cannot know its port unless it reads $TETHER_PORT", what, c.name)
}

// checkMemberPorts checks each {NAME.port} of a tether up config: NAME must
// be a sidecar of the file, in the depends_on of the sidecar that uses it,
// and have a port. byName holds every sidecar of the file; order lists
// their names.
func checkMemberPorts(sc *sidecarConfig, byName map[string]*sidecarConfig, order []string) error {
	where := "sidecar." + quoteKey(sc.name) + "."
	for _, t := range placeholderTexts(sc) {
		for _, m := range otherPort.FindAllStringSubmatch(t.text, -1) {
			placeholder, name := m[0], m[1]
			what := where + t.key + " = " + strconv.Quote(t.text)
			if t.key == "command" {
				what = where + "command argument " + strconv.Quote(t.text)
			}
			dep := byName[name]
			switch {
			case dep == nil:
				return fmt.Errorf("%s: %s names no sidecar of this file (sidecars here: %s)", what, placeholder, strings.Join(order, ", "))
			case !slices.Contains(sc.dependsOn, name):
				return fmt.Errorf("%s: %s is the port of %s, which is not in %sdepends_on: add it, so that %s starts once %s is ready", what, placeholder, name, where, sc.name, name)
			case dep.spec.Port == 0:
				return fmt.Errorf("%s: %s is the port of %s, which has none: give it sidecar.%s.port", what, placeholder, name, quoteKey(name))
			}
		}
	}
	return nil
}
