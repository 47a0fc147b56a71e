package probe

import (
	"context"
	"net"
	"time"
)

// TCP reports nil when a TCP connection to addr ("host:port") succeeds, and
// closes it at once. Note that a connection succeeds as soon as the server
// listens: the kernel accepts it before the server calls accept. ctx bounds
// the dial; the error says why it failed ("connection refused", "timeout
// after 2s").
func TCP(ctx context.Context, addr string) error {
	start := time.Now()
	what := "connect " + addr
	if ctx.Err() != nil {
		return netFailure(ctx, start, what, ctx.Err())
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return netFailure(ctx, start, what, err)
	}
	_ = c.Close()
	return nil
}
