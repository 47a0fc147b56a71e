//go:build unix

package sidecar

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// listen opens a unixgram socket like tether's and returns it with its path.
func listen(t *testing.T) (*net.UnixConn, string) {
	path := filepath.Join(t.TempDir(), "notify.sock")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn, path
}

func read(t *testing.T, conn *net.UnixConn, d time.Duration) (string, error) {
	buf := make([]byte, 8192)
	conn.SetReadDeadline(time.Now().Add(d))
	n, err := conn.Read(buf)
	return string(buf[:n]), err
}

func TestNotifyUnix(t *testing.T) {
	conn, path := listen(t)
	e := Env{NotifySocket: path}
	if err := e.Ready(); err != nil {
		t.Fatal(err)
	}
	if err := e.Notify("STATUS=loading\nWATCHDOG=1"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"READY=1", "STATUS=loading\nWATCHDOG=1"} {
		if got, err := read(t, conn, 10*time.Second); err != nil || got != want {
			t.Errorf("got %q, %v; want %q", got, err, want)
		}
	}
	if err := e.Notify(strings.Repeat("x", 5000)); err == nil {
		t.Error("a 5000-byte message was sent")
	}
	missing := Env{NotifySocket: filepath.Join(t.TempDir(), "none.sock")}
	if err := missing.Ready(); err == nil || !strings.Contains(err.Error(), "none.sock") {
		t.Errorf("a missing socket: %v", err)
	}
}

// Watchdog pings every half period while alive answers, none while it
// does not.
func TestWatchdogPings(t *testing.T) {
	conn, path := listen(t)
	e := Env{NotifySocket: path, WatchdogInterval: 200 * time.Millisecond}
	ctx, cancel := context.WithCancel(context.Background())
	healthy := make(chan bool, 1)
	healthy <- true
	alive := func(ctx context.Context) error {
		ok := <-healthy
		healthy <- ok
		if !ok {
			return errors.New("blocked")
		}
		return nil
	}
	done := make(chan error)
	go func() { done <- e.Watchdog(ctx, alive) }()
	for i := 0; i < 3; i++ {
		if got, err := read(t, conn, 10*time.Second); err != nil || got != "WATCHDOG=1" {
			t.Fatalf("ping %d: %q, %v", i, got, err)
		}
	}
	<-healthy
	healthy <- false
	read(t, conn, 300*time.Millisecond) // one ping may have been in flight
	if got, err := read(t, conn, 500*time.Millisecond); err == nil {
		t.Errorf("a ping (%q) while alive failed", got)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Watchdog returned %v", err)
	}
}
