//go:build !unix && !windows

package proc

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
)

type sysGroup struct{}

func (s *sysGroup) start(*exec.Cmd, Limits) error {
	return fmt.Errorf("proc: start: %w", errors.ErrUnsupported)
}

func (s *sysGroup) signal(*Group, os.Signal) error { return errors.ErrUnsupported }

func (s *sysGroup) send(*Group, os.Signal) error { return errors.ErrUnsupported }

func (s *sysGroup) kill(*Group) error { return errors.ErrUnsupported }

func (s *sysGroup) alive(*Group) bool { return false }

func (s *sysGroup) release() {}

func (s *sysGroup) mode() string { return "unsupported" }

func interruptRead(r *os.File) { _ = r.Close() }

func drainNonblocking(*os.File, []byte, int, func([]byte)) {}

func (s *sysGroup) oomKilled() bool { return false }
