package probe

import "syscall"

// setDeathSignal asks the kernel to kill the command if the thread that
// started it dies, as it does when this process is killed. Go's threads do not
// exit while the process lives unless a goroutine that locked one returns
// (golang/go#27505); Exec must not be called from such a goroutine.
func setDeathSignal(a *syscall.SysProcAttr) { a.Pdeathsig = syscall.SIGKILL }
