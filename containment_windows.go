package tether

// containmentSupported reports whether c exists on this system: on Windows
// the containment is always a job object, asked for as ContainmentAuto.
func containmentSupported(c Containment) bool { return c == ContainmentAuto }
