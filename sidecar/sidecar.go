package sidecar

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"
)

// Environment variables tether sets in a sidecar's environment.
const (
	EnvPort         = "TETHER_PORT"
	EnvPID          = "TETHER_PID"
	EnvStopRequest  = "TETHER_STOP_REQUEST"
	EnvNotifySocket = "NOTIFY_SOCKET"
	EnvWatchdogUsec = "WATCHDOG_USEC"
)

// maxMessage is the largest notify message sent. tether, like systemd,
// ignores longer ones.
const maxMessage = 4 << 10

// ErrBadEnv is matched (errors.Is) by the error FromEnv and ParseEnv return
// when a variable tether sets holds a value tether never sets.
var ErrBadEnv = errors.New("sidecar: bad environment variable")

// Env is what tether tells a sidecar through its environment. The zero value
// is a sidecar not run by tether: Ready and Notify do nothing, Watchdog
// returns at once, and StopContext ends on signals only.
type Env struct {
	// Port is this attempt's port (TETHER_PORT), 0 when tether chose none.
	Port int
	// TetherPID is the pid of the supervising tether process (TETHER_PID),
	// 0 when not run by tether. Its death ends StopContext's context.
	TetherPID int
	// StopRequest is how tether asks for a stop besides signals
	// (TETHER_STOP_REQUEST): "stdin-close" and "stdin:TEXT" are watched by
	// StopContext; other actions (an HTTP request, a command) reach the
	// sidecar by its own means and are left to it.
	StopRequest string
	// NotifySocket is where notify messages go (NOTIFY_SOCKET): a unix
	// datagram socket's path, or on Windows a named pipe's path.
	NotifySocket string
	// WatchdogInterval is tether's watchdog period (WATCHDOG_USEC), 0 when
	// tether runs no watchdog. Ping at least every half of it.
	WatchdogInterval time.Duration
}

// FromEnv reads Env from the process environment.
func FromEnv() (Env, error) { return ParseEnv(os.Getenv) }

// ParseEnv reads Env through getenv (os.Getenv, or a map's lookup in
// tests). A malformed number is an error matching ErrBadEnv that names the
// variable; the other fields are still filled in.
func ParseEnv(getenv func(string) string) (Env, error) {
	e := Env{
		StopRequest:  getenv(EnvStopRequest),
		NotifySocket: getenv(EnvNotifySocket),
	}
	var errs []error
	number := func(name string, max int64) int64 {
		s := getenv(name)
		if s == "" {
			return 0
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 || n > max {
			errs = append(errs, fmt.Errorf("%w: %s=%q is not a whole number from 1 to %d", ErrBadEnv, name, s, max))
			return 0
		}
		return n
	}
	e.Port = int(number(EnvPort, 65535))
	e.TetherPID = int(number(EnvPID, 1<<31-1))
	e.WatchdogInterval = time.Duration(number(EnvWatchdogUsec, int64(time.Duration(1<<62)/time.Microsecond))) * time.Microsecond
	return e, errors.Join(errs...)
}

// Ready tells tether the sidecar is ready (READY=1), for --ready notify.
// Without NOTIFY_SOCKET it does nothing and returns nil.
func (e Env) Ready() error { return e.Notify("READY=1") }

// Ping feeds tether's watchdog once (WATCHDOG=1). Without NOTIFY_SOCKET it
// does nothing and returns nil. Watchdog calls it on a timer.
func (e Env) Ping() error { return e.Notify("WATCHDOG=1") }

// Notify sends one sd_notify-style message: newline-separated KEY=VALUE
// lines such as "READY=1" or "STATUS=loading model". tether ignores keys it
// does not know. Without NOTIFY_SOCKET it does nothing and returns nil.
func (e Env) Notify(msg string) error {
	if e.NotifySocket == "" {
		return nil
	}
	if len(msg) > maxMessage {
		return fmt.Errorf("sidecar: notify message of %d bytes; at most %d are allowed", len(msg), maxMessage)
	}
	if err := send(e.NotifySocket, []byte(msg)); err != nil {
		return fmt.Errorf("sidecar: notify %s: %w", e.NotifySocket, err)
	}
	return nil
}

// Watchdog pings tether's watchdog every half WatchdogInterval until ctx
// is done, then returns ctx's error. Without a watchdog it returns nil at
// once.
//
// A ping proves only that this goroutine runs. Pass alive to prove more:
// it is called before each ping with a context that ends after half the
// interval, and the ping is skipped when alive returns an error — for
// instance when the program's main loop does not answer. tether then
// restarts the sidecar once a whole interval passes without a ping.
func (e Env) Watchdog(ctx context.Context, alive func(context.Context) error) error {
	if e.WatchdogInterval <= 0 {
		return nil
	}
	period := e.WatchdogInterval / 2
	tick := time.NewTicker(period)
	defer tick.Stop()
	for {
		if e.healthy(ctx, alive, period) {
			_ = e.Ping() // a lost ping is what the watchdog is there to notice
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// healthy reports whether alive (if any) answers nil within period.
func (e Env) healthy(ctx context.Context, alive func(context.Context) error, period time.Duration) bool {
	if alive == nil {
		return ctx.Err() == nil
	}
	actx, cancel := context.WithTimeout(ctx, period)
	defer cancel()
	return alive(actx) == nil && actx.Err() == nil
}

// Ready reads the environment and tells tether the sidecar is ready; see
// Env.Ready.
func Ready() error {
	e, err := FromEnv()
	if err != nil && e.NotifySocket == "" {
		return err
	}
	return e.Ready()
}

// Port returns the port tether chose for this attempt (TETHER_PORT), or 0.
func Port() int {
	e, _ := FromEnv()
	return e.Port
}
