package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"tether.dev/tether/internal/proctest"
)

// schemas compiles the JSON Schemas of schema/ once, asserting formats
// (date-time) and content encodings (base64).
var schemas = sync.OnceValues(func() (map[string]*jsonschema.Schema, error) {
	out := make(map[string]*jsonschema.Schema)
	for _, name := range []string{"events.schema.json", "commands.schema.json"} {
		c := jsonschema.NewCompiler()
		c.AssertFormat()
		c.AssertContent()
		f, err := os.Open(filepath.Join("..", "..", "schema", name))
		if err != nil {
			return nil, err
		}
		doc, err := jsonschema.UnmarshalJSON(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if err := c.AddResource(name, doc); err != nil {
			return nil, err
		}
		if out[name], err = c.Compile(name); err != nil {
			return nil, err
		}
	}
	return out, nil
})

// knownKinds are the event kinds tether documents; the tests insist that it
// writes no other.
var knownKinds = map[string]bool{
	"spawned": true, "stdout": true, "stderr": true, "ready": true, "unhealthy": true,
	"exited": true, "restarting": true, "gave_up": true, "stopping": true, "stopped": true,
	"error": true, "state": true, "status": true,
}

// checkEvent checks one line of tether's stdout: a JSON object ended by a
// newline, valid against schema/events.schema.json, of a documented kind.
// Every black-box test runs every event it reads through it.
func checkEvent(line []byte, e *event) error {
	if len(line) == 0 || line[len(line)-1] != '\n' {
		return errors.New("no newline at the end")
	}
	if err := json.Unmarshal(line, e); err != nil || *e == nil {
		return fmt.Errorf("not a JSON object: %v", err)
	}
	sch, err := schemas()
	if err != nil {
		return fmt.Errorf("schemas: %v", err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(line))
	if err != nil {
		return err
	}
	// Long chunks are checked here, and validated shortened: a regular
	// expression over megabytes of base64 would dominate the test run.
	if m, ok := inst.(map[string]any); ok {
		for _, k := range []string{"line", "data"} {
			s, ok := m[k].(string)
			if !ok || len(s) <= 4096 {
				continue
			}
			if k == "data" {
				if _, err := base64.StdEncoding.DecodeString(s); err != nil {
					return fmt.Errorf("data: %v", err)
				}
			}
			m[k] = s[:4096]
		}
	}
	if err := sch["events.schema.json"].Validate(inst); err != nil {
		return fmt.Errorf("against events.schema.json: %v", err)
	}
	if !knownKinds[e.kind()] {
		return fmt.Errorf("undocumented event kind %q", e.kind())
	}
	return nil
}

// eventChecker checks the events of one tether: all of them are decoded
// and checked as JSON objects, and validated against the schema but for
// output events after the first 300 (validating the thousands of a flood
// under -race would dominate the test run; they all share one shape).
type eventChecker struct{ output int }

func (c *eventChecker) event(line []byte, e *event) error {
	if bytes.Contains(line[:min(len(line), 120)], []byte(`"event":"std`)) {
		c.output++
		if c.output > 300 {
			if len(line) == 0 || line[len(line)-1] != '\n' {
				return errors.New("no newline at the end")
			}
			if err := json.Unmarshal(line, e); err != nil || *e == nil {
				return fmt.Errorf("not a JSON object: %v", err)
			}
			return nil
		}
	}
	return checkEvent(line, e)
}

func TestSchemasCompile(t *testing.T) {
	t.Parallel()
	if _, err := schemas(); err != nil {
		t.Fatal(err)
	}
}

// The schema refuses what tether never writes: a check that the schema is
// not vacuous.
func TestEventSchemaRejects(t *testing.T) {
	t.Parallel()
	const ts = `"time":"2026-01-02T03:04:05.000000006Z","name":"api"`
	good := []string{
		`{` + ts + `,"event":"spawned","pid":4,"attempt":1,"port":8080}`,
		`{` + ts + `,"event":"stdout","pid":4,"attempt":1,"line":"x"}`,
		`{` + ts + `,"event":"stderr","pid":4,"attempt":1,"data":"/w==","partial":true}`,
		`{` + ts + `,"event":"exited","pid":4,"attempt":1,"code":null,"signal":"KILL","uptime_ms":3,"expected":false,"tail":["a"]}`,
		`{` + ts + `,"event":"exited","pid":4,"attempt":1,"code":0,"signal":null,"uptime_ms":3,"expected":true}`,
		`{` + ts + `,"event":"gave_up","attempt":2,"restarts":1,"error":"x","tail":[]}`,
		`{` + ts + `,"event":"status","state":"running","ready":true,"pid":4,"port":null,"attempt":1,"restarts":0,"since":"2026-01-02T03:04:05.000000006Z"}`,
		`{` + ts + `,"event":"status","state":"stopped","ready":false,"pid":null,"port":null,"attempt":0,"restarts":0,"since":"2026-01-02T03:04:05.000000006Z"}`,
		`{` + ts + `,"event":"some_future_kind","whatever":1}`,
	}
	bad := []string{
		`{"name":"api","event":"spawned","pid":4,"attempt":1}`,                         // no time
		`{"time":"2026-01-02T03:04:05Z","name":"api","event":"stopped","code":0}`,      // no nanoseconds
		`{` + ts + `,"event":"spawned","attempt":1}`,                                   // no pid
		`{` + ts + `,"event":"stdout","pid":4,"attempt":1}`,                            // neither line nor data
		`{` + ts + `,"event":"stdout","pid":4,"attempt":1,"line":"x","data":"eA=="}`,   // both
		`{` + ts + `,"event":"stdout","pid":4,"attempt":1,"data":"not base64!"}`,       // bad data
		`{` + ts + `,"event":"stdout","pid":4,"attempt":1,"line":"x","partial":false}`, // partial is only ever true
		`{` + ts + `,"event":"exited","pid":4,"attempt":1,"code":1,"signal":"KILL","uptime_ms":3,"expected":false}`,
		`{` + ts + `,"event":"stopping","reason":"boredom"}`,
		`{` + ts + `,"event":"exited","pid":4,"attempt":1,"code":1,"signal":null,"uptime_ms":3,"expected":false}`,                                       // no tail
		`{` + ts + `,"event":"exited","pid":4,"attempt":1,"code":1,"signal":null,"uptime_ms":3,"expected":true,"tail":[]}`,                              // tail when expected
		`{` + ts + `,"event":"gave_up","attempt":2,"restarts":1,"error":"x"}`,                                                                           // no tail
		`{` + ts + `,"event":"status","state":"running","ready":true,"pid":4,"port":null,"attempt":1,"restarts":0}`,                                     // no since
		`{` + ts + `,"event":"status","state":"up","ready":true,"pid":4,"port":null,"attempt":1,"restarts":0,"since":"2026-01-02T03:04:05.000000006Z"}`, // bad state
		`{` + ts + `,"event":"spawned","pid":4,"attempt":0}`,
		`{` + ts + `,"event":"spawned","pid":null,"attempt":1}`, // pid null outside status                                                                     // attempt 0 outside status
		`{` + ts + `,"event":"stopped","code":-1}`,
		`{` + ts + `,"event":"ready","pid":4,"attempt":1,"after_ms":1,"extra":true}`,
	}
	for _, s := range good {
		var e event
		if err := checkEvent([]byte(s+"\n"), &e); err != nil && !strings.Contains(err.Error(), "undocumented") {
			t.Errorf("%s: %v", s, err)
		}
	}
	for _, s := range bad {
		var e event
		if err := checkEvent([]byte(s+"\n"), &e); err == nil {
			t.Errorf("%s: accepted", s)
		}
	}
}

// Stdin commands: what the schema accepts tether carries out without an
// error event, and what it refuses tether answers with one. Both are
// checked against a running tether.
func TestCommandSchemaAgreesWithTether(t *testing.T) {
	t.Parallel()
	sch, err := schemas()
	if err != nil {
		t.Fatal(err)
	}
	valid := []string{
		`{"cmd":"write","data":"hello\n"}`,
		`{"cmd":"write","name":"cat","data":""}`,
		`{"cmd":"signal","signal":"CONT"}`,
		`{"cmd":"signal","name":"cat","signal":"sigcont"}`,
		`{"cmd":"signal","signal":"18"}`,
		`{"cmd":"start"}`,
		`{"cmd":"status"}`,
		`{"cmd":"status","name":"cat"}`,
	}
	invalid := []string{
		`nonsense`,
		`[1,2]`,
		`{}`,
		`{"cmd":"explode"}`,
		`{"cmd":"restart","extra":1}`,
		`{"cmd":"signal"}`,
		`{"cmd":"write"}`,
		`{"cmd":"write","data":5}`,
		`{"cmd":"stop","signal":"TERM"}`,
		`{"cmd":"restart","data":"x"}`,
		`{"cmd":"restart","name":""}`,
		`{"cmd":"status","data":"x"}`,
		// Issue 11 item 10: keys in another case, and null values.
		`{"CMD":"stop"}`,
		`{"cmd":"signal","SIGNAL":"CONT"}`,
		`{"cmd":"stop","Name":"cat"}`,
		`{"cmd":"restart","name":null}`,
		`{"cmd":"write","data":null}`,
		`{"cmd":null}`,
	}
	for _, s := range valid {
		inst, _ := jsonschema.UnmarshalJSON(strings.NewReader(s))
		if err := sch["commands.schema.json"].Validate(inst); err != nil {
			t.Errorf("schema refuses valid %s: %v", s, err)
		}
	}
	for _, s := range invalid {
		inst, err := jsonschema.UnmarshalJSON(strings.NewReader(s))
		if err == nil && sch["commands.schema.json"].Validate(inst) == nil {
			t.Errorf("schema accepts invalid %s", s)
		}
	}

	flags, argv := helperArgv("cat")
	p := startTether(t, "", runArgs(append(flags, "--name", "cat"), argv...)...)
	p.waitFor(20*time.Second, 0, `the "up" line`, func(e event) bool { return e.str("line") == "up" })
	for _, s := range valid {
		p.send(s)
	}
	// The last valid command writes a marker: once it is echoed, every
	// command before it has been handled.
	p.send(`{"cmd":"write","data":"marker\n"}`)
	_, at := p.waitFor(20*time.Second, 0, "the marker", func(e event) bool { return e.str("line") == "marker" })
	if errs := ofKind(p.all()[:at], "error"); len(errs) > 0 {
		t.Errorf("valid commands got error events: %v", errs)
	}
	for _, s := range invalid {
		p.send(s)
		e, i := p.waitKind(20*time.Second, at, "error")
		at = i + 1
		if !strings.Contains(e.str("error"), strconv.Quote(s)) {
			t.Errorf("error for %s does not quote the line: %s", s, e)
		}
		if e.str("name") != "cat" {
			t.Errorf("error for %s: name %q, want the sidecar's", s, e.str("name"))
		}
	}
	if n := len(ofKind(p.all(), "spawned")); n != 1 {
		t.Errorf("%d spawned events: a bad line changed something", n)
	}
	p.send(`{"cmd":"stop"}`)
	if code := p.wait(20 * time.Second); code != 0 {
		t.Errorf("exit status %d after stop", code)
	}
	proctest.NoLeftovers(t, 2*time.Second)
}
