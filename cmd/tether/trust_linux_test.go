package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
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

// Issue 11 item 3: tether run -- yes | sleep 60. A host that does not
// read tether's stdout must not keep a SIGTERM, or a second SIGINT, from
// acting on the sidecar: events may wait, the stop may not. Once the host
// goes away, tether exits.
func TestStalledHostStops(t *testing.T) {
	t.Parallel()
	for _, how := range []string{"SIGTERM", "second-SIGINT"} {
		t.Run(how, func(t *testing.T) {
			t.Parallel()
			argv := []string{"run", "--", "yes"}
			if how == "second-SIGINT" { // a yes that ignores the stop signal
				argv = []string{"run", "--grace", "60s", "--", "sh", "-c", "trap '' TERM INT; exec yes"}
			}
			cmd := tetherCmd(t, "", argv...)
			r, w, err := os.Pipe() // the host: never reads
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			var (
				errMu sync.Mutex // tether may still write while a failure reads
				errb  bytes.Buffer
			)
			cmd.Stdout, cmd.Stderr = w, &lockedWriter{mu: &errMu, w: &errb}
			stderrText := func() string {
				errMu.Lock()
				defer errMu.Unlock()
				return errb.String()
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			w.Close()
			exited := make(chan struct{})
			go func() { cmd.Wait(); close(exited) }()
			defer func() {
				r.Close()
				cmd.Process.Kill()
				<-exited
				proctest.NoLeftovers(t, 2*time.Second)
			}()
			yes := pidOf(t, "yes")
			proctest.WaitBlockedWriting(t, yes)
			if how == "SIGTERM" {
				cmd.Process.Signal(syscall.SIGTERM)
			} else {
				// Two SIGINTs that reach tether before it has taken the
				// first are one to the kernel (a busy machine can delay
				// the taking past any fixed sleep), so press Ctrl-C again
				// every half second, as a person would, until yes goes.
				cmd.Process.Signal(syscall.SIGINT)
				go func() {
					for i := 0; i < 20 && !proctest.WaitGone(yes, 500*time.Millisecond); i++ {
						cmd.Process.Signal(syscall.SIGINT)
					}
				}()
			}
			if !proctest.WaitGone(yes, 10*time.Second) {
				t.Fatalf("yes still runs 10s after the %s while tether's stdout is blocked", how)
			}
			r.Close() // the host goes away: tether sees its stdout broken
			select {
			case <-exited:
			case <-time.After(60 * time.Second):
				t.Fatalf("tether did not exit once its stdout was closed; stderr: %s", stderrText())
			}
		})
	}
}

// pidOf returns the first process tagged for t whose command name is comm,
// waiting up to 20s for it.
func pidOf(t *testing.T, comm string) int {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if pid := pidWithComm(t, comm); pid != 0 {
			return pid
		}
	}
	t.Fatalf("no %s process", comm)
	return 0
}

// Issue 11 item 4: error events caused by stdin do not pile up while the
// host does not read tether's stdout: tether's memory stays bounded.
func TestStdinErrorsBoundedWhileStdoutStalled(t *testing.T) {
	// Not parallel: it moves tens of MiB through tether.
	cmd := tetherCmd(t, "", "run", "--", "sleep", "1000")
	r, w, err := os.Pipe() // the host: never reads
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = w
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
		proctest.NoLeftovers(t, 2*time.Second)
	}()
	chunk := bytes.Repeat([]byte("x\n"), 1<<18) // 256 Ki bad lines
	for range 2 {
		if _, err := in.Write(chunk); err != nil {
			t.Fatal(err)
		}
	}
	// Every line but the last 64 KiB has been read (the pipe holds the
	// rest); the peak of tether's memory tells whether errors piled up.
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	var hwm int
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmHWM:" {
			hwm, _ = strconv.Atoi(f[1])
		}
	}
	limit := 120 << 10 // KiB
	if raceEnabled {
		limit *= 3
	}
	t.Logf("tether's peak RSS after 512Ki bad lines: %d KiB", hwm)
	if hwm == 0 || hwm > limit {
		t.Errorf("tether's peak RSS %d KiB after 512Ki bad stdin lines with its stdout stalled; want under %d KiB", hwm, limit)
	}
}
