package tether

import "errors"

// ParseProbe parses a probe in the command line's form. (Being written.)
func ParseProbe(s string) (Probe, error) {
	return Probe{}, errors.New("tether: ParseProbe: not yet implemented")
}
