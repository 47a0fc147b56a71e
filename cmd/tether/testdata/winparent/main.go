// Command winparent is a Windows parent for TestWindowsUnderWine: it starts
// the program in its arguments with its own stdout and stderr, lives for
// the time in $WINPARENT_LIFE, then exits without waiting for it, so that
// the program sees its parent die.
package main

import (
	"fmt"
	"os"
	"os/exec"
	"time"
)

func main() {
	life, err := time.ParseDuration(os.Getenv("WINPARENT_LIFE"))
	if err != nil {
		life = 2 * time.Second
	}
	cmd := exec.Command(os.Args[1], os.Args[2:]...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	time.Sleep(life)
}
