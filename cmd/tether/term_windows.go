package main

import (
	"io"
	"os"

	"golang.org/x/sys/windows"
)

// isTerminal reports whether w is a console.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	rc, err := f.SyscallConn()
	if err != nil {
		return false
	}
	term := false
	rc.Control(func(fd uintptr) {
		var mode uint32
		term = windows.GetConsoleMode(windows.Handle(fd), &mode) == nil
	})
	return term
}
