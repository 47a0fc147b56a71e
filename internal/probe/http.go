package probe

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"
)

// bodySnippet is how much of a failing response's body is quoted in the
// error: health endpoints often say there what is wrong.
const bodySnippet = 256

// HTTP checks a URL with GET requests. It is healthy when the answer's status
// is 2xx or 3xx; a redirect is not followed (the 3xx itself is healthy).
//
// Every check opens a new connection (keep-alives are off), so a check also
// proves that the server still accepts connections, and nothing is ever
// reused across checks, let alone across attempts. The dial is the first
// step of a check: a refused connection fails it in microseconds, before any
// HTTP work.
//
// https is allowed and verified with Go's default TLS configuration (the
// system's roots, the URL's host name). A sidecar with a self-signed
// certificate therefore fails with a certificate error that says so; nothing
// insecure is offered. Such a sidecar on loopback is best probed over http://
// or tcp://. Proxies from the environment are never used.
//
// An HTTP is safe for concurrent use. Create one per attempt and Close it when
// the attempt ends.
type HTTP struct {
	url    string
	req    *http.Request // template; nil when err is set
	err    error         // the URL did not parse
	tr     *http.Transport
	client *http.Client
}

// NewHTTP returns a checker for url, an http:// or https:// URL. A URL that
// does not parse makes every Check fail with the reason.
func NewHTTP(url string) *HTTP { return newHTTP(http.MethodGet, url) }

// NewPost returns a checker that sends POST requests with an empty body
// instead of GET: a stop request to a shutdown URL. Everything else is as
// for NewHTTP.
func NewPost(url string) *HTTP { return newHTTP(http.MethodPost, url) }

func newHTTP(method, url string) *HTTP {
	h := &HTTP{url: url}
	h.req, h.err = http.NewRequest(method, url, http.NoBody)
	if h.err == nil && h.req.URL.Scheme != "http" && h.req.URL.Scheme != "https" {
		h.err = fmt.Errorf("probe: %s %s: scheme must be http or https", method, url)
		h.req = nil
	} else if h.err != nil {
		h.err = fmt.Errorf("probe: %s %s: %w", method, url, h.err)
	}
	if h.req != nil {
		h.req.Header.Set("User-Agent", "tether-probe")
	}
	h.tr = &http.Transport{
		Proxy:                  nil, // a sidecar is local: never go through a proxy
		DialContext:            (&net.Dialer{}).DialContext,
		DisableKeepAlives:      true,
		DisableCompression:     true,
		MaxResponseHeaderBytes: 64 << 10,
		// TLSClientConfig nil: Go's defaults, with verification.
	}
	h.client = &http.Client{
		Transport: h.tr,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
	return h
}

// Check sends one request (GET, or POST for NewPost) and reports nil for a 2xx or 3xx status. Otherwise the
// error says why: "status 503 Service Unavailable" (with the start of the
// body), "connection refused", "timeout after 2s", a TLS or DNS error. ctx
// bounds the whole check.
func (h *HTTP) Check(ctx context.Context) error {
	if h.err != nil {
		return h.err
	}
	start := time.Now()
	what := h.req.Method + " " + h.url
	if ctx.Err() != nil {
		return netFailure(ctx, start, what, ctx.Err())
	}
	resp, err := h.client.Do(h.req.Clone(ctx))
	if err != nil {
		return netFailure(ctx, start, what, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 200 && resp.StatusCode < 400 {
		if resp.ContentLength >= 0 && resp.ContentLength <= 4<<10 {
			// Small and most likely already here: read it so the server
			// sees a clean close. Its content does not matter.
			_, _ = io.Copy(io.Discard, resp.Body)
		}
		return nil
	}
	msg := "probe: " + what + ": status " + resp.Status
	if body := snippet(resp.Body); body != "" {
		msg += fmt.Sprintf(": %q", body)
	}
	return &checkError{msg: msg}
}

// snippet returns the start of a body, trimmed, cut at a rune boundary.
func snippet(r io.Reader) string {
	b, _ := io.ReadAll(io.LimitReader(r, bodySnippet))
	if !utf8.Valid(b) {
		// Drop a rune cut by the limit; other bad bytes are quoted.
		for k := 1; k < utf8.UTFMax && k <= len(b); k++ {
			if utf8.Valid(b[:len(b)-k]) {
				b = b[:len(b)-k]
				break
			}
		}
	}
	return strings.TrimSpace(string(b))
}

// Close releases what the checker holds. Checks after Close still work but
// should not be made.
func (h *HTTP) Close() { h.tr.CloseIdleConnections() }
