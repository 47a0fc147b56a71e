//go:build unix

package main

import (
	"fmt"
	"io"
	"strings"
	"syscall"
	"testing"
	"time"

	"tether.dev/tether/internal/proctest"
)

// Every way a stop can reach tether while a restart is stopping the old
// tree ends tether: the stop command, SIGTERM, the end of stdin under
// --lifeline stdin, a second SIGINT, and the same in up.
func TestRestartThenEveryStop(t *testing.T) {
	t.Parallel()
	for _, how := range []string{"command", "SIGTERM", "stdin-eof", "second-SIGINT", "up-SIGTERM"} {
		t.Run(how, func(t *testing.T) {
			t.Parallel()
			var p *tproc
			if how == "up-SIGTERM" {
				dir := writeConfig(t, "[sidecar.s]\n"+helperCommand("stubborn")+"grace = \"2s\"\n")
				p = startTether(t, dir, "up")
			} else {
				flags, argv := helperArgv("stubborn")
				p = startTether(t, "", runArgs(append(flags, "--grace", "2s", "--lifeline", "stdin"), argv...)...)
			}
			_, at := p.waitFor(20*time.Second, 0, "up", func(e event) bool { return e.str("line") == "up" })
			if how == "up-SIGTERM" {
				p.send(`{"cmd":"restart","name":"s"}`)
			} else {
				p.send(`{"cmd":"restart"}`)
			}
			p.waitFor(20*time.Second, at, "state stopping", func(e event) bool { return e.kind() == "state" && e.str("state") == "stopping" })
			switch how {
			case "command":
				p.send(`{"cmd":"stop"}`)
			case "SIGTERM", "up-SIGTERM":
				p.signal(syscall.SIGTERM)
			case "stdin-eof":
				p.stdin.Close()
			case "second-SIGINT":
				p.signal(syscall.SIGINT)
				p.waitKind(20*time.Second, at, "stopping")
				p.signal(syscall.SIGINT)
			}
			if code := p.wait(20 * time.Second); code != 0 {
				t.Fatalf("exit status %d", code)
			}
			evs := p.all()
			if last := evs[len(evs)-1]; last.kind() != "stopped" || last.num("code") != 0 {
				t.Errorf("last event %s", last)
			}
			if n := len(ofKind(evs, "spawned")); n != 1 {
				t.Errorf("%d attempts: the stop must win over the restart; events %s", n, strings.Join(kinds(evs), " "))
			}
			proctest.NoLeftovers(t, 2*time.Second)
		})
	}
}

// Issue 11 item 9: commands for one sidecar take effect in order. The bytes
// of a write reach the sidecar's stdin before a signal or stop sent after
// it acts: the sidecar, on the signal, finds them there.
func TestWriteThenSignalInOrder(t *testing.T) {
	t.Parallel()
	flags, argv := helperArgv("peek")
	p := startTether(t, "", runArgs(flags, argv...)...)
	_, at := p.waitFor(20*time.Second, 0, "up", func(e event) bool { return e.str("line") == "up" })
	for i := range 20 {
		p.send(fmt.Sprintf(`{"cmd":"write","data":"%d\n"}`, i))
		p.send(`{"cmd":"signal","signal":"USR1"}`)
		e, j := p.waitFor(20*time.Second, at, "got", func(e event) bool { return strings.HasPrefix(e.str("line"), "got:") })
		at = j + 1
		if want := fmt.Sprintf("got:%d|", i); e.str("line") != want {
			t.Errorf("round %d: the sidecar found %q on USR1, want %q: the signal overtook the write", i, e.str("line"), want)
		}
	}
	p.send(`{"cmd":"write","data":"last\n"}`)
	p.send(`{"cmd":"stop"}`)
	e, _ := p.waitFor(20*time.Second, at, "got", func(e event) bool { return strings.HasPrefix(e.str("line"), "got:") })
	if e.str("line") != "got:last|" {
		t.Errorf("on TERM the sidecar found %q, want got:last|: the stop overtook the write", e.str("line"))
	}
	if code := p.wait(20 * time.Second); code != 0 {
		t.Errorf("exit status %d", code)
	}
	if errs := ofKind(p.all(), "error"); len(errs) > 0 {
		t.Errorf("errors: %v", errs)
	}
	proctest.NoLeftovers(t, 2*time.Second)
}

// Issue 11 item 5: the write budget counts empty writes (their number is
// bounded too) ...
func TestWriteBudgetCountsEmptyWrites(t *testing.T) {
	// Not parallel: it moves tens of MiB through tether.
	p := startTether(t, "", "run", "--grace", "100ms", "--", "sleep", "1000") // never reads stdin
	_, at := p.waitKind(20*time.Second, 0, "spawned")
	var b strings.Builder
	b.WriteString(`{"cmd":"write","data":"` + strings.Repeat("x", 1<<20) + `"}` + "\n") // fills the pipe, then blocks
	for range 1<<16 + 100 {                                                             // 100 past the 65,536 writes a member's queue holds (see tether.Group.Write)
		b.WriteString(`{"cmd":"write","data":""}` + "\n")
	}
	if _, err := io.WriteString(p.stdin, b.String()); err != nil {
		t.Fatal(err)
	}
	e, _ := p.waitKind(60*time.Second, at, "error")
	if !strings.Contains(e.str("error"), "are waiting to be written") {
		t.Errorf("first error %s", e)
	}
}

