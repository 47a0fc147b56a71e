//go:build windows

package sidecar

import (
	"errors"
	"os"
	"time"

	"golang.org/x/sys/windows"
)

// busyWait bounds how long send waits for a free instance of the pipe: tether
// accepts one connection after another.
const busyWait = 2 * time.Second

// send opens the named pipe at path for writing, writes msg as one message
// and closes it, retrying while every instance of the pipe is busy.
func send(path string, msg []byte) error {
	deadline := time.Now().Add(busyWait)
	for {
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if errors.Is(err, windows.ERROR_PIPE_BUSY) && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
			continue
		}
		if err != nil {
			return err
		}
		_, err = f.Write(msg)
		return errors.Join(err, f.Close())
	}
}
