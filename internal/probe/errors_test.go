package probe

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestRoundTimeout(t *testing.T) {
	t.Parallel()
	ms := time.Millisecond
	for d, want := range map[time.Duration]time.Duration{
		-1:                           0,
		0:                            0,
		1400 * time.Microsecond:      1 * ms,
		50 * ms:                      50 * ms,
		99*ms + 400*time.Microsecond: 99 * ms,
		498 * ms:                     500 * ms,
		296 * ms:                     300 * ms,
		1995 * ms:                    2 * time.Second,
		29980 * ms:                   30 * time.Second,
	} {
		if got := roundTimeout(d); got != want {
			t.Errorf("roundTimeout(%v) = %v, want %v", d, got, want)
		}
	}
}

// A deadline that has passed counts as expired even before the context's
// timer has fired, and reads as a timeout.
func TestDoneErrorBeforeTimerFires(t *testing.T) {
	t.Parallel()
	start := time.Now()
	ctx := deadlineOnly{deadline: start.Add(-time.Millisecond)}
	if !expired(ctx) {
		t.Fatal("not expired")
	}
	err := doneError(ctx, start.Add(-2*time.Second))
	if !errors.Is(err, context.DeadlineExceeded) || err.Error() != "timeout after 2s" {
		t.Errorf("doneError = %v", err)
	}
}

// deadlineOnly is a context whose deadline has passed while Err still
// reports nil, as happens between the deadline and its timer.
type deadlineOnly struct {
	context.Context
	deadline time.Time
}

func (c deadlineOnly) Deadline() (time.Time, bool) { return c.deadline, true }
func (c deadlineOnly) Err() error                  { return nil }
func (c deadlineOnly) Done() <-chan struct{}       { return nil }
func (c deadlineOnly) Value(any) any               { return nil }
