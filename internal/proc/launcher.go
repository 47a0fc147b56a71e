package proc

// A Launcher starts children. On Linux every Launcher of the process forks
// through one goroutine locked to its OS thread, which lives while any
// Launcher is open, because the parent-death signal follows the thread that
// forked, not the process (golang/go#27505): a child started from a thread
// that later exits would be killed at once. One thread serves them all, so
// a thousand Supervisors cost one thread, not a thousand. Elsewhere it starts
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

// Close releases the launcher. Call it once every child it started is gone
// and its Group released: on Linux, when the last Launcher of the process
// closes, the forking thread ends (which would fire the parent-death signal
// of live children), and the watcher kills what is still recorded as it
// exits.
func (l *Launcher) Close() {
	l.l.close()
	hostRelease()
}
