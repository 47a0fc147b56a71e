//go:build unix

package proc

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// sysGroup on unix is a process group led by the child. Its id stays
// reserved while any member (or the unreaped leader) exists; once the leader
// is reaped, a signal to the group is safe as long as members remain, and a
// recycled id would need the kernel to cycle through the whole pid space
// between two of our checks (milliseconds apart), which cannot happen.
type sysGroup struct {
	pgid int
}

func (s *sysGroup) start(cmd *exec.Cmd) error {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	setPlatformAttr(cmd.SysProcAttr)
	if err := cmd.Start(); err != nil {
		return err
	}
	s.pgid = cmd.Process.Pid
	return nil
}

func (s *sysGroup) signal(g *Group, sig os.Signal) error {
	ssig, ok := sig.(syscall.Signal)
	if !ok {
		return fmt.Errorf("proc: unsupported signal %v", sig)
	}
	if err := unix.Kill(-s.pgid, ssig); err != nil {
		if errors.Is(err, unix.ESRCH) {
			return ErrGroupGone
		}
		return fmt.Errorf("proc: signal %v to process group %d: %w", sig, s.pgid, err)
	}
	// Like systemd, follow a stop signal with SIGCONT so that stopped
	// members can act on it.
	if ssig != unix.SIGKILL && ssig != unix.SIGCONT && ssig != 0 {
		_ = unix.Kill(-s.pgid, unix.SIGCONT)
	}
	return nil
}

func (s *sysGroup) kill(g *Group) error { return s.signal(g, unix.SIGKILL) }

func (s *sysGroup) alive(g *Group) bool {
	if err := unix.Kill(-s.pgid, 0); errors.Is(err, unix.ESRCH) {
		return false
	}
	return groupHasLiveMember(s.pgid)
}

func (s *sysGroup) release() {}

func (s *sysGroup) mode() string { return "process-group" }

func interruptRead(r *os.File) {
	_ = r.SetReadDeadline(time.Now())
}

func drainNonblocking(r *os.File, buf []byte, limit int, fn func([]byte)) {
	_ = r.SetReadDeadline(time.Time{})
	rc, err := r.SyscallConn()
	if err != nil {
		return
	}
	for limit > 0 {
		var n int
		var rerr error
		err := rc.Read(func(fd uintptr) bool {
			n, rerr = unix.Read(int(fd), buf)
			return true // never wait for more
		})
		if err != nil || rerr != nil || n <= 0 {
			return
		}
		fn(buf[:n])
		limit -= n
	}
}
