//go:build linux

package main

import (
	"bytes"
	"io"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"tether.dev/tether/internal/proctest"
)

// Issue 11 item 1, exactly as reported: a stop that arrives while a
// restart is still stopping the old tree made tether print stopped and
// never exit. The pipeline's timeout kills tether after 10s (status 137).
func TestRestartThenStopExits(t *testing.T) {
	t.Parallel()
	cmd := exec.Command("timeout", "-s", "KILL", "10", tetherBin, "run", "--grace", "1s", "--", "sh", "-c", "trap '' TERM; sleep 1000")
	cmd.Env = tetherCmd(t, "").Env
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close() // stdin stays open, as the reproduction's sleep 12 keeps it
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	io.WriteString(in, `{"cmd":"restart"}`+"\n")
	time.Sleep(300 * time.Millisecond)
	io.WriteString(in, `{"cmd":"stop"}`+"\n")
	cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("exit status %d (137: tether hung and timeout killed it); stderr: %s\nstdout: %s", code, errb.String(), out.String())
	}
	evs := decodeAll(t, out.String())
	if last := evs[len(evs)-1]; last.kind() != "stopped" || last.num("code") != 0 {
		t.Errorf("last event %s", last)
	}
	proctest.NoLeftovers(t, 2*time.Second)
}

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
