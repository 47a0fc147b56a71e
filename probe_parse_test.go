package tether

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// sameProbe reports whether two probes are the same value (regular
// expressions compare by their source).
func sameProbe(a, b Probe) bool {
	return a.kind == b.kind && a.target == b.target && slices.Equal(a.argv, b.argv) &&
		(a.re == nil) == (b.re == nil) && (a.re == nil || a.re.String() == b.re.String()) &&
		a.text == b.text && a.fn == nil && b.fn == nil
}

func TestParseProbe(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want Probe
	}{
		{"", Probe{}},
		{"http://127.0.0.1:8080/health", HTTPProbe("http://127.0.0.1:8080/health")},
		{"http://127.0.0.1:{port}/health", HTTPProbe("http://127.0.0.1:{port}/health")},
		{"http://localhost:{port}", HTTPProbe("http://localhost:{port}")},
		{"http://[::1]:{port}/ready?full=1", HTTPProbe("http://[::1]:{port}/ready?full=1")},
		{"https://127.0.0.1:8443/", HTTPProbe("https://127.0.0.1:8443/")},
		{"HTTP://127.0.0.1:1/", HTTPProbe("HTTP://127.0.0.1:1/")},
		{"http://127.0.0.1:65535/x/{port}", HTTPProbe("http://127.0.0.1:65535/x/{port}")},
		{"tcp://127.0.0.1:5432", TCPProbe("127.0.0.1:5432")},
		{"tcp://localhost:{port}", TCPProbe("localhost:{port}")},
		{"tcp://[::1]:{port}", TCPProbe("[::1]:{port}")},
		{"TCP://h:1", Probe{kind: probeTCP, target: "h:1", text: "TCP://h:1"}},
		{"exec:pg_isready", ExecProbe("pg_isready")},
		{"exec:pg_isready -h 127.0.0.1 -p {port}", ExecProbe("pg_isready", "-h", "127.0.0.1", "-p", "{port}")},
		{"exec:  curl   -fsS  http://x:1/ ", Probe{kind: probeExec, argv: []string{"curl", "-fsS", "http://x:1/"}, text: "exec:  curl   -fsS  http://x:1/ "}},
		{`exec:sh -c 'test -S "$SOCK" && echo ok'`, Probe{kind: probeExec, argv: []string{"sh", "-c", `test -S "$SOCK" && echo ok`}, text: `exec:sh -c 'test -S "$SOCK" && echo ok'`}},
		{`exec:check "a b" c\ d $HOME ~`, Probe{kind: probeExec, argv: []string{"check", "a b", "c d", "$HOME", "~"}, text: `exec:check "a b" c\ d $HOME ~`}},
		{"log:listening on", LogProbe(regexp.MustCompile("listening on"))},
		{`log:^Uvicorn running on http://\S+:\d+`, LogProbe(regexp.MustCompile(`^Uvicorn running on http://\S+:\d+`))},
		{"log: ready ", LogProbe(regexp.MustCompile(" ready "))},
		{"notify", NotifyProbe()},
	}
	for _, tt := range tests {
		got, err := ParseProbe(tt.in)
		if err != nil {
			t.Errorf("ParseProbe(%q): %v", tt.in, err)
			continue
		}
		if !sameProbe(got, tt.want) {
			t.Errorf("ParseProbe(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
		if got.String() != tt.in {
			t.Errorf("ParseProbe(%q).String() = %q", tt.in, got.String())
		}
		if err := got.validate("Ready", true); err != nil {
			t.Errorf("ParseProbe(%q) does not validate: %v", tt.in, err)
		}
	}
}

// What a constructor builds parses back to itself from its String.
func TestParseProbeRoundTrip(t *testing.T) {
	t.Parallel()
	for _, p := range []Probe{
		HTTPProbe("http://127.0.0.1:{port}/health"),
		HTTPProbe("https://localhost:8443"),
		TCPProbe("127.0.0.1:{port}"),
		ExecProbe("pg_isready", "-p", "{port}"),
		LogProbe(regexp.MustCompile(`ready in \d+ms`)),
		NotifyProbe(),
	} {
		got, err := ParseProbe(p.String())
		if err != nil || !sameProbe(got, p) {
			t.Errorf("ParseProbe(%q) = %+v, %v; want %+v", p.String(), got, err, p)
		}
	}
}

func TestParseProbeErrors(t *testing.T) {
	t.Parallel()
	const forms = "want http://HOST:PORT/PATH, https://..., tcp://HOST:PORT, exec:COMMAND ARGS, log:REGEX or notify"
	tests := []struct{ in, want string }{
		{"htp://x", "unknown form; " + forms},
		{"127.0.0.1:8080", "unknown form; " + forms},
		{"localhost:8080/health", "unknown form; " + forms},
		{"ftp://127.0.0.1:21/", "unknown form; " + forms},
		{"exec", "unknown form; " + forms},
		{"Exec:true", "unknown form; " + forms},
		{" notify", "unknown form; " + forms},
		{"notify:x", "notify takes no argument; want notify"},
		{"func", "a function probe cannot be written as text; use FuncProbe"},
		{"http://x\x00:1/", "contains a NUL byte"},

		{"http://127.0.0.1/health", "missing port; want http://HOST:PORT/PATH"},
		{"https://localhost/", "missing port; want https://HOST:PORT/PATH"},
		{"http://localhost:/", "missing port; want http://HOST:PORT/PATH"},
		{"http://:8080/", "missing host; want http://HOST:PORT/PATH"},
		{"http://", "missing host; want http://HOST:PORT/PATH"},
		{"http://127.0.0.1:0/", `port "0" is not a number from 1 to 65535 or {port}; want http://HOST:PORT/PATH`},
		{"http://127.0.0.1:70000/", `port "70000" is not a number from 1 to 65535 or {port}; want http://HOST:PORT/PATH`},
		{"http://127.0.0.1:{prot}/", `bad URL: invalid port ":{prot}" after host; want http://HOST:PORT/PATH`},
		{"http://127.0.0.1:port/", `bad URL: invalid port ":port" after host; want http://HOST:PORT/PATH`},
		{"http://[::1:1/", `bad URL: missing ']' in host; want http://HOST:PORT/PATH`},

		{"tcp://127.0.0.1", "missing port in address; want tcp://HOST:PORT"},
		{"tcp://", "missing port in address; want tcp://HOST:PORT"},
		{"tcp://:5432", "missing host; want tcp://HOST:PORT"},
		{"tcp://127.0.0.1:", "missing port; want tcp://HOST:PORT"},
		{"tcp://127.0.0.1:postgres", `port "postgres" is not a number from 1 to 65535 or {port}; want tcp://HOST:PORT`},
		{"tcp://127.0.0.1:5432/", `port "5432/" is not a number from 1 to 65535 or {port}; want tcp://HOST:PORT`},
		{"tcp://127.0.0.1:-1", `port "-1" is not a number from 1 to 65535 or {port}; want tcp://HOST:PORT`},
		{"tcp://127.0.0.1:+80", `port "+80" is not a number from 1 to 65535 or {port}; want tcp://HOST:PORT`},
		{"tcp://::1:80", "too many colons in address; want tcp://HOST:PORT"},

		{"exec:", "no command; want exec:COMMAND ARGS"},
		{"exec:   ", "no command; want exec:COMMAND ARGS"},
		{"exec:''", "no command; want exec:COMMAND ARGS"},
		{"exec:check 'unterminated", "unterminated single quote at byte 6 of the command; want exec:COMMAND ARGS"},
		{`exec:check "unterminated`, "unterminated double quote at byte 6 of the command; want exec:COMMAND ARGS"},
		{`exec:check \`, "trailing backslash at byte 6 of the command; want exec:COMMAND ARGS"},
		{"exec:curl -f http://x:1/ | grep ok", `unquoted "|" (there is no shell: quote it, or use sh -c '...') at byte 20 of the command; want exec:COMMAND ARGS`},

		{"log:", "no regular expression; want log:REGEX"},
		{"log:(", "bad regular expression: error parsing regexp: missing closing ): `(`; want log:REGEX (Go RE2 syntax)"},
		{`log:(?<=x)y`, "bad regular expression: error parsing regexp: invalid named capture: `(?<=x)y`; want log:REGEX (Go RE2 syntax)"},
	}
	for _, tt := range tests {
		got, err := ParseProbe(tt.in)
		if err == nil {
			t.Errorf("ParseProbe(%q) = %+v, want an error", tt.in, got)
			continue
		}
		want := "tether: probe " + strconv.Quote(tt.in) + ": " + tt.want
		if err.Error() != want {
			t.Errorf("ParseProbe(%q):\n got %s\nwant %s", tt.in, err, want)
		}
		if strings.Contains(err.Error(), "\n") {
			t.Errorf("ParseProbe(%q): error is more than one line", tt.in)
		}
		if !got.IsZero() {
			t.Errorf("ParseProbe(%q) returned a probe with its error", tt.in)
		}
	}
}

// Spec validation of HTTP and TCP probes goes through ParseProbe.
func TestProbeValidateUsesParseProbe(t *testing.T) {
	t.Parallel()
	if err := HTTPProbe("http://127.0.0.1:{port}/").validate("Ready", true); err != nil {
		t.Error(err)
	}
	if err := TCPProbe("127.0.0.1").validate("Live", false); err == nil || !strings.Contains(err.Error(), "missing port") {
		t.Errorf("TCPProbe without port: %v", err)
	}
	if err := HTTPProbe("localhost:80").validate("Live", false); err == nil || !strings.Contains(err.Error(), "unknown form") {
		t.Errorf("HTTPProbe without scheme: %v", err)
	}
}
