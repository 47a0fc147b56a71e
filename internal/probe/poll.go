package probe

import (
	"context"
	"fmt"
	"time"
)

// The polling schedule: see NextWait.
const (
	firstWait   = time.Millisecond
	fastWaitMax = 4 * time.Millisecond
	fastPhase   = 10 * time.Second
	slowWaitMax = 100 * time.Millisecond
)

// NextWait returns how long to wait before the next try of a poll, given the
// time since polling started and the previous wait (zero before the first
// wait). The first wait is 1 ms; each next one doubles, but during the first
// 10 s a wait is never longer than 4 ms, and after that never longer than
// 100 ms. The contract allows up to 10 ms in the first 10 s; 4 ms keeps the
// median from "able to answer" to "ready" near 2 ms rather than 5, and a
// refused loopback connect costs microseconds (250 a second is about 1 % of
// a core), so trying this often costs little.
func NextWait(elapsed, prev time.Duration) time.Duration {
	if prev <= 0 {
		return firstWait
	}
	limit := slowWaitMax
	if elapsed < fastPhase {
		limit = fastWaitMax
	}
	return min(2*prev, limit)
}

// Poll calls check at once, then on the NextWait schedule, until check returns
// nil (then Poll returns nil) or ctx is done. Each call gets a context bounded
// by perTry (when perTry is positive), so a check that hangs fails with
// "timeout after <perTry>".
//
// When ctx ends first, the error wraps both the last error the check returned
// (not counting a try that ctx itself cut short, unless it was the only one)
// and ctx's cause, and says how many tries were made:
//
//	probe: connect 127.0.0.1:8080: connection refused (gave up after 2431 tries in 30s: context deadline exceeded)
func Poll(ctx context.Context, check func(ctx context.Context) error, perTry time.Duration) error {
	return PollEvery(ctx, check, perTry, 0)
}

// PollEvery is Poll with its tries at least every apart, from the start of
// one to the start of the next, for servers that log each request; every
// of 0 or less is Poll's schedule.
func PollEvery(ctx context.Context, check func(ctx context.Context) error, perTry, every time.Duration) error {
	start := time.Now()
	var (
		timer *time.Timer // one timer, reset for every wait
		wait  time.Duration
		last  error
		tries int
	)
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		if ctx.Err() != nil {
			return pollFailure(ctx, start, tries, last)
		}
		began := time.Now()
		err := try(ctx, check, perTry)
		if err == nil {
			return nil
		}
		tries++
		if last == nil || !expired(ctx) {
			last = err
		}
		wait = NextWait(time.Since(start), wait)
		pause := wait
		if every > 0 {
			pause = every - time.Since(began)
		}
		if timer == nil {
			timer = time.NewTimer(pause)
		} else {
			timer.Reset(pause)
		}
		select {
		case <-ctx.Done():
			return pollFailure(ctx, start, tries, last)
		case <-timer.C:
		}
	}
}

// try calls check once, bounded by perTry.
func try(ctx context.Context, check func(ctx context.Context) error, perTry time.Duration) error {
	if perTry <= 0 {
		return check(ctx)
	}
	tctx, cancel := context.WithTimeoutCause(ctx, perTry, &timeoutError{after: perTry})
	defer cancel()
	return check(tctx)
}

// pollFailure is Poll's error once ctx is done.
func pollFailure(ctx context.Context, start time.Time, tries int, last error) error {
	cause := context.Cause(ctx)
	if last == nil {
		return fmt.Errorf("probe: not polled: %w", cause)
	}
	return fmt.Errorf("%w (gave up after %d tries in %v: %w)",
		last, tries, time.Since(start).Round(time.Millisecond), cause)
}
