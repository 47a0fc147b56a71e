package main

import (
	"path/filepath"
	"strconv"
	"strings"
	"tether.dev/tether"
	"time"
)

// logConfig is what a sidecar's log settings say: --log-file,
// --log-max-size, --log-max-files and --output-events.
type logConfig struct {
	path     string // "" for no log file; absolute once the config is read
	maxSize  int64  // 0 means defaultLogMaxSize
	maxFiles int    // 0 means defaultLogMaxFiles
	noOutput bool   // --output-events=false: no stdout and stderr events
}

// allowLogSize says what --log-max-size takes.
const allowLogSize = "want a size such as 512KiB, 10MiB or 1GiB (KiB, MiB, GiB; at least 1KiB)"

// logCloseWait bounds how long tether waits at exit for its log files to be
// written: a disk that hangs must not hang tether.
const logCloseWait = 2 * time.Second

// sidecarOutput is what becomes of one sidecar's output besides its
// events: its log file, and whether its output events are left out.
type sidecarOutput struct {
	log      *logFile
	noEvents bool
}

// openLogs starts the log file of every sidecar that has one. where names
// the setting for an error ("--log-file", "sidecar.api.log_file"). A
// directory that cannot be created, or two sidecars with one file, is a
// usage error: nothing has started yet.
func (s *session) openLogs(where func(sc *sidecarConfig) string) error {
	s.outputs = make(map[string]*sidecarOutput)
	byPath := make(map[string]*sidecarConfig)
	for _, sc := range s.sidecars {
		lc := sc.log
		if lc.path == "" && !lc.noOutput {
			continue
		}
		out := &sidecarOutput{noEvents: lc.noOutput}
		s.outputs[sc.name] = out
		if lc.path == "" {
			continue
		}
		if other := byPath[lc.path]; other != nil {
			s.closeLogs()
			return usagef("%s %q: %s writes to that file already; give each sidecar its own", where(sc), lc.path, other.name)
		}
		byPath[lc.path] = sc
		size, files := lc.maxSize, lc.maxFiles
		if size == 0 {
			size = defaultLogMaxSize
		}
		if files == 0 {
			files = defaultLogMaxFiles
		}
		name := sc.name
		l, err := newLogFile(lc.path, size, files, func(err error) {
			s.events.Force(record{ev: tether.Event{Time: time.Now(), Name: name, Kind: tether.EventError, Err: err}})
		})
		if err != nil {
			s.closeLogs()
			return usagef("%s %q: %v", where(sc), lc.path, err)
		}
		out.log = l
	}
	return nil
}

// closeLogs writes out and closes every log file, waiting at most
// logCloseWait in all.
func (s *session) closeLogs() {
	deadline := time.Now().Add(logCloseWait)
	for _, out := range s.outputs {
		if out.log != nil {
			out.log.close(max(time.Until(deadline), 0))
			out.log = nil
		}
	}
}

// logPath resolves a log file's path: relative paths are taken from base.
func logPath(p, base string) string {
	if !filepath.IsAbs(p) && base != "" {
		p = filepath.Join(base, p)
	}
	if abs, err := filepath.Abs(p); err == nil {
		p = abs
	}
	return p
}

// sizeValue reads a size: a whole number of bytes, with KiB, MiB or GiB
// (or B) after it, of at least min bytes.
func sizeValue(v any, min int64) (int64, error) {
	allow := allowErr(allowLogSize)
	var n int64
	switch x := v.(type) {
	case int64:
		n = x
	case string:
		num, mult := x, int64(1)
		for _, u := range []struct {
			suffix string
			mult   int64
		}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"B", 1}} {
			if strings.HasSuffix(x, u.suffix) {
				num, mult = strings.TrimSpace(strings.TrimSuffix(x, u.suffix)), u.mult
				break
			}
		}
		k, err := strconv.ParseInt(num, 10, 64)
		if err != nil || k < 0 || k > (1<<50)/mult {
			return 0, allow
		}
		n = k * mult
	default:
		return 0, allow
	}
	if n < min || n > 1<<50 {
		return 0, allow
	}
	return n, nil
}
