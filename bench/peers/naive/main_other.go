//go:build !linux

// Command naive is the hand-written column of the peer benchmark, which
// runs on Linux only.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "naive: Linux only")
	os.Exit(1)
}
