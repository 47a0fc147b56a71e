package probe

import (
	"os"
	"strings"
	"testing"
	"time"
)

// pipeSend writes msg to the notify pipe as a sidecar does: open, write one
// message, close.
func pipeSend(t *testing.T, n *Notify, msg string) {
	t.Helper()
	var f *os.File
	var err error
	for range 100 { // the pipe may be busy for an instant between clients
		if f, err = os.OpenFile(n.Path(), os.O_WRONLY, 0); err == nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("open %s: %v", n.Path(), err)
	}
	if _, err := f.Write([]byte(msg)); err != nil {
		t.Fatalf("write: %v", err)
	}
	if err := f.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
}

func waitFor(t *testing.T, c <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-c:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s was not seen", what)
	}
}

func TestNotifyPipe(t *testing.T) {
	n, err := ListenNotify()
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	if !strings.HasPrefix(n.Path(), `\\.\pipe\tether-notify-`) {
		t.Errorf("path %q", n.Path())
	}
	pipeSend(t, n, "STATUS=warming up")
	select {
	case <-n.Ready():
		t.Fatal("ready without READY=1")
	default:
	}
	pipeSend(t, n, "STATUS=x\nREADY=1\n")
	waitFor(t, n.Ready(), "READY=1")
	// Clients one after another, for as long as it is open.
	for range 5 {
		pipeSend(t, n, "WATCHDOG=1")
		waitFor(t, n.Watchdog(), "WATCHDOG=1")
	}
}

// A client that connects and never closes does not keep the others out,
// and does not hold up Close.
func TestNotifyPipeStalledClient(t *testing.T) {
	n, err := ListenNotify()
	if err != nil {
		t.Fatal(err)
	}
	stalled, err := os.OpenFile(n.Path(), os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer stalled.Close()
	stalled.Write([]byte("READY=1")) // never closed: never taken
	pipeSend(t, n, "READY=1")
	waitFor(t, n.Ready(), "READY=1 from the second client")
	done := make(chan error, 1)
	go func() { done <- n.Close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Close: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close hung")
	}
}

// Another process cannot take the name first and listen in.
func TestNotifyPipeNamesAreFresh(t *testing.T) {
	a, err := ListenNotify()
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := ListenNotify()
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if a.Path() == b.Path() {
		t.Fatalf("two notify pipes named %s", a.Path())
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.OpenFile(a.Path(), os.O_WRONLY, 0); err == nil {
		t.Error("a closed notify pipe still accepts clients")
	}
}
