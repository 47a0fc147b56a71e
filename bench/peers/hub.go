//go:build linux

package main

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// msg is one thing the harness heard: a child's hello on the datagram
// socket, or one of tether's events on its stdout. At is when the harness
// received it; T is the time inside the message (a hello's own clock).
type msg struct {
	Src   string // "hello" or "event"
	Kind  string // hello kind, or the event name
	Tag   string
	Pid   int
	T     time.Time
	Extra string
	At    time.Time
	Raw   string
}

// hub keeps everything heard, in order, so a workload can wait for the next
// message matching a predicate from a cursor.
type hub struct {
	mu   sync.Mutex
	cond *sync.Cond
	msgs []msg
}

func newHub() *hub {
	h := &hub{}
	h.cond = sync.NewCond(&h.mu)
	return h
}

func (h *hub) add(m msg) {
	h.mu.Lock()
	h.msgs = append(h.msgs, m)
	h.mu.Unlock()
	h.cond.Broadcast()
}

// mark is a cursor: only messages after it are considered by wait.
func (h *hub) mark() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.msgs)
}

// wait returns the first message at or after *cur that matches, and moves
// *cur past it.
func (h *hub) wait(cur *int, d time.Duration, what string, ok func(msg) bool) (msg, error) {
	deadline := time.Now().Add(d)
	t := time.AfterFunc(d, h.cond.Broadcast)
	defer t.Stop()
	h.mu.Lock()
	defer h.mu.Unlock()
	for {
		for ; *cur < len(h.msgs); *cur++ {
			if ok(h.msgs[*cur]) {
				m := h.msgs[*cur]
				*cur++
				return m, nil
			}
		}
		if !time.Now().Before(deadline) {
			return msg{}, fmt.Errorf("timed out after %v waiting for %s", d, what)
		}
		h.cond.Wait()
	}
}

func hasHello(kind, tag string) func(msg) bool {
	return func(m msg) bool { return m.Src == "hello" && m.Kind == kind && (tag == "" || m.Tag == tag) }
}

// listenHello serves the datagram socket children report to.
func (h *hub) listenHello(path string) (func(), error) {
	os.Remove(path)
	pc, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		return nil, err
	}
	pc.SetReadBuffer(4 << 20)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, _, err := pc.ReadFromUnix(buf)
			if err != nil {
				return
			}
			at := time.Now()
			f := strings.Fields(string(buf[:n]))
			if len(f) != 5 {
				continue
			}
			pid, _ := strconv.Atoi(f[2])
			ns, _ := strconv.ParseInt(f[3], 10, 64)
			h.add(msg{Src: "hello", Kind: f[0], Tag: f[1], Pid: pid, T: time.Unix(0, ns), Extra: f[4], At: at})
		}
	}()
	return func() { pc.Close(); os.Remove(path) }, nil
}
