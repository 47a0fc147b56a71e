// Command winsidecar is a Windows sidecar for TestWindowsUnderWine.
//
//	winsidecar eof [FILE] print "up" (and write FILE), copy stdin to stdout,
//	                      print "bye" at its end, exit 0
//	winsidecar notify D   send READY=1 to $NOTIFY_SOCKET (the named pipe), then
//	                      WATCHDOG=1 every 50ms for D, then nothing
package main

import (
	"fmt"
	"io"
	"os"
	"time"
)

func main() {
	switch os.Args[1] {
	case "eof":
		fmt.Println("up")
		if len(os.Args) > 2 {
			os.WriteFile(os.Args[2], []byte("up"), 0o644) // tell the test
		}
		io.Copy(os.Stdout, os.Stdin)
		fmt.Println("bye")
	case "notify":
		feed, _ := time.ParseDuration(os.Args[2])
		send("READY=1")
		fmt.Println("ready sent, WATCHDOG_USEC=" + os.Getenv("WATCHDOG_USEC"))
		for end := time.Now().Add(feed); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
			send("WATCHDOG=1")
		}
		fmt.Println("wedged")
		time.Sleep(time.Hour) // wedged, not dead (select{} alone is a deadlock to Go)
	}
}

// send writes one message to the notify pipe: open, write, close, retrying
// while another message is being read.
func send(msg string) {
	var err error
	for range 100 {
		var f *os.File
		if f, err = os.OpenFile(os.Getenv("NOTIFY_SOCKET"), os.O_WRONLY, 0); err == nil {
			_, err = f.Write([]byte(msg))
			f.Close()
			if err == nil {
				return
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	fmt.Fprintln(os.Stderr, "notify:", err)
	os.Exit(5)
}
