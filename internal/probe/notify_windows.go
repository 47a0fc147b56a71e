package probe

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"golang.org/x/sys/windows"
)

// clientTimeout bounds how long one client of the notify pipe may take to
// write its message and close: a client that connects and then stalls must
// not keep the others out for long.
const clientTimeout = 2 * time.Second

// pipeServer is the named pipe's server side: one instance listening at a
// time, overlapped, so that Close (quit) interrupts every wait.
type pipeServer struct {
	name *uint16
	quit windows.Handle // manual-reset event, set by Close
	io   windows.Handle // the overlapped operations' event
}

func listenNotify() (*Notify, error) {
	var rnd [8]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return nil, fmt.Errorf("probe: notify pipe: %w", err)
	}
	path := `\\.\pipe\tether-notify-` + hex.EncodeToString(rnd[:])
	name, err := windows.UTF16PtrFromString(path)
	if err != nil {
		return nil, fmt.Errorf("probe: notify pipe: %w", err)
	}
	ps := &pipeServer{name: name}
	if ps.quit, err = windows.CreateEvent(nil, 1, 0, nil); err != nil {
		return nil, fmt.Errorf("probe: notify pipe: %w", err)
	}
	if ps.io, err = windows.CreateEvent(nil, 1, 0, nil); err != nil {
		windows.CloseHandle(ps.quit)
		return nil, fmt.Errorf("probe: notify pipe: %w", err)
	}
	first, err := ps.instance(true)
	if err != nil {
		windows.CloseHandle(ps.quit)
		windows.CloseHandle(ps.io)
		return nil, err
	}
	n := newNotify(path)
	n.stop = func() error { return windows.SetEvent(ps.quit) }
	n.cleanup = func() error {
		return errors.Join(windows.CloseHandle(ps.quit), windows.CloseHandle(ps.io))
	}
	go n.serve(ps, first)
	return n, nil
}

// instance creates one instance of the pipe: inbound, byte mode, local
// clients only, with the default security (full control for this user,
// administrators and SYSTEM; read only for everyone else, who therefore
// cannot write to it). The first instance must be the pipe's first: a name
// someone else already holds is an error, not a pipe shared with them.
func (ps *pipeServer) instance(first bool) (windows.Handle, error) {
	flags := uint32(windows.PIPE_ACCESS_INBOUND | windows.FILE_FLAG_OVERLAPPED)
	if first {
		flags |= windows.FILE_FLAG_FIRST_PIPE_INSTANCE
	}
	h, err := windows.CreateNamedPipe(ps.name, flags,
		windows.PIPE_TYPE_BYTE|windows.PIPE_READMODE_BYTE|windows.PIPE_WAIT|windows.PIPE_REJECT_REMOTE_CLIENTS,
		windows.PIPE_UNLIMITED_INSTANCES, 0, maxDatagram, 0, nil)
	if err != nil {
		return windows.InvalidHandle, fmt.Errorf("probe: notify pipe: %w", err)
	}
	return h, nil
}

// serve accepts clients one after another until Close: each writes one
// message and closes. A new instance listens as soon as a client is
// connected, so a client rarely finds the pipe busy.
func (n *Notify) serve(ps *pipeServer, h windows.Handle) {
	defer close(n.done)
	buf := make([]byte, maxDatagram+1)
	for {
		if !ps.connect(h) {
			windows.CloseHandle(h)
			return
		}
		next, err := ps.instance(false)
		msg, ok := ps.readAll(h, buf)
		windows.DisconnectNamedPipe(h)
		windows.CloseHandle(h)
		if ok {
			n.handle(msg)
		}
		if err != nil || ps.quitting() {
			if err == nil {
				windows.CloseHandle(next)
			}
			return
		}
		h = next
	}
}

func (ps *pipeServer) quitting() bool {
	ev, _ := windows.WaitForSingleObject(ps.quit, 0)
	return ev == windows.WAIT_OBJECT_0
}

// wait waits for the overlapped operation o on h, for at most timeout
// (INFINITE for none), and reports its byte count; ok is false when it
// failed, timed out, or Close came first (the operation is then cancelled).
func (ps *pipeServer) wait(h windows.Handle, o *windows.Overlapped, timeout uint32) (n uint32, ok bool) {
	ev, err := windows.WaitForMultipleObjects([]windows.Handle{ps.io, ps.quit}, false, timeout)
	if err != nil || ev != windows.WAIT_OBJECT_0 {
		windows.CancelIoEx(h, o)
		windows.GetOverlappedResult(h, o, &n, true) // wait for the cancel to land
		return 0, false
	}
	if err := windows.GetOverlappedResult(h, o, &n, false); err != nil {
		return n, false
	}
	return n, true
}

// connect waits for a client on h; false means Close came first.
func (ps *pipeServer) connect(h windows.Handle) bool {
	windows.ResetEvent(ps.io)
	o := &windows.Overlapped{HEvent: ps.io}
	err := windows.ConnectNamedPipe(h, o)
	switch {
	case err == nil, errors.Is(err, windows.ERROR_PIPE_CONNECTED),
		errors.Is(err, windows.ERROR_NO_DATA):
		// Connected before we asked; with ERROR_NO_DATA the client has
		// closed already, and what it wrote is still there to read.
		return !ps.quitting()
	case errors.Is(err, windows.ERROR_IO_PENDING):
		_, ok := ps.wait(h, o, windows.INFINITE)
		return ok
	}
	// A broken instance: wait for Close rather than spin.
	windows.WaitForSingleObject(ps.quit, windows.INFINITE)
	return false
}

// readAll reads one client's message, up to its close. A message longer
// than maxDatagram, or one that is not done within clientTimeout, is
// dropped whole (ok false).
func (ps *pipeServer) readAll(h windows.Handle, buf []byte) (msg []byte, ok bool) {
	deadline := time.Now().Add(clientTimeout)
	got := 0
	for got < len(buf) {
		left := time.Until(deadline)
		if left <= 0 {
			return nil, false
		}
		windows.ResetEvent(ps.io)
		o := &windows.Overlapped{HEvent: ps.io}
		var n uint32
		err := windows.ReadFile(h, buf[got:], &n, o)
		switch {
		case err == nil:
			windows.GetOverlappedResult(h, o, &n, false)
		case errors.Is(err, windows.ERROR_IO_PENDING):
			var done bool
			if n, done = ps.wait(h, o, uint32(left/time.Millisecond)+1); !done {
				if errors.Is(lastOverlappedError(h, o), windows.ERROR_BROKEN_PIPE) {
					return buf[:got], true
				}
				return nil, false
			}
		case errors.Is(err, windows.ERROR_BROKEN_PIPE):
			return buf[:got], true // the client closed: the message is whole
		default:
			return nil, false
		}
		got += int(n)
	}
	return nil, false // too long
}

// lastOverlappedError is the result of a finished overlapped operation.
func lastOverlappedError(h windows.Handle, o *windows.Overlapped) error {
	var n uint32
	return windows.GetOverlappedResult(h, o, &n, false)
}
