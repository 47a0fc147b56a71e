package probe

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

func TestNextWait(t *testing.T) {
	t.Parallel()
	ms := time.Millisecond
	tests := []struct {
		elapsed, prev, want time.Duration
	}{
		{0, 0, 1 * ms},
		{0, -1, 1 * ms},
		{time.Hour, 0, 1 * ms}, // the first wait is always short
		{1 * ms, 1 * ms, 2 * ms},
		{3 * ms, 2 * ms, 4 * ms},
		{7 * ms, 4 * ms, 4 * ms},
		{15 * ms, 4 * ms, 4 * ms},
		{9999 * ms, 4 * ms, 4 * ms},
		{10 * time.Second, 4 * ms, 8 * ms},
		{10 * time.Second, 40 * ms, 80 * ms},
		{11 * time.Second, 80 * ms, 100 * ms},
		{time.Hour, 100 * ms, 100 * ms},
		{5 * time.Second, 100 * ms, 4 * ms}, // a long wait never outlives its phase
	}
	for _, tt := range tests {
		if got := NextWait(tt.elapsed, tt.prev); got != tt.want {
			t.Errorf("NextWait(%v, %v) = %v, want %v", tt.elapsed, tt.prev, got, tt.want)
		}
	}
}

// Walking the schedule with instant checks: tries start at once, come at
// most 4 ms apart (the contract allows 10) for the first 10 s, at most 100 ms apart after, and never
// settle on 100 ms early.
func TestScheduleShape(t *testing.T) {
	t.Parallel()
	var elapsed, wait time.Duration
	tries := 0
	for elapsed < time.Minute {
		wait = NextWait(elapsed, wait)
		switch {
		case tries == 0 && wait != time.Millisecond:
			t.Fatalf("first wait %v", wait)
		case elapsed < 10*time.Second && wait > 4*time.Millisecond:
			t.Fatalf("wait %v at %v", wait, elapsed)
		case wait > 100*time.Millisecond:
			t.Fatalf("wait %v at %v", wait, elapsed)
		}
		elapsed += wait
		tries++
	}
	if tries < 1000+500 {
		t.Errorf("only %d tries in a minute", tries)
	}
}

func TestPollSucceedsAtOnce(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	start := time.Now()
	err := Poll(t.Context(), func(ctx context.Context) error {
		calls.Add(1)
		if dl, ok := ctx.Deadline(); !ok || time.Until(dl) > time.Second {
			t.Errorf("try not bounded by perTry: deadline %v, %v", dl, ok)
		}
		return nil
	}, time.Second)
	if err != nil || calls.Load() != 1 {
		t.Errorf("Poll = %v after %d calls", err, calls.Load())
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("Poll took %v", took)
	}
}

// Polling a server that starts late reports it within milliseconds of its
// start.
func TestPollServerStartsLate(t *testing.T) {
	t.Parallel()
	for _, kind := range []string{"tcp", "http"} {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			addr := refusedAddr(t)
			var check func(context.Context) error
			if kind == "tcp" {
				check = func(ctx context.Context) error { return TCP(ctx, addr) }
			} else {
				h := NewHTTP("http://" + addr + "/health")
				defer h.Close()
				check = h.Check
			}
			listening := make(chan time.Time, 1)
			srv := &http.Server{Handler: http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})}
			serving := make(chan struct{})
			go func() {
				defer close(serving)
				time.Sleep(300 * time.Millisecond) // the sidecar is slow to start
				l, err := net.Listen("tcp", addr)
				if err != nil {
					t.Errorf("listen again on %s: %v", addr, err)
					listening <- time.Time{}
					return
				}
				listening <- time.Now()
				_ = srv.Serve(l)
			}()
			defer func() {
				_ = srv.Close()
				<-serving
			}()
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			err := Poll(ctx, check, time.Second)
			ready := time.Now()
			if err != nil {
				t.Fatal(err)
			}
			since := <-listening
			if since.IsZero() {
				return
			}
			lag := ready.Sub(since)
			t.Logf("ready %v after the server listened", lag)
			if lag > time.Second {
				t.Errorf("ready %v after the server listened", lag)
			}
		})
	}
}

