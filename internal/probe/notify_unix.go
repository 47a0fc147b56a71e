//go:build unix

package probe

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// maxSocketPath is the longest socket path every unix takes (sun_path is 104
// bytes on the BSDs and macOS, 108 on Linux, both with the final NUL).
const maxSocketPath = 103

func listenNotify() (*Notify, error) {
	bases := []string{os.TempDir(), "/tmp"}
	if d := os.Getenv("XDG_RUNTIME_DIR"); filepath.IsAbs(d) {
		bases = append([]string{d}, bases...)
	}
	var err error
	for _, base := range bases {
		var n *Notify
		if n, err = listenNotifyIn(base); err == nil {
			return n, nil
		}
	}
	return nil, err
}

func listenNotifyIn(base string) (*Notify, error) {
	const name = "notify"
	// The directory name is base + "/tether-" + a 10-digit number.
	if len(base)+len("/tether-0123456789/")+len(name) > maxSocketPath {
		return nil, fmt.Errorf("probe: notify socket: directory %s: path too long for a socket", base)
	}
	dir, err := os.MkdirTemp(base, "tether-") // mode 0700
	if err != nil {
		return nil, fmt.Errorf("probe: notify socket: %w", err)
	}
	path := filepath.Join(dir, name)
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("probe: notify socket: %w", err)
	}
	n := newNotify(path)
	n.stop = conn.Close
	n.cleanup = func() error { return errors.Join(os.Remove(path), os.Remove(dir)) }
	go n.loop(conn)
	return n, nil
}

// loop reads datagrams until the socket is closed.
func (n *Notify) loop(conn *net.UnixConn) {
	defer close(n.done)
	buf := make([]byte, maxDatagram+1)
	oob := make([]byte, unix.CmsgSpace(64*4))
	for {
		nr, noob, flags, _, err := conn.ReadMsgUnix(buf, oob)
		if noob > 0 {
			closeRights(oob[:noob])
		}
		if err != nil {
			// Closed, or broken for good: either way nothing more will
			// come, and Close still cleans up.
			return
		}
		if flags&unix.MSG_TRUNC != 0 || nr > maxDatagram {
			continue
		}
		n.handle(buf[:nr])
	}
}

// closeRights closes file descriptors passed in control messages
// (sd_notify's FDSTORE=1): this process has no use for them.
func closeRights(oob []byte) {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return
	}
	for i := range msgs {
		fds, err := unix.ParseUnixRights(&msgs[i])
		if err != nil {
			continue
		}
		for _, fd := range fds {
			_ = unix.Close(fd)
		}
	}
}
