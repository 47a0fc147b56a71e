package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Log file defaults: --log-max-size and --log-max-files.
const (
	defaultLogMaxSize  = 10 << 20
	defaultLogMaxFiles = 3
)

// logPending bounds the bytes waiting for the disk. A sidecar that gets
// this far ahead of a disk that is writing waits for it, as it would for a
// slow reader of its pipe; a disk that has written nothing for logStall (it
// hangs, or fails) loses output from its log file instead of holding the
// sidecar up. The events on stdout lose nothing.
const logPending = 16 << 20

// logStall is how long a disk may go without finishing a write before the
// sidecar stops waiting for it.
const logStall = 2 * time.Second

// logBatch is how many bytes wait for a disk that keeps up: past it, add
// waits for the writer to take them. Only a disk that stops writing lets
// up to logPending pile up (and then loses output).
const logBatch = 1 << 20

// logPiece is the most the writer writes at once, so that a slow disk is
// seen making progress (logStall) a piece at a time.
const logPiece = 256 << 10

// logRetry is how long a log file that could not be opened or written waits
// before it is tried again.
const logRetry = time.Second

// logFile appends a sidecar's output, byte for byte, to a file, rotating it
// at a line boundary when it would pass maxSize: PATH becomes PATH.1, PATH.1
// becomes PATH.2, and so on, keeping at most maxFiles files in all. The
// sidecar's event goroutine only copies bytes into a bounded buffer (add);
// one goroutine of its own does the writing, so a full or failing disk
// never holds the sidecar up, and a slow one only as long as it writes. The first failure of a run of failures is
// reported through report; bytes that cannot be written are dropped.
type logFile struct {
	path     string
	maxSize  int64
	maxFiles int
	report   func(error) // one error event; called from the writer goroutine
	pending  int         // logPending; less in tests, set before the first add

	mu      sync.Mutex
	buf     []byte // bytes waiting for the writer
	dropped int64  // bytes dropped because buf was full, not yet reported
	closed  bool
	wake    chan struct{} // one token: buf has bytes, or closed
	taken   chan struct{} // one token: the writer took buf (there is room)
	done    chan struct{} // the writer returned
	// lastWrite is when the writer last took bytes or finished a write
	// (UnixNano): what says whether the disk keeps up.
	lastWrite atomic.Int64

	// Owned by the writer goroutine.
	f       *os.File
	size    int64     // bytes in PATH
	failing bool      // the last attempt to write failed (and was reported)
	behind  bool      // bytes were dropped for a slow disk (and reported)
	retryAt time.Time // while failing: do not try again before this
	spare   []byte    // the other buffer
	regular bool      // PATH is a regular file: only then is it rotated
}

// newLogFile prepares the log file at path (its directory created if need
// be) and starts its writer. The file itself is opened by the writer: one
// that cannot be opened is reported as an error event, and the sidecar runs
// on; a directory that cannot be created is an error now.
func newLogFile(path string, maxSize int64, maxFiles int, report func(error)) (*logFile, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("cannot create the directory of the log file: %w", err)
	}
	l := &logFile{path: path, maxSize: maxSize, maxFiles: max(maxFiles, 1), report: report, pending: logPending,
		wake: make(chan struct{}, 1), taken: make(chan struct{}, 1), done: make(chan struct{})}
	l.lastWrite.Store(time.Now().UnixNano())
	go l.run()
	return l, nil
}

// add queues one output chunk, followed by a newline unless partial: the
// bytes the sidecar wrote. While logBatch bytes wait it waits for the
// writer to take them, for as long as the disk keeps writing; past
// logPending output is left out (see logPending).
func (l *logFile) add(data []byte, partial bool) {
	n := len(data)
	if !partial {
		n++
	}
	l.mu.Lock()
	for !l.closed && len(l.buf) > 0 && len(l.buf)+n > min(logBatch, l.pending) && l.keepingUp() {
		l.mu.Unlock()
		l.waitRoom()
		l.mu.Lock()
	}
	if l.closed || len(l.buf) > 0 && len(l.buf)+n > l.pending {
		l.dropped += int64(n)
		l.mu.Unlock()
		l.poke()
		return
	}
	first := len(l.buf) == 0
	if need := len(l.buf) + n; need > cap(l.buf) {
		// Grow four times at once (append's 1.25 would copy a flood's
		// buffer over and over on its way to l.pending).
		grown := make([]byte, len(l.buf), max(need, min(4*cap(l.buf), l.pending+n)))
		copy(grown, l.buf)
		l.buf = grown
	}
	l.buf = append(l.buf, data...)
	if !partial {
		l.buf = append(l.buf, '\n')
	}
	l.mu.Unlock()
	if first {
		l.poke()
	}
}

