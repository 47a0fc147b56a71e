//go:build !unix && !windows

package probe

import (
	"errors"
	"fmt"
)

// listenNotify is unsupported: Go has no unix datagram sockets here.
func listenNotify() (*Notify, error) {
	return nil, fmt.Errorf("probe: notify socket: unix datagram sockets: %w", errors.ErrUnsupported)
}
