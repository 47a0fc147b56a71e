//go:build unix

package main

import (
	"syscall"
	"testing"
)

// startAll starts every copy, each with its three pipes, and they stop on
// SIGTERM as the benchmark's stop expects.
func TestStartAll(t *testing.T) {
	cmds := startAll(6, []string{"sleep", "30"})
	for i, c := range cmds {
		if c == nil || c.Process == nil {
			t.Fatalf("copy %d not started", i)
		}
		if c.Stdin == nil || c.Stdout == nil || c.Stderr == nil {
			t.Errorf("copy %d: stdin, stdout, stderr = %v, %v, %v; want three pipes", i, c.Stdin, c.Stdout, c.Stderr)
		}
	}
	for _, c := range cmds {
		if err := c.Process.Signal(syscall.SIGTERM); err != nil {
			t.Error(err)
		}
	}
	for i, c := range cmds {
		err := c.Wait()
		if ws, ok := c.ProcessState.Sys().(syscall.WaitStatus); !ok || ws.Signal() != syscall.SIGTERM {
			t.Errorf("copy %d: %v, want killed by SIGTERM", i, err)
		}
	}
}
