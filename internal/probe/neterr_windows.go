package probe

import (
	"errors"
	"syscall"

	"golang.org/x/sys/windows"
)

// isRefused reports whether err says the peer refused the connection. On
// Windows the socket error is WSAECONNREFUSED, which syscall.ECONNREFUSED
// (an invented value) does not match.
func isRefused(err error) bool {
	return errors.Is(err, windows.WSAECONNREFUSED) || errors.Is(err, syscall.ECONNREFUSED)
}

// isReset reports whether err says the peer reset the connection.
func isReset(err error) bool {
	return errors.Is(err, windows.WSAECONNRESET) || errors.Is(err, syscall.ECONNRESET)
}
