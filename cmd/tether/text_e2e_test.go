//go:build unix

package main

import (
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"tether.dev/tether/internal/proctest"
)

// waitText waits for a line of text output that contains s.
func (p *tproc) waitText(timeout time.Duration, s string) {
	p.t.Helper()
	deadline := time.After(timeout)
	for {
		p.mu.Lock()
		for _, l := range p.raw {
			if strings.Contains(string(l), s) {
				p.mu.Unlock()
				return
			}
		}
		wake := p.wake
		p.mu.Unlock()
		select {
		case <-wake:
		case <-p.eof:
			p.t.Fatalf("tether ended before a line with %q; output:\n%s", s, p.rawText())
		case <-deadline:
			p.t.Fatalf("no line with %q within %v; output:\n%s", s, timeout, p.rawText())
		}
	}
}

// rawText is everything tether wrote on stdout so far.
func (p *tproc) rawText() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var b strings.Builder
	for _, l := range p.raw {
		b.Write(l)
	}
	return b.String()
}

// The real tether's text output, end to end: ready without a probe, a
// sidecar's control characters escaped, a failed write with its pid and
// attempt, the stop's wait and how to hurry it; a command that is not
// found told once; who waits for whom in tether up.
func TestTextOutputForPeople(t *testing.T) {
	t.Parallel()
	p := startProc(t, tetherCmd(t, "", "run", "--output", "text", "--grace", "4s", "--restart", "never", "--",
		"sh", "-c", `printf 'red\033[31m cr\r nul\000 end\n'; exec 0<&-; echo closed; sleep 60`), true)
	p.waitText(time.Minute, "closed")
	p.send(`{"cmd":"write","data":"hello"}`)
	p.waitText(time.Minute, "error: tether: write to sh's stdin")
	p.signal(syscall.SIGTERM)
	p.wait(time.Minute)
	out := p.rawText()
	for _, re := range []string{
		`(?m)^\d\d:\d\d:\d\d\.\d{3} sh \* ready \(no probe\), pid \d+$`,
		`(?m)^\d\d:\d\d:\d\d\.\d{3} sh \| red\\x1b\[31m cr\\r nul\\x00 end$`,
		`(?m)^\d\d:\d\d:\d\d\.\d{3} sh \* error: tether: write to sh's stdin: it has closed its standard input \(.*\) \(pid \d+, attempt 1\)$`,
		`(?m)^\d\d:\d\d:\d\d\.\d{3} sh \* stopping on a signal: waiting up to 4s for sh to stop; Ctrl-C again to kill now$`,
	} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("text output does not match %s:\n%s", re, out)
		}
	}
	if strings.ContainsAny(out, "\x1b\r\x00") {
		t.Errorf("a raw control character reached the terminal:\n%q", out)
	}

	out, _, code := tetherExec(t, t.TempDir(), "", "run", "--output", "text", "--", "tether-no-such-command")
	if code != 127 || strings.Count(out, "PATH=") != 1 || strings.Count(out, `"tether-no-such-command"`) != 1 || !strings.Contains(out, "gave up (see the error above)") {
		t.Errorf("status %d; a command not found should be told once:\n%s", code, out)
	}

	dir := writeConfig(t, "[sidecar.api]\ncommand = [\"sh\", \"-c\", \"exit 0\"]\nrestart = \"never\"\n"+
		"[sidecar.worker]\ncommand = [\"sh\", \"-c\", \"exit 0\"]\ndepends_on = [\"api\"]\nrestart = \"never\"\n")
	out, _, _ = tetherExec(t, dir, "", "up", "--output", "text")
	if !regexp.MustCompile(`(?m)^\d\d:\d\d:\d\d\.\d{3} worker \* waits for api to be ready$`).MatchString(out) {
		t.Errorf("no wait line:\n%s", out)
	}
	proctest.NoLeftovers(t, 2*time.Second)
}
