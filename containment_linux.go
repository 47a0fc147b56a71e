package tether

// containmentSupported reports whether c exists on this system.
func containmentSupported(c Containment) bool {
	return c >= ContainmentAuto && c <= ContainmentGroup
}
