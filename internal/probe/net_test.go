package probe

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// refusedAddr returns a loopback address nothing listens on.
func refusedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// check runs one HTTP check of url with a 5 s bound.
func check(t *testing.T, url string) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	h := NewHTTP(url)
	defer h.Close()
	return h.Check(ctx)
}

func TestHTTPStatus(t *testing.T) {
	t.Parallel()
	var redirected atomic.Int32
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		redirected.Add(1)
		w.WriteHeader(http.StatusInternalServerError)
	}))
	defer target.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/200":
			w.Write([]byte("ok"))
		case "/204":
			w.WriteHeader(http.StatusNoContent)
		case "/302":
			http.Redirect(w, r, target.URL+"/elsewhere", http.StatusFound)
		case "/301":
			http.Redirect(w, r, "http://192.0.2.1:9/", http.StatusMovedPermanently)
		case "/304":
			w.WriteHeader(http.StatusNotModified)
		case "/500":
			w.WriteHeader(http.StatusInternalServerError)
		case "/503":
			http.Error(w, "database not reachable", http.StatusServiceUnavailable)
		case "/big":
			w.WriteHeader(http.StatusBadGateway)
			w.Write([]byte(strings.Repeat("é", 1000)))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()

	for _, path := range []string{"/200", "/204", "/301", "/302", "/304"} {
		if err := check(t, srv.URL+path); err != nil {
			t.Errorf("GET %s: %v", path, err)
		}
	}
	if n := redirected.Load(); n != 0 {
		t.Errorf("a redirect was followed %d times", n)
	}
	for path, want := range map[string]string{
		"/500":     "status 500 Internal Server Error",
		"/503":     `status 503 Service Unavailable: "database not reachable"`,
		"/missing": `status 404 Not Found: "404 page not found"`,
		"/big":     `status 502 Bad Gateway: "` + strings.Repeat("é", bodySnippet/2) + `"`,
	} {
		err := check(t, srv.URL+path)
		if want := "probe: GET " + srv.URL + path + ": " + want; err == nil || err.Error() != want {
			t.Errorf("GET %s: error\n got %v\nwant %s", path, err, want)
		}
	}
}

func TestHTTPRefusedIsFast(t *testing.T) {
	t.Parallel()
	url := "http://" + refusedAddr(t) + "/health"
	start := time.Now()
	err := check(t, url)
	took := time.Since(start)
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("error %v, want ECONNREFUSED", err)
	}
	if want := "probe: GET " + url + ": connection refused"; err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
	t.Logf("refused check took %v", took)
	if took > time.Second {
		t.Errorf("refused check took %v", took)
	}
}

// hangingServer accepts requests and never answers them until the test ends.
func hangingServer(t *testing.T) *httptest.Server {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(func() {
		close(release)
		srv.Close()
	})
	return srv
}

func TestHTTPTimeout(t *testing.T) {
	t.Parallel()
	srv := hangingServer(t)
	const timeout = 300 * time.Millisecond
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	defer cancel()
	h := NewHTTP(srv.URL)
	defer h.Close()
	start := time.Now()
	err := h.Check(ctx)
	took := time.Since(start)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error %v, want a deadline", err)
	}
	if want := "probe: GET " + srv.URL + ": timeout after 300ms"; err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
	if took < timeout || took > timeout+2*time.Second {
		t.Errorf("check took %v with a %v timeout", took, timeout)
	}
}

func TestHTTPCanceled(t *testing.T) {
	t.Parallel()
	srv := hangingServer(t)
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(50*time.Millisecond, cancel)
	h := NewHTTP(srv.URL)
	defer h.Close()
	err := h.Check(ctx)
	if !errors.Is(err, context.Canceled) || !strings.HasSuffix(err.Error(), ": context canceled") {
		t.Errorf("error %v, want context.Canceled", err)
	}
}

func TestHTTPClosedWithoutResponse(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			// Read the request first: closing with unread data would
			// reset the connection instead.
			_, _ = http.ReadRequest(bufio.NewReader(c))
			c.Close()
		}
	}()
	err = check(t, "http://"+l.Addr().String()+"/")
	if err == nil || !strings.HasSuffix(err.Error(), ": connection closed before a response") {
		t.Errorf("error %v", err)
	}
}

// The default TLS verification applies: a self-signed sidecar fails, with a
// message that says what to do.
func TestHTTPSVerifies(t *testing.T) {
	t.Parallel()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshake error is expected
	srv.StartTLS()
	defer srv.Close()
	err := check(t, srv.URL)
	var ve *tls.CertificateVerificationError
	if !errors.As(err, &ve) {
		t.Fatalf("error %v, want a certificate verification error", err)
	}
	if !strings.Contains(err.Error(), "self-signed certificate") {
		t.Errorf("error %q gives no hint", err)
	}
}

// Every check opens a connection of its own: nothing is reused.
func TestHTTPNoConnectionReuse(t *testing.T) {
	t.Parallel()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	var conns atomic.Int32
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	h := NewHTTP(srv.URL)
	defer h.Close()
	for range 3 {
		if err := h.Check(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	if n := conns.Load(); n != 3 {
		t.Errorf("3 checks opened %d connections", n)
	}
}

func TestHTTPBadURL(t *testing.T) {
	t.Parallel()
	for url, want := range map[string]string{
		"ftp://127.0.0.1:21/":   "probe: GET ftp://127.0.0.1:21/: scheme must be http or https",
		"http://127.0.0.1:x/":   `probe: GET http://127.0.0.1:x/: parse "http://127.0.0.1:x/": invalid port ":x" after host`,
		"http://[::1:{port}/":   `probe: GET http://[::1:{port}/: parse "http://[::1:{port}/": missing ']' in host`,
		"127.0.0.1:8080/health": `probe: GET 127.0.0.1:8080/health: parse "127.0.0.1:8080/health": first path segment in URL cannot contain colon`,
	} {
		h := NewHTTP(url)
		if err := h.Check(t.Context()); err == nil || err.Error() != want {
			t.Errorf("NewHTTP(%q).Check: %v, want %s", url, err, want)
		}
		h.Close()
	}
}

func TestTCP(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := TCP(t.Context(), l.Addr().String()); err != nil {
		t.Errorf("listening: %v", err)
	}

	addr := refusedAddr(t)
	start := time.Now()
	err = TCP(t.Context(), addr)
	took := time.Since(start)
	if !errors.Is(err, syscall.ECONNREFUSED) || err.Error() != "probe: connect "+addr+": connection refused" {
		t.Errorf("refused: %v", err)
	}
	if took > time.Second {
		t.Errorf("refused connect took %v", took)
	}

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := TCP(ctx, l.Addr().String()); !errors.Is(err, context.Canceled) {
		t.Errorf("done context: %v", err)
	}
	if err := TCP(t.Context(), "127.0.0.1"); err == nil || !strings.Contains(err.Error(), "missing port") {
		t.Errorf("no port: %v", err)
	}
}

func BenchmarkTCPRefused(b *testing.B) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	ctx := context.Background()
	for b.Loop() {
		if TCP(ctx, addr) == nil {
			b.Fatal("connected")
		}
	}
}

func BenchmarkHTTPRefused(b *testing.B) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	h := NewHTTP("http://" + l.Addr().String() + "/")
	l.Close()
	defer h.Close()
	ctx := context.Background()
	for b.Loop() {
		if h.Check(ctx) == nil {
			b.Fatal("connected")
		}
	}
}

func BenchmarkHTTPOK(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	h := NewHTTP(srv.URL)
	defer h.Close()
	ctx := context.Background()
	for b.Loop() {
		if err := h.Check(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
