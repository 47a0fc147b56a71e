//go:build unix

package sidecar

import (
	"errors"
	"net"
)

// send writes msg as one datagram to the unix socket at path (a leading @
// names an abstract socket, as with systemd).
func send(path string, msg []byte) error {
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		return err
	}
	_, err = conn.Write(msg)
	return errors.Join(err, conn.Close())
}
