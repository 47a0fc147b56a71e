//go:build linux

// Command naive is the "hand-written" column of the peer benchmark: the
// spawn code an app writes itself, shaped like Tauri's shell plugin
// (Command::spawn, a line reader per pipe, CommandChild::kill). It starts the
// command in no group of its own, writes its stdout lines to a log file,
// and on "stop" on its stdin kills the direct child with SIGKILL (there is
// no graceful stop, no restart and no readiness), waits, and answers
// "stopped". It exits when the child has exited.
//
//	naive -log FILE -- COMMAND [ARG...]
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
)

func main() {
	logPath := flag.String("log", "", "where the child's stdout lines go")
	flag.Parse()
	argv := flag.Args()
	if len(argv) == 0 || *logPath == "" {
		fmt.Fprintln(os.Stderr, "usage: naive -log FILE -- COMMAND [ARG...]")
		os.Exit(2)
	}
	logf, err := os.Create(*logPath)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("spawned %d\n", cmd.Process.Pid)
	done := make(chan struct{})
	go func() {
		// One line at a time, as the plugin's reader does (the last
		// segment comes even without its newline).
		r := bufio.NewReader(stdout)
		w := bufio.NewWriter(logf)
		for {
			line, err := r.ReadBytes('\n')
			w.Write(line)
			if err != nil {
				break
			}
			if r.Buffered() == 0 {
				w.Flush() // nothing more at hand: let the log show it
			}
		}
		w.Flush()
		close(done)
	}()
	go func() {
		in := bufio.NewScanner(os.Stdin)
		for in.Scan() {
			if in.Text() == "stop" {
				// CommandChild::kill: SIGKILL to the child's pid, then
				// reap it; the pipe's reader is not waited for (a
				// grandchild may hold it open for ever).
				cmd.Process.Kill()
				cmd.Process.Wait()
				fmt.Println("stopped")
				os.Exit(0)
			}
		}
		io.Copy(io.Discard, os.Stdin)
	}()
	<-done
	cmd.Wait()
	fmt.Println("exited")
}
