package probe

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// checkError is a probe failure whose message says briefly why ("connection
// refused") while its chain keeps the error that says it at length.
type checkError struct {
	msg   string
	err   error // the cause, returned by Unwrap
	alias error // also matched by errors.Is, e.g. syscall.ECONNREFUSED for WSAECONNREFUSED
}

func (e *checkError) Error() string { return e.msg }

func (e *checkError) Unwrap() error { return e.err }

func (e *checkError) Is(target error) bool { return e.alias != nil && target == e.alias }

// timeoutError says that a check ran out of time. It matches
// context.DeadlineExceeded.
type timeoutError struct {
	after time.Duration
}

func (e *timeoutError) Error() string { return "timeout after " + e.after.String() }

func (e *timeoutError) Unwrap() error { return context.DeadlineExceeded }

// Timeout reports true, as net.Error's method does.
func (e *timeoutError) Timeout() bool { return true }

// expired reports whether ctx is done or its deadline has passed: a dial or
// a read can see the deadline pass before ctx's own timer has fired.
func expired(ctx context.Context) bool {
	if ctx.Err() != nil {
		return true
	}
	dl, ok := ctx.Deadline()
	return ok && !time.Now().Before(dl)
}

// doneError says why ctx, which has expired, ended: its cause when it has one
// of its own (Poll gives each try a "timeout after <perTry>" cause), a
// timeoutError for a plain deadline, or context.Canceled.
func doneError(ctx context.Context, start time.Time) error {
	err := ctx.Err()
	if err == nil {
		err = context.DeadlineExceeded // passed, but ctx's timer has not fired yet
	} else if cause := context.Cause(ctx); cause != nil && cause != err {
		return cause
	}
	if errors.Is(err, context.DeadlineExceeded) {
		after := time.Since(start)
		if dl, ok := ctx.Deadline(); ok {
			after = dl.Sub(start)
		}
		return &timeoutError{after: roundTimeout(after)}
	}
	return err
}

// roundTimeout rounds a check's time budget, which is a little less than
// the timeout its caller set (the context was made before the check began),
// to a figure that reads like that timeout: 498ms is 500ms, 1.995s is 2s.
func roundTimeout(d time.Duration) time.Duration {
	switch {
	case d <= 0:
		return 0
	case d < 100*time.Millisecond:
		return d.Round(time.Millisecond)
	case d < time.Second:
		return d.Round(10 * time.Millisecond)
	}
	return d.Round(100 * time.Millisecond)
}

// netFailure turns the error of a dial or a request into a probe error
// "probe: <what>: <why>", where why is short: "connection refused",
// "timeout after 2s". ctx is the check's context and start when it began.
func netFailure(ctx context.Context, start time.Time, what string, err error) error {
	if expired(ctx) {
		// Whatever the transport made of it, the context ended the check;
		// keep both in the chain.
		why := doneError(ctx, start)
		return &checkError{msg: "probe: " + what + ": " + why.Error(), err: errors.Join(why, err)}
	}
	why, alias := describe(err)
	return &checkError{msg: "probe: " + what + ": " + why, err: err, alias: alias}
}

// describe says in a few words why a connection or request failed, and
// names an error errors.Is should match besides err's own chain.
func describe(err error) (why string, alias error) {
	var (
		ue  *url.Error
		ve  *tls.CertificateVerificationError
		dns *net.DNSError
		op  *net.OpError
	)
	switch {
	case isRefused(err):
		return "connection refused", syscall.ECONNREFUSED
	case isReset(err):
		return "connection reset", syscall.ECONNRESET
	case errors.As(err, &ve):
		return ve.Error() + " (the default TLS verification applies; for a sidecar with a self-signed certificate on loopback, probe it with http:// or tcp:// instead)", nil
	case errors.As(err, &dns):
		return dns.Error(), nil
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		// net/http's unexported errServerClosedIdle, which it reports for
		// a fresh connection closed before any byte of a response, too.
		strings.Contains(err.Error(), "server closed idle connection"):
		return "connection closed before a response", nil
	case errors.As(err, &op) && op.Err != nil:
		return op.Err.Error(), nil
	case errors.As(err, &ue) && ue.Err != nil:
		return ue.Err.Error(), nil
	}
	return err.Error(), nil
}