// ... and the write being carried out.
func TestWriteBudgetCountsWriteInProgress(t *testing.T) {
	// Not parallel: it moves tens of MiB through tether.
	p := startTether(t, "", "run", "--grace", "100ms", "--", "sleep", "1000") // never reads stdin
	_, at := p.waitKind(20*time.Second, 0, "spawned")
	line := `{"cmd":"write","data":"` + strings.Repeat("x", 15<<20) + `"}`
	for range 5 { // 15 MiB is being written, 45 wait: the fifth is refused
		p.send(line)
	}
	e, _ := p.waitKind(60*time.Second, at, "error")
	if !strings.Contains(e.str("error"), "stdin line 5:") || !strings.Contains(e.str("error"), "are waiting to be written") {
		t.Errorf("first error %.300s, want the fifth write refused", e)
	}
}

// ... and a stop answers the writes still queued with one error, before
// the stopped record.
func TestStopAnswersQueuedWritesOnce(t *testing.T) {
	t.Parallel()
	p := startTether(t, "", "run", "--grace", "100ms", "--", "sleep", "1000") // never reads stdin
	_, at := p.waitKind(20*time.Second, 0, "spawned")
	var b strings.Builder
	b.WriteString(`{"cmd":"write","data":"` + strings.Repeat("x", 1<<20) + `"}` + "\n")
	for range 1000 {
		b.WriteString(`{"cmd":"write","data":"x"}` + "\n")
	}
	b.WriteString(`{"cmd":"stop"}` + "\n")
	io.WriteString(p.stdin, b.String())
	if code := p.wait(30 * time.Second); code != 0 {
		t.Errorf("exit status %d", code)
	}
	evs := p.all()[at:]
	errs := ofKind(evs, "error")
	if len(errs) != 1 || !strings.Contains(errs[0].str("error"), "write") {
		t.Fatalf("%d errors after the stop, want one about the writes: %v", len(errs), errs[:min(len(errs), 3)])
	}
	ie := index(evs, func(e event) bool { return e.kind() == "error" })
	is := index(evs, func(e event) bool { return e.kind() == "stopped" })
	if ie > is {
		t.Errorf("the error about the writes comes after stopped: %v", kinds(evs))
	}
	proctest.NoLeftovers(t, 2*time.Second)
}

// Issue 11 item 10: a key given twice is refused (encoding/json would take
// the last), as are the cases TestCommandSchemaAgreesWithTether checks
// against the schema.
func TestCommandDuplicateKeysRefused(t *testing.T) {
	t.Parallel()
	for _, line := range []string{
		`{"cmd":"write","data":"a\n","data":"b\n"}`,
		`{"cmd":"stop","cmd":"status"}`,
		`{"cmd":"signal","signal":"CONT","signal":"CONT"}`,
	} {
		if _, err := parseCommand([]byte(line)); err == nil || !strings.Contains(err.Error(), "twice") {
			t.Errorf("%s: %v, want refused as a key given twice", line, err)
		}
	}
}

// Issue 11 item 6: a config file nested thousands deep, or larger than
// 1 MiB, is a usage error before it is parsed (8,000 levels took 2.7 GB).
func TestConfigSizeAndNestingCapped(t *testing.T) {
	t.Parallel()
	deep := "[sidecar.a]\ncommand = [\"true\"]\nenv = { X = \"a\" }\nx = " + strings.Repeat("{a=", 1000) + "1" + strings.Repeat("}", 1000) + "\n"
	if _, err := parseConfig("tether.toml", deep); err == nil || !strings.Contains(err.Error(), "nested") || !strings.Contains(err.Error(), "line 4") {
		t.Errorf("nested 1000 deep: %v", err)
	}
	big := "[sidecar.a]\ncommand = [\"true\"]\n# " + strings.Repeat("x", 1<<20) + "\n"
	if _, err := parseConfig("tether.toml", big); err == nil || !strings.Contains(err.Error(), "at most") {
		t.Errorf("a 1 MiB file: %v", err)
	}
	// Brackets in strings and comments do not count.
	fine := "[sidecar.a] # {{{{[[[[\ncommand = [\"sh\", \"-c\", \"echo '[[[[{{{{' \\\"}}\\\"\"]\nenv = { X = '''[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[''' }\n"
	if _, err := parseConfig("tether.toml", fine); err != nil {
		t.Errorf("brackets in strings: %v", err)
	}
	// Through the command: exit status 2, one line.
	dir := writeConfig(t, deep)
	_, errOut, code := tetherExec(t, dir, "", "up")
	if code != 2 || !strings.Contains(errOut, "nested") {
		t.Errorf("tether up: status %d, stderr %q", code, errOut)
	}
}
