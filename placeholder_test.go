package tether

import (
	"errors"
	"regexp"
	"strings"
	"testing"
)

// "{port}" without a Port is refused by Validate, naming the field: there is
// nothing to put in its place, and a probe would poll a URL that cannot
// answer until ReadyTimeout. Other text in braces is left alone.
func TestValidatePortPlaceholder(t *testing.T) {
	t.Parallel()
	bad := []struct {
		spec  Spec
		field string
	}{
		{Spec{Command: "srv", Args: []string{"--port", "{port}"}}, "Args[1]"},
		{Spec{Command: "srv", Env: []string{"ADDR=127.0.0.1:{port}"}}, "Env[0]"},
		{Spec{Command: "srv", Ready: HTTPProbe("http://127.0.0.1:{port}/")}, "Ready"},
		{Spec{Command: "srv", Live: TCPProbe("127.0.0.1:{port}")}, "Live"},
		{Spec{Command: "srv", Ready: ExecProbe("check", "-p", "{port}")}, "Ready"},
		{Spec{Command: "srv", StopRequest: "http://127.0.0.1:{port}/quit"}, "StopRequest"},
	}
	for _, c := range bad {
		err := c.spec.Validate()
		var fe *FieldError
		if !errors.As(err, &fe) || !errors.Is(err, ErrInvalidSpec) || fe.Field != c.field || !strings.Contains(fe.Allow, "{port} needs a Port") {
			t.Errorf("Validate(%+v) = %v, want a FieldError for %s", c.spec, err, c.field)
		}
		c.spec.Port = PortAuto
		if err := c.spec.Validate(); err != nil {
			t.Errorf("with PortAuto: %v", err)
		}
		c.spec.Port = 8080
		if err := c.spec.Validate(); err != nil {
			t.Errorf("with Port 8080: %v", err)
		}
	}
	good := []Spec{
		{Command: "srv", Args: []string{`{"port":1}`, "{x}", "{}", "{api.port}"}},
		{Command: "srv", Ready: LogProbe(regexp.MustCompile(`listening on {port}`))},
	}
	for _, s := range good {
		if err := s.Validate(); err != nil {
			t.Errorf("Validate(%+v) = %v, want nil", s, err)
		}
	}
}
