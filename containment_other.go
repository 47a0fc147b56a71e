//go:build !linux && !windows

package tether

// containmentSupported reports whether c exists on this system: the
// process group only, outside Linux.
func containmentSupported(c Containment) bool {
	return c == ContainmentAuto || c == ContainmentGroup
}
