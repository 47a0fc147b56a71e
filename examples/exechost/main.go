// Command exechost runs the tether binary as its one sidecar, as a program
// in any language can: it reads tether's NDJSON events from a pipe, sends a
// command on tether's stdin, and quits by closing that stdin.
//
//	exechost [TETHER]   # the tether executable; default: tether, from PATH
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
)

// Event is the part of tether's events this host uses; the rest is ignored.
type Event struct {
	Event    string  `json:"event"`
	Name     string  `json:"name"`
	Pid      int     `json:"pid"`
	Attempt  int     `json:"attempt"`
	Port     int     `json:"port"`
	Line     *string `json:"line"`
	Data     []byte  `json:"data"` // base64 in JSON: encoding/json decodes it
	Code     *int    `json:"code"`
	Signal   *string `json:"signal"`
	Expected bool    `json:"expected"`
	Error    string  `json:"error"`
}

func main() {
	tetherPath := "tether"
	if len(os.Args) > 1 {
		tetherPath = os.Args[1]
	}
	if err := run(tetherPath); err != nil {
		log.Fatal(err)
	}
}

func run(tetherPath string) error {
	cmd := exec.Command(tetherPath, "run", "--name", "api", "--lifeline", "stdin", "--output", "json",
		"--port", "auto", "--ready", "http://127.0.0.1:{port}/",
		"--", "python3", "-m", "http.server", "{port}", "--bind", "127.0.0.1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	cmd.Stderr = os.Stderr // tether's diagnostics
	if err := cmd.Start(); err != nil {
		return err
	}

	// Read every event, to the end of the pipe, before Wait: Wait closes the
	// pipe, and events still in it would be lost.
	dec := json.NewDecoder(stdout) // no line-length limit, unlike a default bufio.Scanner
	readies := 0
	for {
		var ev Event
		if err := dec.Decode(&ev); err != nil {
			if !errors.Is(err, io.EOF) {
				log.Printf("reading tether's events: %v", err)
				stdin.Close()               // cut the lifeline: tether stops the helper
				io.Copy(io.Discard, stdout) // and read on to the end
			}
			break
		}
		switch ev.Event {
		case "spawned":
			log.Printf("%s: spawned pid %d on port %d", ev.Name, ev.Pid, ev.Port)
		case "ready":
			readies++
			log.Printf("%s: ready (attempt %d)", ev.Name, ev.Attempt)
			if readies == 1 {
				// A command: a fresh attempt (on a fresh port). Encode ends the line.
				if err := json.NewEncoder(stdin).Encode(map[string]string{"cmd": "restart"}); err != nil {
					log.Printf("sending restart: %v", err)
				}
			} else {
				// Quit: closing tether's stdin cuts the lifeline; tether
				// stops the helper's whole tree and exits.
				stdin.Close()
			}
		case "stdout", "stderr":
			if ev.Line != nil {
				log.Printf("%s %s: %s", ev.Name, ev.Event, *ev.Line)
			} else {
				log.Printf("%s %s: %d bytes that are not UTF-8", ev.Name, ev.Event, len(ev.Data))
			}
		case "exited":
			if ev.Expected {
				log.Printf("%s: pid %d stopped by tether", ev.Name, ev.Pid)
			} else {
				log.Printf("%s: crashed (code %v, signal %v)", ev.Name, deref(ev.Code), deref(ev.Signal))
			}
		case "error", "gave_up":
			log.Printf("%s: %s: %s", ev.Name, ev.Event, ev.Error)
		case "stopped":
			log.Printf("%s: supervision ended, status %d", ev.Name, deref(ev.Code))
		}
	}
	if err := cmd.Wait(); err != nil { // exit status 0 after an orderly stop
		return fmt.Errorf("tether: %w", err)
	}
	log.Print("tether exited with status 0")
	return nil
}

// deref returns *p, or the zero value for nil (a JSON null).
func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
