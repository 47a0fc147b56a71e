package proc

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
)

// sysGroup on Windows is, for now, the direct child only. The job object
// (kill on close, created suspended, assigned, resumed) is the containment
// issue's; this file keeps the seam.
type sysGroup struct{}

func (s *sysGroup) start(cmd *exec.Cmd) error { return cmd.Start() }

func (s *sysGroup) signal(g *Group, sig os.Signal) error {
	if sig == os.Kill {
		return s.kill(g)
	}
	return fmt.Errorf("proc: signal %v: %w", sig, errors.ErrUnsupported)
}

func (s *sysGroup) kill(g *Group) error {
	err := g.cmd.Process.Kill()
	if errors.Is(err, os.ErrProcessDone) {
		return ErrGroupGone
	}
	return err
}

func (s *sysGroup) alive(*Group) bool { return false }

func (s *sysGroup) release() {}

func (s *sysGroup) mode() string { return "process" }

func interruptRead(r *os.File) { _ = r.Close() }

func drainNonblocking(*os.File, []byte, int, func([]byte)) {}
