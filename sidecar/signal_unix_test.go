//go:build unix

package sidecar_test

import (
	"bufio"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// After the stop hook fired on a signal, a second one has its default
// effect: Ctrl-C twice kills a sidecar stuck in its shutdown.
func TestSecondSignalKills(t *testing.T) {
	t.Parallel()
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		cmd := exec.Command(os.Args[0])
		cmd.Env = append(os.Environ(), roleVar+"=stubborn")
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := bufio.NewScanner(out)
		expect := func(prefix string) {
			if !lines.Scan() || !strings.HasPrefix(lines.Text(), prefix) {
				cmd.Process.Kill()
				cmd.Wait()
				t.Fatalf("%v: want %q, got %q", sig, prefix, lines.Text())
			}
		}
		expect("running")
		cmd.Process.Signal(sig)
		expect("stopping: sidecar: stop requested: signal")
		cmd.Process.Signal(sig)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			ws, _ := cmd.ProcessState.Sys().(syscall.WaitStatus)
			if !ws.Signaled() || ws.Signal() != sig {
				t.Errorf("%v twice: %v, want death by the signal", sig, err)
			}
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
			t.Errorf("%v twice: still running after 10s", sig)
		}
	}
}
