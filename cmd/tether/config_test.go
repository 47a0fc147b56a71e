package main

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"tether.dev/tether"
)

// The example config parses, and mentions every key there is.
func TestExampleConfig(t *testing.T) {
	t.Parallel()
	path := filepath.Join("..", "..", "tether.example.toml")
	fc, err := loadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	text, _ := os.ReadFile(path)
	for _, k := range optionKeys(slices.Concat(sidecarOptions, processOptions)) {
		if !strings.Contains(string(text), k+" =") {
			t.Errorf("tether.example.toml does not show key %s", k)
		}
	}
	if len(fc.sidecars) != 2 || fc.sidecars[1].dependsOn[0] != "api" {
		t.Errorf("sidecars %+v", fc.sidecars)
	}
}

// Keys become the Spec the library takes, with the command line's meaning
// of zero where it differs from the library's.
func TestConfigToSpec(t *testing.T) {
	t.Parallel()
	fc, err := parseConfig("/cfg/tether.toml", `
output = "text"
[sidecar.api]
command = ["./api", "--port", "{port}"]
dir = "sub"
env = { B = "2", A = 1, C = true }
port = 8080
ready = "tcp://127.0.0.1:{port}"
ready_timeout = "1m30s"
grace = "0s"
backoff_jitter = 0
backoff_factor = 1
stop_signal = "sigint"
restart = "on-failure"
max_restarts = 4
[sidecar.db]
command = ["postgres"]
port = "auto"
`)
	if err != nil {
		t.Fatal(err)
	}
	if fc.proc.output != "text" || fc.proc.lifeline != "none" || !fc.proc.exitWithParent {
		t.Errorf("proc %+v", fc.proc)
	}
	api, db := fc.sidecars[0].spec, fc.sidecars[1].spec
	want := tether.Spec{Name: "api", Command: "./api", Args: []string{"--port", "{port}"}, Dir: filepath.Join(filepath.Dir("/cfg/tether.toml"), "sub"), // \cfg\sub on Windows
		Env: []string{"A=1", "B=2", "C=true"}, Port: 8080, ReadyTimeout: 90 * time.Second, Grace: -1,
		Backoff: tether.Backoff{Jitter: -1, Factor: 1}, StopSignal: syscall.SIGINT, Restart: tether.RestartOnFailure, MaxRestarts: 4}
	want.Ready = api.Ready
	if api.Ready.String() != "tcp://127.0.0.1:{port}" {
		t.Errorf("ready %v", api.Ready)
	}
	if !specEqual(api, want) {
		t.Errorf("api spec\n got %+v\nwant %+v", api, want)
	}
	if db.Name != "db" || db.Port != tether.PortAuto || db.Dir != filepath.Dir("/cfg/tether.toml") {
		t.Errorf("db spec %+v", db)
	}
}

func specEqual(a, b tether.Spec) bool {
	return a.Name == b.Name && a.Command == b.Command && slices.Equal(a.Args, b.Args) && a.Dir == b.Dir &&
		slices.Equal(a.Env, b.Env) && a.Port == b.Port && a.ReadyTimeout == b.ReadyTimeout && a.Grace == b.Grace &&
		a.Backoff == b.Backoff && a.StopSignal == b.StopSignal && a.Restart == b.Restart && a.MaxRestarts == b.MaxRestarts
}

// run's flags: both --flag value and --flag=value, one dash too; the
// command after --, or after the first argument that is not a flag.
func TestRunFlags(t *testing.T) {
	t.Parallel()
	sc, pc, _, err := runConfig([]string{"-name=x", "--grace", "2s", "--env", "A=1", "--env=B=2", "--exit-with-parent=false",
		"--lifeline", "stdin", "--bundled", "--", "server", "--grace", "9s"})
	if err != nil {
		t.Fatal(err)
	}
	if sc.name != "x" || sc.spec.Grace != 2*time.Second || !slices.Equal(sc.spec.Env, []string{"A=1", "B=2"}) ||
		!sc.bundled || !slices.Equal(sc.command, []string{"server", "--grace", "9s"}) {
		t.Errorf("sidecar %+v", sc)
	}
	if pc.exitWithParent || pc.lifeline != "stdin" {
		t.Errorf("proc %+v", pc)
	}
	sc, _, _, err = runConfig([]string{"/usr/bin/python3.exe", "-m", "x"})
	if err != nil || sc.name != "python3" || sc.command[1] != "-m" {
		t.Errorf("%+v %v", sc, err)
	}
	_, _, help, _ := runConfig([]string{"--help"})
	if !help {
		t.Error("--help")
	}
	var ue *usageError
	if _, _, _, err := runConfig([]string{"--grace", "1s", "--grace", "2s", "--", "x"}); !errors.As(err, &ue) || !strings.Contains(err.Error(), "twice") {
		t.Errorf("a flag given twice: %v", err)
	}
}
