//go:build linux

// Command peerchild is every sidecar the peer benchmark's supervisors run:
// "peerchild MODE [ARG...]". It is small on purpose (no net/http), so that
// its own start-up, which every restart gap includes, stays short.
package main

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// A child reports itself on the unix
// datagram socket $PB_SOCK as "kind tag pid unix-ns extra": the time is taken
// as the first thing main does, so every supervisor pays the same exec and
// Go start-up cost, which the "direct" row measures on its own.

func hello(kind string, at time.Time, extra string) {
	sock := os.Getenv("PB_SOCK")
	if sock == "" {
		return
	}
	c, err := net.Dial("unixgram", sock)
	if err != nil {
		return
	}
	defer c.Close()
	tag := os.Getenv("BENCH_CHILD_TAG")
	if tag == "" {
		tag = "-"
	}
	if extra == "" {
		extra = "-"
	}
	fmt.Fprintf(c, "%s %s %d %d %s", kind, tag, os.Getpid(), at.UnixNano(), extra)
}

func forever() {
	for {
		time.Sleep(time.Hour)
	}
}

func self() string {
	exe, err := os.Executable()
	if err != nil {
		panic(err)
	}
	return exe
}

func main() {
	start := time.Now()
	args := os.Args[1:]
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "child: mode missing")
		os.Exit(2)
	}
	mode, args := args[0], args[1:]
	switch mode {
	case "hold":
		// Cooperative: SIGTERM keeps its default action, so the child is
		// gone the moment the signal is delivered.
		hello("hold", start, "")
		forever()
	case "stubborn":
		// Ignores every usual stop signal (TERM, and pm2's default INT).
		signal.Ignore(syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
		hello("stubborn", start, "")
		forever()
	case "tree":
		// A background grandchild in the child's process group, a grandchild
		// that called setsid, and a daemon (setsid, then its parent exits, so
		// it is re-parented). All inherit BENCH_CHILD_TAG.
		bg := exec.Command(self(), "sleep", "bg")
		ss := exec.Command(self(), "sleep", "setsid")
		ss.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
		dm := exec.Command(self(), "daemonize")
		dm.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
		for _, c := range []*exec.Cmd{bg, ss, dm} {
			if err := c.Start(); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
		}
		go dm.Wait()
		hello("tree", start, "")
		forever()
	case "daemonize":
		c := exec.Command(self(), "sleep", "daemon")
		if err := c.Start(); err != nil {
			os.Exit(1)
		}
		os.Exit(0)
	case "sleep":
		hello("gc-"+args[0], start, "")
		forever()
	case "lastline":
		// The last line has no newline; then exit 0 at once.
		os.Stdout.WriteString("first line\nLAST-NO-NEWLINE-" + os.Getenv("BENCH_CHILD_TAG"))
		os.Exit(0)
	case "flood":
		// N bytes of 100-byte lines, then a sentinel line, then wait (so the
		// supervisor stays up to have its CPU time read).
		n, _ := strconv.Atoi(args[0])
		line := []byte(strings.Repeat("x", 99) + "\n")
		w := bufio.NewWriterSize(os.Stdout, 64<<10)
		for written := 0; written+len(line) <= n; written += len(line) {
			w.Write(line)
		}
		w.WriteString("END-" + os.Getenv("BENCH_CHILD_TAG") + "\n")
		w.Flush()
		hello("flood", time.Now(), "")
		forever()
	case "listen":
		// After DELAY, listen on 127.0.0.1:PORT (0: any), report the moment
		// it can answer, then push readiness where the supervisor takes a
		// push: pm2's IPC channel (what process.send('ready') writes) and
		// sd_notify's socket.
		d, _ := time.ParseDuration(args[1])
		time.Sleep(d)
		ln, err := net.Listen("tcp", "127.0.0.1:"+args[0])
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(3)
		}
		at := time.Now()
		if fd := os.Getenv("NODE_CHANNEL_FD"); fd != "" && os.Getenv("PB_PM2_READY") == "1" {
			n, _ := strconv.Atoi(fd)
			f := os.NewFile(uintptr(n), "ipc")
			f.Write([]byte("\"ready\"\n"))
		}
		if ns := os.Getenv("NOTIFY_SOCKET"); ns != "" {
			if c, err := net.Dial("unixgram", ns); err == nil {
				c.Write([]byte("READY=1"))
				c.Close()
			}
		}
		hello("listen", at, ln.Addr().String())
		// Answer every request with an empty 200, one connection at a time
		// is plenty for a readiness probe.
		for {
			c, err := ln.Accept()
			if err != nil {
				os.Exit(1)
			}
			go func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(5 * time.Second))
				r := bufio.NewReader(c)
				for {
					l, err := r.ReadString('\n')
					if err != nil {
						return
					}
					if l == "\r\n" || l == "\n" {
						c.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"))
					}
				}
			}()
		}
	default:
		fmt.Fprintln(os.Stderr, "child: unknown mode", mode)
		os.Exit(2)
	}
}
