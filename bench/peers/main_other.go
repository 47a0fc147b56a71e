//go:build !linux

// Command peerbench compares tether with supervisord, pm2 and
// process-compose; it measures through /proc and runs on Linux only.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "peerbench: Linux only (it reads /proc)")
	os.Exit(1)
}
