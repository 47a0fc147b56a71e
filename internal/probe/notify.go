package probe

import (
	"bytes"
	"errors"
	"net"
	"os"
	"sync"
)

// maxDatagram is the largest notify message read; longer ones are ignored
// whole. sd_notify messages are small (systemd itself caps them at 4 KiB).
const maxDatagram = 4 << 10

// Notify is a unix datagram socket that a sidecar reports readiness to, as
// it would to systemd through sd_notify: the sidecar is told the socket's
// path in $NOTIFY_SOCKET and sends "READY=1".
//
// The socket lives in a directory of its own with mode 0700, so only
// processes of the same user can send to it. Messages are read for as long as
// the socket is open, even after READY=1, so a sidecar that keeps sending
// (STATUS=, WATCHDOG=1) never blocks on a full socket.
type Notify struct {
	dir, path string
	conn      *net.UnixConn
	ready     chan struct{} // closed on READY=1
	done      chan struct{} // closed when the read loop has returned

	closeOnce sync.Once
	closeErr  error
}

// ListenNotify creates a private directory (mode 0700) under
// $XDG_RUNTIME_DIR if that is set, else under os.TempDir(), and a unix
// datagram socket in it. On Windows it returns an error matching
// errors.ErrUnsupported. Close the Notify when done with it.
func ListenNotify() (*Notify, error) { return listenNotify() }

// Path returns the socket's absolute path, the value for $NOTIFY_SOCKET.
func (n *Notify) Path() string { return n.path }

// Ready returns a channel that is closed once a datagram has held a line that
// is exactly "READY=1". sd_notify sends newline-separated KEY=VALUE lines in
// one datagram; other lines (STATUS=, MAINPID=, WATCHDOG=1, anything else)
// are ignored, as are datagrams longer than 4 KiB. File descriptors passed
// with a message (FDSTORE=1) are closed at once.
func (n *Notify) Ready() <-chan struct{} { return n.ready }

// Close closes the socket, waits for the read loop to end, and removes the
// socket and its directory. Calling it again returns the first result.
func (n *Notify) Close() error {
	n.closeOnce.Do(func() {
		err := n.conn.Close()
		<-n.done
		n.closeErr = errors.Join(err, os.Remove(n.path), os.Remove(n.dir))
	})
	return n.closeErr
}

// hasReady reports whether the datagram msg holds a line "READY=1".
func hasReady(msg []byte) bool {
	for line := range bytes.SplitSeq(msg, []byte{'\n'}) {
		if string(line) == "READY=1" {
			return true
		}
	}
	return false
}
