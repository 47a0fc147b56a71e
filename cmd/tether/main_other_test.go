//go:build !unix

package main

import (
	"fmt"
	"os"
)

// peekHelper needs SIGUSR1 and a non-blocking stdin: the "peek" helper mode
// is unix's alone.
func peekHelper() {
	fmt.Fprintln(os.Stderr, "helper mode peek needs SIGUSR1")
	os.Exit(2)
}
