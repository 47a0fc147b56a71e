package tether

import (
	"strings"
	"testing"
)

func TestContainmentText(t *testing.T) {
	t.Parallel()
	for _, c := range []Containment{ContainmentAuto, ContainmentCgroup, ContainmentSubreaper, ContainmentGroup} {
		text, err := c.MarshalText()
		var got Containment
		if err != nil || got.UnmarshalText(text) != nil || got != c || string(text) != c.String() {
			t.Errorf("%v: MarshalText = %q, %v; read back as %v", c, text, err, got)
		}
	}
	var c Containment
	if err := c.UnmarshalText([]byte("jail")); err == nil || !strings.Contains(err.Error(), "want auto, cgroup, subreaper or group") {
		t.Errorf(`UnmarshalText("jail") = %v`, err)
	}
	if _, err := Containment(9).MarshalText(); err == nil {
		t.Error("Containment(9).MarshalText succeeded")
	}
	if err := (&Spec{Command: "x", Containment: Containment(9)}).Validate(); err == nil || !strings.Contains(err.Error(), "Containment") {
		t.Errorf("Validate with Containment(9) = %v", err)
	}
}

// RestartPolicy reads and writes its names, and refuses others.
func TestRestartPolicyText(t *testing.T) {
	t.Parallel()
	for _, p := range []RestartPolicy{RestartAlways, RestartOnFailure, RestartNever} {
		text, err := p.MarshalText()
		var got RestartPolicy
		if err != nil || got.UnmarshalText(text) != nil || got != p || string(text) != p.String() {
			t.Errorf("%v: MarshalText = %q, %v; read back as %v", p, text, err, got)
		}
	}
	var p RestartPolicy
	if err := p.UnmarshalText([]byte("sometimes")); err == nil || !strings.Contains(err.Error(), "want always, on-failure or never") {
		t.Errorf(`UnmarshalText("sometimes") = %v`, err)
	}
}
