// Command floor is the scale benchmark's floor: the least a Go program does
// to run N copies of a command as sidecars. It starts them with
// exec.Command, each with the three pipes tether gives a sidecar (stdin to
// write to, stdout and stderr to read, nothing read since the benchmark's
// sleeps print nothing), on as many goroutines as tether has forking
// threads. On SIGTERM or SIGINT it sends SIGTERM to each child, waits for
// all of them and exits. There is no cgroup, no restart, no readiness and
// no event: what it costs is what any supervisor written in Go pays to start
// and stop the same processes on the same machine.
//
//	floor N COMMAND [ARG...]
package main

import (
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"sync"
	"syscall"
)

// forkers matches tether's forking threads (internal/proc's forkers).
const forkers = 4

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: floor N COMMAND [ARG...]")
		os.Exit(2)
	}
	n, err := strconv.Atoi(os.Args[1])
	if err != nil || n < 1 {
		fmt.Fprintf(os.Stderr, "floor: N must be a positive count, not %q\n", os.Args[1])
		os.Exit(2)
	}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	cmds := startAll(n, os.Args[2:])
	<-stop
	for _, c := range cmds {
		_ = c.Process.Signal(syscall.SIGTERM)
	}
	for _, c := range cmds {
		_ = c.Wait()
	}
}

// startAll starts n copies of argv, forkers at a time.
func startAll(n int, argv []string) []*exec.Cmd {
	cmds := make([]*exec.Cmd, n)
	next := make(chan int)
	var wg sync.WaitGroup
	for range forkers {
		wg.Go(func() {
			for i := range next {
				c := exec.Command(argv[0], argv[1:]...)
				_, err1 := c.StdinPipe()
				_, err2 := c.StdoutPipe()
				_, err3 := c.StderrPipe()
				if err := c.Start(); err != nil || err1 != nil || err2 != nil || err3 != nil {
					fmt.Fprintln(os.Stderr, "floor:", err, err1, err2, err3)
					os.Exit(1)
				}
				cmds[i] = c
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	return cmds
}
