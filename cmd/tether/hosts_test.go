//go:build linux

package main

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"tether.dev/tether/internal/proctest"
)

// status answers with the sidecar's state, readiness, pid, port, attempt,
// restarts and since, agreeing with the events before it; an unknown name
// gets an error naming the sidecars there are.
func TestStatusCommand(t *testing.T) {
	t.Parallel()
	flags, argv := helperArgv("cat")
	p := startTether(t, "", runArgs(append(flags, "--name", "cat", "--port", "auto", "--backoff-initial", "10ms"), argv...)...)
	_, at := p.waitFor(20*time.Second, 0, "up", func(e event) bool { return e.str("line") == "up" })
	p.send(`{"cmd":"status"}`)
	st, at := p.waitKind(20*time.Second, at, "status")
	sp, _ := p.waitKind(time.Second, 0, "spawned")
	since, err := time.Parse(time.RFC3339Nano, st.str("since"))
	if st.str("name") != "cat" || st.str("state") != "running" || st["ready"] != true || st.num("pid") != sp.num("pid") ||
		st.num("port") != sp.num("port") || st.num("attempt") != 1 || st.num("restarts") != 0 || err != nil || since.IsZero() {
		t.Errorf("status of a running sidecar: %s (spawned %s)", st, sp)
	}

	p.send(`{"cmd":"status","name":"nosuch"}`)
	e, at := p.waitKind(20*time.Second, at, "error")
	if !strings.Contains(e.str("error"), `no sidecar named "nosuch" (there are: cat)`) {
		t.Errorf("status of an unknown name: %s", e)
	}

	p.send(`{"cmd":"signal","signal":"KILL"}`)
	_, at = p.waitFor(20*time.Second, at, "up again", func(e event) bool { return e.str("line") == "up" })
	p.send(`{"cmd":"status","name":"cat"}`)
	st, _ = p.waitKind(20*time.Second, at, "status")
	sp, _ = p.waitFor(time.Second, 0, "second spawn", func(e event) bool { return e.kind() == "spawned" && e.num("attempt") == 2 })
	if st.str("state") != "running" || st.num("attempt") != 2 || st.num("restarts") != 1 || st.num("pid") != sp.num("pid") || st.num("port") != sp.num("port") {
		t.Errorf("status after a restart: %s (spawned %s)", st, sp)
	}
	p.send(`{"cmd":"stop"}`)
	if code := p.wait(20 * time.Second); code != 0 {
		t.Errorf("exit status %d after stop", code)
	}
	proctest.NoLeftovers(t, 2*time.Second)
}

// In up, status without a name answers for every sidecar, one waiting for
// its dependency included (stopped, attempt 0, no pid).
func TestUpStatus(t *testing.T) {
	t.Parallel()
	dir := writeConfig(t, "[sidecar.a]\n"+helperCommand("cat")+"ready = \"log:^never$\"\n"+
		"[sidecar.b]\n"+helperCommand("cat")+"depends_on = [\"a\"]\n")
	p := startTether(t, dir, "up")
	_, at := p.waitFor(20*time.Second, 0, "a up", func(e event) bool { return e.str("name") == "a" && e.str("line") == "up" })
	p.send(`{"cmd":"status"}`)
	sa, i := p.waitKind(20*time.Second, at, "status")
	sb, _ := p.waitKind(20*time.Second, i+1, "status")
	if sa.str("name") != "a" || sa.str("state") != "starting" || sa["ready"] != false || sa.num("pid") == 0 || sa["port"] != nil || sa.num("attempt") != 1 {
		t.Errorf("status of a, not ready yet: %s", sa)
	}
	if sb.str("name") != "b" || sb.str("state") != "stopped" || sb["pid"] != nil || sb.num("attempt") != 0 || sb.str("since") == "" {
		t.Errorf("status of b, waiting for a: %s", sb)
	}
	p.send(`{"cmd":"status","name":"zz"}`)
	e, _ := p.waitKind(20*time.Second, at, "error")
	if !strings.Contains(e.str("error"), "(there are: a, b)") {
		t.Errorf("status of an unknown name: %s", e)
	}
	p.send(`{"cmd":"stop","name":"b"}`)
	p.send(`{"cmd":"stop","name":"a"}`)
	if code := p.wait(20 * time.Second); code != 0 {
		t.Errorf("exit status %d after stop", code)
	}
	proctest.NoLeftovers(t, 2*time.Second)
}

// A Python program that dies on start: the traceback is in the tail of
// exited and gave_up, in JSON and in text.
func TestCrashTailShowsTraceback(t *testing.T) {
	t.Parallel()
	args := []string{"run", "--max-restarts", "1", "--backoff-initial", "10ms", "--", "python3", "-c", "import nosuchmodule"}
	out, stderr, code := tetherExec(t, t.TempDir(), "", append([]string{args[0], "--output", "json"}, args[1:]...)...)
	if code != 1 {
		t.Errorf("exit status %d, want 1; stderr %s", code, stderr)
	}
	evs := decodeAll(t, out)
	gu := ofKind(evs, "gave_up")
	if len(gu) != 1 {
		t.Fatalf("gave_up events: %v", gu)
	}
	tail, _ := gu[0]["tail"].([]any)
	if len(tail) == 0 || !strings.HasPrefix(tail[len(tail)-1].(string), "ModuleNotFoundError: No module named 'nosuchmodule'") ||
		tail[0] != "Traceback (most recent call last):" {
		t.Errorf("gave_up tail: %q", tail)
	}
	for _, ex := range ofKind(evs, "exited") {
		if et, _ := ex["tail"].([]any); len(et) != len(tail) {
			t.Errorf("exited tail %q, want the same as gave_up's", et)
		}
	}

	text, _, _ := tetherExec(t, t.TempDir(), "", append([]string{args[0], "--output", "text"}, args[1:]...)...)
	re := regexp.MustCompile(`(?m)^\d\d:\d\d:\d\d\.\d{3} python3 \* gave up after 1 restarts: .*\n +┆ last output:\n( +┆ .*\n)* +┆ ModuleNotFoundError: No module named 'nosuchmodule'\n`)
	if !re.MatchString(text) {
		t.Errorf("text output does not show the traceback under gave up:\n%s", text)
	}
	proctest.NoLeftovers(t, 2*time.Second)
}
