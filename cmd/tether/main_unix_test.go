//go:build unix

package main

import (
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// peekHelper is the "peek" helper mode: on USR1 or TERM it prints "got:"
// and what stdin holds now (| for newlines); it returns on TERM.
func peekHelper() {
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGUSR1, syscall.SIGTERM)
	syscall.SetNonblock(0, true)
	fmt.Println("up")
	for sig := range c {
		var got []byte
		buf := make([]byte, 4096)
		for {
			n, err := syscall.Read(0, buf)
			if n <= 0 || err != nil {
				break
			}
			got = append(got, buf[:n]...)
		}
		fmt.Println("got:" + strings.ReplaceAll(string(got), "\n", "|"))
		if sig == syscall.SIGTERM {
			return
		}
	}
}
