//go:build unix

package probe

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// notifyClient returns a datagram socket connected to n, as sd_notify uses.
func notifyClient(t *testing.T, n *Notify) *net.UnixConn {
	t.Helper()
	c, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: n.Path(), Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func send(t *testing.T, c *net.UnixConn, msg string) {
	t.Helper()
	if _, err := c.Write([]byte(msg)); err != nil {
		t.Fatalf("send %.20q: %v", msg, err)
	}
}

func requireReady(t *testing.T, n *Notify) {
	t.Helper()
	select {
	case <-n.Ready():
	case <-time.After(5 * time.Second):
		t.Fatal("READY=1 was not seen")
	}
}

func requireNotReady(t *testing.T, n *Notify) {
	t.Helper()
	// Any bug has had 100 ms to show; a slow machine can only hide one,
	// never fail a correct implementation.
	select {
	case <-n.Ready():
		t.Fatal("ready without READY=1")
	case <-time.After(100 * time.Millisecond):
	}
}

func TestNotifyReady(t *testing.T) {
	t.Parallel()
	n, err := ListenNotify()
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	dir := filepath.Dir(n.Path())
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o700 || !fi.IsDir() {
		t.Errorf("socket directory %s has mode %v, want drwx------", dir, fi.Mode())
	}
	if !filepath.IsAbs(n.Path()) {
		t.Errorf("path %s is not absolute", n.Path())
	}

	c := notifyClient(t, n)
	send(t, c, "STATUS=starting\nMAINPID=1234")
	send(t, c, "WATCHDOG=1")
	requireNotReady(t, n)
	send(t, c, "STATUS=x\nREADY=1")
	requireReady(t, n)
	// The loop keeps reading after READY=1: a chatty sidecar never
	// blocks on a full socket.
	c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	for range 2000 {
		send(t, c, "STATUS=still here\nWATCHDOG=1")
	}

	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket directory left after Close: %v", err)
	}
	if err := n.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestNotifyIgnoresGarbage(t *testing.T) {
	t.Parallel()
	n, err := ListenNotify()
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	c := notifyClient(t, n)
	for _, msg := range []string{
		"READY=0",
		"READY=1x",
		"xREADY=1",
		" READY=1",
		"READY=1\r\n",
		"READY = 1",
		"ready=1",
		"\x00\xff\xfe garbage \x00READY=1",
		"",
		strings.Repeat("=", 3000),
		"READY=1\x00",
	} {
		send(t, c, msg)
	}
	// A datagram too long to read whole is ignored, READY=1 or not.
	huge := "READY=1\n" + strings.Repeat("X", maxDatagram)
	if _, err := c.Write([]byte(huge)); err != nil {
		// macOS caps unix datagrams at 2 KiB by default.
		t.Logf("cannot send a %d-byte datagram here: %v", len(huge), err)
	}
	requireNotReady(t, n)
	send(t, c, "STATUS=x\nREADY=1\n")
	requireReady(t, n)
}

// A file descriptor passed with a message (FDSTORE=1) is closed at once: the
// write end of a pipe sent over the socket stops holding the pipe open.
func TestNotifyClosesPassedDescriptors(t *testing.T) {
	t.Parallel()
	n, err := ListenNotify()
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	// As sd_pid_notify_with_fds does: sendmsg on an unconnected socket.
	s, err := unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	err = unix.Sendmsg(s, []byte("FDSTORE=1\nREADY=1"), unix.UnixRights(int(w.Fd())), &unix.SockaddrUnix{Name: n.Path()}, 0)
	unix.Close(s)
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	requireReady(t, n)
	r.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := r.Read(make([]byte, 1)); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("read of the pipe: %v; want EOF: the passed descriptor was kept open", err)
	}
}

// $XDG_RUNTIME_DIR is used when set. Not parallel: it sets the environment.
func TestNotifyUsesXDGRuntimeDir(t *testing.T) {
	base, err := os.MkdirTemp("", "xdg")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(base)
	t.Setenv("XDG_RUNTIME_DIR", base)
	n, err := ListenNotify()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(n.Path(), base+string(filepath.Separator)) {
		t.Errorf("path %s is not under $XDG_RUNTIME_DIR %s", n.Path(), base)
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(base); len(entries) != 0 {
		t.Errorf("left in $XDG_RUNTIME_DIR: %v", entries)
	}

	t.Setenv("XDG_RUNTIME_DIR", "relative/dir")
	n, err = ListenNotify()
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	if !strings.HasPrefix(n.Path(), os.TempDir()) {
		t.Errorf("with a relative $XDG_RUNTIME_DIR, path %s is not under %s", n.Path(), os.TempDir())
	}
}
