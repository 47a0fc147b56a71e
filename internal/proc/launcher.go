package proc

// A Launcher starts children. On Linux it owns one goroutine locked to its OS
// thread for its whole life, because the parent-death signal follows the
// thread that forked, not the process (golang/go#27505): a child started from
// a thread that later exits would be killed at once. Elsewhere it starts
// children directly.
//
// While any Launcher of the process is open, the process's watcher (see
// RunWatcherIfRequested) may run; it is started with the first child and
// stopped when the last Launcher closes. Close ends it; a Launcher must not be
// used after Close.
type Launcher struct {
	l launcher
}

// NewLauncher returns a ready Launcher.
func NewLauncher() *Launcher {
	hostAcquire()
	return &Launcher{l: newLauncher()}
}

// Start starts the child described by a in a new containment unit.
func (l *Launcher) Start(a Attr) (*Group, error) { return l.l.start(a) }

// Close releases the launcher's goroutine. Call it once every child it
// started is gone and its Group released: on Linux the children's
// parent-death signal fires when the launcher's thread ends, and when the
// last Launcher of the process closes, the watcher kills what is still
// recorded as it exits.
func (l *Launcher) Close() {
	l.l.close()
	hostRelease()
}