func TestPollGivesUpWithLastError(t *testing.T) {
	t.Parallel()
	addr := refusedAddr(t)
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	var tries atomic.Int32
	start := time.Now()
	err := Poll(ctx, func(ctx context.Context) error {
		tries.Add(1)
		return TCP(ctx, addr)
	}, time.Second)
	took := time.Since(start)
	if !errors.Is(err, syscall.ECONNREFUSED) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error %v, want refused and deadline", err)
	}
	prefix := "probe: connect " + addr + ": connection refused (gave up after "
	if !strings.HasPrefix(err.Error(), prefix) || !strings.HasSuffix(err.Error(), ": context deadline exceeded)") {
		t.Errorf("error %q", err)
	}
	t.Logf("%d tries in %v: %v", tries.Load(), took, err)
	if took > 2*time.Second {
		t.Errorf("Poll took %v", took)
	}
	// The schedule, not a fixed 100 ms sleep: about 25 tries are due in
	// 200 ms; a 100 ms sleeper would make 2 or 3.
	if n := tries.Load(); n < 6 {
		t.Errorf("only %d tries in %v", n, took)
	}
}

// A try that hangs is cut at perTry and says so; the last error is that.
func TestPollPerTryTimeout(t *testing.T) {
	t.Parallel()
	srv := hangingServer(t)
	h := NewHTTP(srv.URL)
	defer h.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 450*time.Millisecond)
	defer cancel()
	err := Poll(ctx, h.Check, 100*time.Millisecond)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error %v", err)
	}
	if want := "probe: GET " + srv.URL + ": timeout after 100ms (gave up after "; !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error %q, want it to start with %q", err, want)
	}
}

// A try that ctx itself cuts short does not hide the error before it.
func TestPollKeepsErrorOfLastFullTry(t *testing.T) {
	t.Parallel()
	errFirst := errors.New("probe: first try failed")
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	var calls atomic.Int32
	err := Poll(ctx, func(ctx context.Context) error {
		if calls.Add(1) == 1 {
			return errFirst
		}
		<-ctx.Done()
		return ctx.Err()
	}, 0)
	if !errors.Is(err, errFirst) || calls.Load() != 2 {
		t.Errorf("error %v after %d calls, want the first error", err, calls.Load())
	}
}

func TestPollDoneContext(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	err := Poll(ctx, func(context.Context) error {
		t.Error("check called with a done context")
		return nil
	}, time.Second)
	if !errors.Is(err, context.Canceled) || err.Error() != "probe: not polled: context canceled" {
		t.Errorf("error %v", err)
	}
}

func TestPollCauseOfContext(t *testing.T) {
	t.Parallel()
	errStop := errors.New("sidecar exited")
	ctx, cancel := context.WithCancelCause(t.Context())
	time.AfterFunc(50*time.Millisecond, func() { cancel(errStop) })
	err := Poll(ctx, func(context.Context) error { return errors.New("probe: not yet") }, 0)
	if !errors.Is(err, errStop) || !strings.HasSuffix(err.Error(), ": sidecar exited)") {
		t.Errorf("error %v, want the context's cause", err)
	}
}

func BenchmarkPollTCPReady(b *testing.B) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	addr := l.Addr().String()
	check := func(ctx context.Context) error { return TCP(ctx, addr) }
	ctx := context.Background()
	for b.Loop() {
		if err := Poll(ctx, check, time.Second); err != nil {
			b.Fatal(err)
		}
	}
}

// PollEvery spaces tries at least every apart, where Poll would try every
// few milliseconds: over 500ms of failures it tries about 6 times (10 at most, for a loaded machine), not
// dozens. The spacing is counted, not timed pair by pair: a try's check may
// start late on a loaded machine, which shortens the next gap as seen from
// inside check although the tries began every apart.
func TestPollEverySpacesTries(t *testing.T) {
	t.Parallel()
	var first time.Time
	tries := 0
	check := func(context.Context) error {
		tries++
		if first.IsZero() {
			first = time.Now()
		}
		if time.Since(first) < 500*time.Millisecond {
			return errors.New("not yet")
		}
		return nil
	}
	if err := PollEvery(context.Background(), check, time.Second, 100*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if tries < 2 || tries > 10 {
		t.Fatalf("%d tries over 500ms of failures at one per 100ms, want 2 to 10 (Poll would make dozens)", tries)
	}
}
