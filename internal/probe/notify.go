package probe

import (
	"bytes"
	"errors"
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
//
// On Windows the socket is a named pipe, \\.\pipe\tether-notify-<random>:
// a sidecar opens it for writing (CreateFile, or open()), writes one message,
// and closes it; Notify accepts such connections one after another for as
// long as it is open. Only processes of the same user (and administrators)
// may write to it.
type Notify struct {
	path     string
	ready    chan struct{} // closed on READY=1
	watchdog chan struct{} // one pending value: WATCHDOG=1 arrived
	done     chan struct{} // closed when the read loop has returned
	isReady  bool          // read loop only

	// Set by the platform's listenNotify: stop ends the read loop's
	// transport; cleanup removes what is left once the loop has returned.
	stop    func() error
	cleanup func() error

	closeOnce sync.Once
	closeErr  error
}

func newNotify(path string) *Notify {
	return &Notify{
		path:     path,
		ready:    make(chan struct{}),
		watchdog: make(chan struct{}, 1),
		done:     make(chan struct{}),
		stop:     func() error { return nil },
		cleanup:  func() error { return nil },
	}
}

// ListenNotify creates a private directory (mode 0700) under
// $XDG_RUNTIME_DIR if that is set, else under os.TempDir(), and a unix
// datagram socket in it; on Windows, a named pipe. Close the Notify when
// done with it.
func ListenNotify() (*Notify, error) { return listenNotify() }

// Path returns the socket's absolute path (the pipe's name on Windows), the
// value for $NOTIFY_SOCKET.
func (n *Notify) Path() string { return n.path }

// Ready returns a channel that is closed once a datagram has held a line that
// is exactly "READY=1". sd_notify sends newline-separated KEY=VALUE lines in
// one datagram; other lines (STATUS=, MAINPID=, WATCHDOG=1, anything else)
// are ignored, as are datagrams longer than 4 KiB. File descriptors passed
// with a message (FDSTORE=1) are closed at once.
func (n *Notify) Ready() <-chan struct{} { return n.ready }

// Watchdog returns a channel that receives a value after a message held a
// line "WATCHDOG=1" (sd_notify's keep-alive). It holds one value at most:
// pings that come while one is pending are merged into it.
func (n *Notify) Watchdog() <-chan struct{} { return n.watchdog }

// Close closes the socket, waits for the read loop to end, and removes the
// socket and its directory. Calling it again returns the first result.
func (n *Notify) Close() error {
	n.closeOnce.Do(func() {
		err := n.stop()
		<-n.done
		n.closeErr = errors.Join(err, n.cleanup())
	})
	return n.closeErr
}

// handle takes one message: newline-separated KEY=VALUE lines. Only the read
// loop calls it.
func (n *Notify) handle(msg []byte) {
	for line := range bytes.SplitSeq(msg, []byte{'\n'}) {
		switch string(line) {
		case "READY=1":
			if !n.isReady {
				n.isReady = true
				close(n.ready)
			}
		case "WATCHDOG=1":
			select {
			case n.watchdog <- struct{}{}:
			default: // one is pending already
			}
		}
	}
}
