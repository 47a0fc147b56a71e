//go:build !unix

package proc

// RunWatcherIfRequested does nothing here: on Windows the job object's
// kill-on-close does the watcher's work, in the kernel.
func RunWatcherIfRequested() {}

func hostAcquire() {}
func hostRelease() {}
