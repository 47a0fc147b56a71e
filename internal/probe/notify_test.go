package probe

import (
	"testing"
)

// handle reads sd_notify messages the same way on every system.
func TestNotifyHandle(t *testing.T) {
	t.Parallel()
	for msg, want := range map[string]bool{
		"READY=1":                   true,
		"READY=1\n":                 true,
		"READY=1\r\n":               false,
		"STATUS=x\nREADY=1":         true,
		"READY=1\nSTATUS=x":         true,
		"STATUS=READY=1":            false,
		"READY=10":                  false,
		"":                          false,
		"\n\n":                      false,
		"MAINPID=1\nREADY=1\nX=y\n": true,
	} {
		n := newNotify("x")
		n.handle([]byte(msg))
		select {
		case <-n.Ready():
			if !want {
				t.Errorf("%q made it ready", msg)
			}
		default:
			if want {
				t.Errorf("%q did not make it ready", msg)
			}
		}
	}
}

func TestNotifyHandleWatchdog(t *testing.T) {
	t.Parallel()
	n := newNotify("x")
	n.handle([]byte("READY=1\nWATCHDOG=1"))
	n.handle([]byte("WATCHDOG=1\n"))
	n.handle([]byte("READY=1")) // a second READY=1 is harmless
	select {
	case <-n.Watchdog():
	default:
		t.Fatal("no watchdog ping")
	}
	select {
	case <-n.Watchdog():
		t.Fatal("two pings pending: they should merge")
	default:
	}
	n.handle([]byte("WATCHDOG=2\nSTATUS=WATCHDOG=1"))
	select {
	case <-n.Watchdog():
		t.Fatal("a ping from a line that is not WATCHDOG=1")
	default:
	}
}
