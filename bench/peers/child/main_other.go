//go:build !linux

// Command peerchild is the sidecar of the peer benchmark, which runs on
// Linux only.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "peerchild: Linux only")
	os.Exit(1)
}
