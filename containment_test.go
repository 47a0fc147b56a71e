package tether

import (
	"strings"
	"testing"
)

func TestParseContainment(t *testing.T) {
	t.Parallel()
	for _, c := range []Containment{ContainmentAuto, ContainmentCgroup, ContainmentSubreaper, ContainmentGroup} {
		got, err := ParseContainment(c.String())
		if err != nil || got != c {
			t.Errorf("ParseContainment(%q) = %v, %v", c.String(), got, err)
		}
	}
	if _, err := ParseContainment("jail"); err == nil {
		t.Error(`ParseContainment("jail") succeeded`)
	}
	if err := (&Spec{Command: "x", Containment: Containment(9)}).Validate(); err == nil || !strings.Contains(err.Error(), "Containment") {
		t.Errorf("Validate with Containment(9) = %v", err)
	}
}
