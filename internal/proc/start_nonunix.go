//go:build !unix

package proc

import (
	"errors"
	"fmt"
	"runtime"
)

// startSys starts g's child. Here the containment is fixed (on Windows a job
// object), so only ModeAuto is accepted.
func startSys(g *Group, a Attr) error {
	if a.Containment != ModeAuto {
		return fmt.Errorf("%w: %s: only auto exists on %s: %w", ErrUnavailable, a.Containment, runtime.GOOS, errors.ErrUnsupported)
	}
	g.cmd = newCmd(a)
	return g.sys.start(g.cmd, a.Limits)
}
