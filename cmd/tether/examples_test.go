//go:build linux

package main

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"tether.dev/tether/internal/proctest"
)

// examplesIn returns the example commands of a help text: the lines that
// follow a "Try it" or "Examples" heading, up to a blank line, with
// continuation lines (ending in \) joined.
func examplesIn(help string) []string {
	var out []string
	in := false
	var cur strings.Builder
	for _, line := range strings.Split(help, "\n") {
		switch {
		case strings.HasPrefix(line, "Try it") || strings.HasPrefix(line, "Examples"):
			in = true
			continue
		case strings.TrimSpace(line) == "":
			in = false
			continue
		case !in:
			continue
		}
		l := strings.TrimSpace(line)
		if more, ok := strings.CutSuffix(l, `\`); ok {
			cur.WriteString(more)
			continue
		}
		cur.WriteString(l)
		out = append(out, cur.String())
		cur.Reset()
	}
	return out
}

// readyLine is what an example's output shows once its sidecar is ready:
// the ready event, in JSON or in text.
var readyLine = regexp.MustCompile(`"event":"ready"|\* ready[ ,(]`)

// runExample runs a shell command line as a user would type it, with the
// tether under test first in PATH, in dir, with stdin open: it waits (up
// to a minute) until the command's output shows a ready sidecar, then
// presses Ctrl-C (SIGINT) and waits for exit status 0 and for nothing to be
// left. A command that ends by itself must end with status 0.
func runExample(t *testing.T, dir, line string) string {
	t.Helper()
	cmd := exec.Command("sh", "-c", "exec "+line)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PATH="+filepath.Dir(tetherBin)+string(os.PathListSeparator)+os.Getenv("PATH"),
		proctest.Env(t), "NO_COLOR=1")
	stdin, err := cmd.StdinPipe() // open: --lifeline stdin must not end it
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var out strings.Builder
	ready := make(chan struct{})
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(nil, 16<<20)
		once := sync.OnceFunc(func() { close(ready) })
		for sc.Scan() {
			mu.Lock()
			out.WriteString(sc.Text() + "\n")
			mu.Unlock()
			if readyLine.MatchString(sc.Text()) {
				once()
			}
		}
		io.Copy(io.Discard, stdout)
	}()
	text := func() string { mu.Lock(); defer mu.Unlock(); return out.String() }
	exited := make(chan error, 1)
	go func() { <-readDone; exited <- cmd.Wait() }()
	select {
	case <-ready:
		cmd.Process.Signal(syscall.SIGINT)
	case err := <-exited:
		if err != nil {
			t.Fatalf("%s: ended with %v before it was ready:\n%s\nstderr: %s", line, err, text(), stderr.String())
		}
		return text()
	case <-time.After(time.Minute):
		cmd.Process.Kill()
		<-exited
		t.Fatalf("%s: not ready within a minute:\n%s\nstderr: %s", line, text(), stderr.String())
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("%s: after Ctrl-C: %v, want exit status 0:\n%s\nstderr: %s", line, err, text(), stderr.String())
		}
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		<-exited
		t.Fatalf("%s: did not exit within 30s of Ctrl-C:\n%s\nstderr: %s", line, text(), stderr.String())
	}
	proctest.NoLeftovers(t, 2*time.Second)
	return text()
}

// Every example in tether's help works as printed: it gets its sidecar
// ready, and Ctrl-C stops it cleanly. (The first "Try it" line once probed
// /health on python3 -m http.server, which has none, and never got ready.)
func TestHelpExamples(t *testing.T) {
	t.Parallel()
	var examples []string
	for _, args := range [][]string{{"help"}, {"help", "run"}, {"help", "up"}, {"help", "demo"}} {
		out, _, code := tetherExec(t, "", "", args...)
		if code != 0 {
			t.Fatalf("tether %v: status %d", args, code)
		}
		examples = append(examples, examplesIn(out)...)
	}
	if len(examples) < 6 {
		t.Fatalf("found %d examples in tether's help, want at least 6: %q", len(examples), examples)
	}
	if _, err := exec.LookPath("python3"); err != nil {
		t.Fatalf("the help's examples need python3 (CI installs it): %v", err)
	}
	for _, ex := range examples {
		t.Run(ex, func(t *testing.T) {
			t.Parallel()
			if !strings.HasPrefix(ex, "tether ") {
				t.Fatalf("an example that does not start with tether: %q", ex)
			}
			runExample(t, t.TempDir(), ex)
		})
	}
}

// The tether.toml shown in tether help up is a valid config.
func TestHelpUpConfig(t *testing.T) {
	t.Parallel()
	out, _, _ := tetherExec(t, "", "", "help", "up")
	_, rest, ok := strings.Cut(out, "tether.toml:\n")
	toml, _, ok2 := strings.Cut(rest, "\n\n")
	if !ok || !ok2 {
		t.Fatalf("no tether.toml in tether help up:\n%s", out)
	}
	var b strings.Builder
	for _, l := range strings.Split(toml, "\n") {
		b.WriteString(strings.TrimPrefix(l, "  ") + "\n")
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "tether.toml")
	if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := loadConfig(file); err != nil {
		t.Errorf("the config of tether help up: %v\n%s", err, b.String())
	}
}