// keepingUp reports whether the writer took bytes or finished a write
// within logStall.
func (l *logFile) keepingUp() bool {
	return time.Since(time.Unix(0, l.lastWrite.Load())) < logStall
}

// waitRoom waits until the writer takes the waiting bytes, or logStall.
func (l *logFile) waitRoom() {
	l.poke()
	t := time.NewTimer(logStall)
	defer t.Stop()
	select {
	case <-l.taken:
	case <-t.C:
	}
}

func (l *logFile) poke() {
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// close writes what is queued and closes the file, waiting at most wait
// for a disk that hangs.
func (l *logFile) close(wait time.Duration) {
	l.mu.Lock()
	l.closed = true
	l.mu.Unlock()
	l.poke()
	select {
	case <-l.done:
	case <-time.After(wait):
	}
}

// run is the writer goroutine.
func (l *logFile) run() {
	defer close(l.done)
	for {
		l.mu.Lock()
		data, dropped, closed := l.buf, l.dropped, l.closed
		l.buf, l.spare, l.dropped = l.spare[:0], nil, 0
		l.mu.Unlock()
		if len(data) > 0 {
			l.lastWrite.Store(time.Now().UnixNano())
			select {
			case l.taken <- struct{}{}:
			default:
			}
		}
		if dropped > 0 && !l.behind {
			l.behind = true // said once: a disk this slow stays slow
			l.report(fmt.Errorf("tether: log file %s: the disk fell %d KiB behind: %d bytes of output were left out of it; the sidecar runs on, its events are unaffected", l.path, l.pending>>10, dropped))
		}
		if len(data) > 0 {
			l.write(data)
		}
		l.spare = data[:0]
		if closed && len(data) == 0 {
			if l.f != nil {
				l.f.Close()
			}
			return
		}
		if len(data) == 0 {
			<-l.wake
		}
	}
}

// fail reports err once for a run of failures.
func (l *logFile) fail(err error) {
	l.retryAt = time.Now().Add(logRetry)
	if !l.failing {
		l.failing = true
		l.report(fmt.Errorf("tether: log file %s: %w; the sidecar runs on, its events are unaffected", l.path, err))
	}
}

// write appends data, rotating at line boundaries.
func (l *logFile) write(data []byte) {
	if l.failing && time.Now().Before(l.retryAt) {
		return // dropped: the disk failed a moment ago
	}
	for len(data) > 0 {
		if l.f == nil && !l.open() {
			return
		}
		n := l.fits(data)
		if n == 0 {
			if !l.rotate() {
				return
			}
			continue
		}
		n = min(n, logPiece) // progress is seen a piece at a time
		if _, err := l.f.Write(data[:n]); err != nil {
			l.fail(err)
			l.f.Close()
			l.f = nil
			return
		}
		l.failing = false
		l.size += int64(n)
		data = data[n:]
		l.lastWrite.Store(time.Now().UnixNano())
	}
}

// fits returns how much of data goes into PATH before a rotation: all of
// it when there is room, else up to the last newline that fits, else (a
// line longer than a whole file, in an empty file) as much as fits. 0 means
// rotate first.
func (l *logFile) fits(data []byte) int {
	room := l.maxSize - l.size
	if !l.regular || int64(len(data)) <= room {
		return len(data)
	}
	if room <= 0 {
		return 0
	}
	if i := bytes.LastIndexByte(data[:room], '\n'); i >= 0 {
		return i + 1
	}
	if l.size > 0 {
		return 0 // the line may fit in a fresh file
	}
	return int(room)
}

// open opens PATH for appending.
func (l *logFile) open() bool {
	f, err := os.OpenFile(l.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		l.fail(err)
		return false
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		l.fail(err)
		return false
	}
	// Only a regular file is rotated: never /dev/null, a terminal or a
	// FIFO.
	l.f, l.size, l.regular = f, fi.Size(), fi.Mode().IsRegular()
	return true
}

// rotate closes PATH and shifts PATH.(N-2) … PATH.1, PATH one up, the
// oldest deleted, so that at most maxFiles remain; the next write opens a
// new PATH.
func (l *logFile) rotate() bool {
	l.f.Close()
	l.f = nil
	if l.maxFiles <= 1 {
		if err := os.Remove(l.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			l.fail(err)
			return false
		}
		return true
	}
	name := func(i int) string {
		if i == 0 {
			return l.path
		}
		return l.path + "." + strconv.Itoa(i)
	}
	for i := l.maxFiles - 2; i >= 0; i-- {
		if err := os.Rename(name(i), name(i+1)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			l.fail(err)
			return false
		}
	}
	return true
}
