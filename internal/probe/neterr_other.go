//go:build !windows

package probe

import (
	"errors"
	"syscall"
)

// isRefused reports whether err says the peer refused the connection.
func isRefused(err error) bool { return errors.Is(err, syscall.ECONNREFUSED) }

// isReset reports whether err says the peer reset the connection.
func isReset(err error) bool { return errors.Is(err, syscall.ECONNRESET) }
