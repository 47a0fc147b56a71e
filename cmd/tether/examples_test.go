//go:build unix

package main

import (
	"bufio"
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
// tether under test first in PATH, in dir, with stdin open, until its
// output shows a ready sidecar; then presses Ctrl-C (see runUntilReady).
func runExample(t *testing.T, dir, line string) string {
	t.Helper()
	cmd := exec.Command("sh", "-c", shellScript(line))
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PATH="+filepath.Dir(tetherBin)+string(os.PathListSeparator)+os.Getenv("PATH"),
		proctest.Env(t), "NO_COLOR=1")
	return runUntilReady(t, cmd, readyLine, line, nil)
}

// shellScript is line for sh -c, which stands in for the user's
// interactive shell: Ctrl-C does not end that shell, so the last command
// replaces sh.
func shellScript(line string) string {
	if i := strings.LastIndex(line, " && "); i >= 0 {
		return line[:i] + " && exec " + line[i+4:]
	}
	return "exec " + line
}

// runUntilReady starts cmd in a process group of its own, as a shell
// starts a foreground job, with stdin open (so that --lifeline stdin does
// not end it) and stdout and stderr read together. Once a line matches
// ready (within two minutes), it presses Ctrl-C: SIGINT to the whole group,
// as a terminal does. The command must then exit with status 0 within 30s
// and leave nothing running. A command that ends by itself before it is
// ready must end with status 0. It returns everything the command wrote.
//
// exitOK, when not nil, decides instead whether the command ended well
// after Ctrl-C, from its output.
func runUntilReady(t *testing.T, cmd *exec.Cmd, ready *regexp.Regexp, desc string, exitOK func(out string) bool) string {
	t.Helper()
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = w, w
	err = cmd.Start()
	w.Close()
	if err != nil {
		r.Close()
		t.Fatal(err)
	}
	var mu sync.Mutex
	var out strings.Builder
	readyCh := make(chan struct{})
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		defer r.Close()
		br := bufio.NewReaderSize(r, 1<<16)
		once := sync.OnceFunc(func() { close(readyCh) })
		for {
			line, err := br.ReadString('\n')
			mu.Lock()
			out.WriteString(line)
			mu.Unlock()
			if ready.MatchString(line) {
				once()
			}
			if err != nil {
				return
			}
		}
	}()
	text := func() string { mu.Lock(); defer mu.Unlock(); return out.String() }
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	killAll := func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-exited
	}
	select {
	case <-readyCh:
		syscall.Kill(-cmd.Process.Pid, syscall.SIGINT)
	case err := <-exited:
		select {
		case <-readDone:
		case <-time.After(5 * time.Second):
		}
		if err != nil {
			t.Fatalf("%s: ended with %v before it was ready:\n%s", desc, err, text())
		}
		return text()
	case <-time.After(2 * time.Minute): // wide: python3 starts slowly on a loaded machine
		killAll()
		t.Fatalf("%s: not ready within two minutes:\n%s", desc, text())
	}
	select {
	case err := <-exited:
		if err != nil && (exitOK == nil || !exitOK(text())) {
			t.Errorf("%s: after Ctrl-C: %v, want exit status 0:\n%s", desc, err, text())
		}
	case <-time.After(30 * time.Second):
		killAll()
		t.Fatalf("%s: did not exit within 30s of Ctrl-C:\n%s", desc, text())
	}
	select {
	case <-readDone:
	case <-time.After(5 * time.Second):
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
