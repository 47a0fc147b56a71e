package tether

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"tether.dev/tether/internal/proctest"
)

// stopPolitely runs the polite helper with a stop request and stops it,
// returning the events.
func stopPolitely(t *testing.T, how, request string, edit func(*Spec)) *recorder {
	t.Helper()
	rec := newRecorder()
	spec := helperSpec(t, "polite", how)
	spec.StopRequest = request
	spec.Grace = 20 * time.Second // far longer than a polite exit takes
	if edit != nil {
		edit(&spec)
	}
	s := &Supervisor{Spec: spec, OnEvent: rec.on}
	wait := start(t, s)
	rec.wait(t, 30*time.Second, 1, func(e Event) bool { return e.Kind == EventStdout && string(e.Data) == "up" })
	began := time.Now()
	if err := s.Stop(context.Background()); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if err := wait(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if took := time.Since(began); took > 15*time.Second {
		t.Errorf("stop took %v: the request was not honoured before grace", took)
	}
	proctest.NoLeftovers(t, time.Second)
	return rec
}

// wantPoliteExit checks that the sidecar left on the request, by way, and
// saw no signal.
func wantPoliteExit(t *testing.T, rec *recorder, way string) {
	t.Helper()
	var out []string
	for _, e := range rec.kinds(EventStdout) {
		out = append(out, string(e.Data))
	}
	if !strings.Contains(strings.Join(out, "|"), "bye "+way) {
		t.Errorf("stdout %q: want bye %s", out, way)
	}
	ex := rec.kinds(EventExited)
	if len(ex) != 1 || ex[0].Code != 0 || ex[0].Signal != "" || !ex[0].Expected {
		t.Errorf("exited %+v: want code 0, no signal, expected", ex)
	}
	if errs := rec.kinds(EventError); len(errs) != 0 {
		t.Errorf("errors: %v", summarize(errs))
	}
}

func TestStopRequestStdinClose(t *testing.T) {
	t.Parallel()
	wantPoliteExit(t, stopPolitely(t, "stdin-eof", "stdin-close", nil), "eof")
}

func TestStopRequestStdinLine(t *testing.T) {
	t.Parallel()
	wantPoliteExit(t, stopPolitely(t, "line:quit", "stdin:quit", nil), "line")
}

func TestStopRequestPost(t *testing.T) {
	t.Parallel()
	rec := stopPolitely(t, "post:{port}", "http://127.0.0.1:{port}/shutdown", func(s *Spec) {
		s.Port = PortAuto
		s.Args = []string{"post:{port}"}
	})
	wantPoliteExit(t, rec, "post")
}

func TestStopRequestExec(t *testing.T) {
	t.Parallel()
	flag := filepath.Join(t.TempDir(), "stop-now")
	wantPoliteExit(t, stopPolitely(t, "file:"+flag, "exec:touch "+flag, nil), "file")
}

// A shutdown URL that refuses is an error event, and the stop goes on to the
// signal at once rather than waiting out grace.
func TestStopRequestRefusedGoesOnToSignal(t *testing.T) {
	t.Parallel()
	port, err := pickPort() // nothing listens there
	if err != nil {
		t.Fatal(err)
	}
	rec := stopPolitely(t, "stdin-eof", fmt.Sprintf("http://127.0.0.1:%d/shutdown", port), nil)
	errs := rec.kinds(EventError)
	if len(errs) != 1 || !strings.Contains(errs[0].Err.Error(), "stop request") || !strings.Contains(errs[0].Err.Error(), "POST") {
		t.Errorf("errors %v: want one saying the stop request's POST failed", summarize(errs))
	}
	ex := rec.kinds(EventExited)
	if len(ex) != 1 || ex[0].Code != 7 {
		t.Errorf("exited %+v: want code 7 (the helper got SIGTERM)", ex)
	}
}

// A URL that does not answer within grace is an error, then the signal.
func TestStopRequestTimeoutGoesOnToSignal(t *testing.T) {
	t.Parallel()
	rec := stopPolitely(t, "post:{port}", "http://127.0.0.1:{port}/shutdown", func(s *Spec) {
		s.Port = PortAuto
		s.Args = []string{"line:never"} // listens nowhere: use a silent server below
		s.Grace = 500 * time.Millisecond
		srv := silentServer(t)
		s.StopRequest = "http://" + srv + "/shutdown"
	})
	errs := rec.kinds(EventError)
	if len(errs) != 1 || !strings.Contains(errs[0].Err.Error(), "stop request") {
		t.Errorf("errors %v: want one for the stop request", summarize(errs))
	}
	if ex := rec.kinds(EventExited); len(ex) != 1 || ex[0].Code != 7 {
		t.Errorf("exited %+v: want code 7 (SIGTERM after the timeout)", ex)
	}
}

func TestStopRequestValidate(t *testing.T) {
	for _, bad := range []string{"stdin", "stdin:a\nb", "exec:", "exec:a |b", "http://:80/x", "http://h/x", "ftp://h:1/", "close"} {
		s := Spec{Command: "x", StopRequest: bad}
		var fe *FieldError
		if err := s.Validate(); !errors.As(err, &fe) || fe.Field != "StopRequest" {
			t.Errorf("StopRequest %q: Validate = %v, want a FieldError for StopRequest", bad, err)
		}
	}
	for _, good := range []string{"", "stdin-close", "stdin:", "stdin:quit now", "exec:kill -TERM 1", "http://127.0.0.1:{port}/quit", "HTTPS://localhost:8443/"} {
		s := Spec{Command: "x", StopRequest: good, Port: PortAuto}
		if err := s.Validate(); err != nil {
			t.Errorf("StopRequest %q: %v", good, err)
		}
	}
}

func TestStopRequestPortNeedsPort(t *testing.T) {
	s := Spec{Command: "x", StopRequest: "http://127.0.0.1:{port}/quit"}
	var fe *FieldError
	if err := s.Validate(); !errors.As(err, &fe) || fe.Field != "StopRequest" || !strings.Contains(fe.Allow, "{port} needs a Port") {
		t.Errorf("Validate = %v, want {port} refused without a Port", err)
	}
}
