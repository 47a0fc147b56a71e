//go:build linux

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

type session struct {
	hub     *hub
	work    string
	runs    int
	floodMB int
	res     *results
	session string
	peers   []peer
}

// tag names one child tree: BENCH_CHILD_TAG=<session>-<parts...>.
func (s *session) tag(parts ...any) string {
	b := []string{s.session}
	for _, p := range parts {
		b = append(b, fmt.Sprint(p))
	}
	return strings.Join(b, "-")
}

func (s *session) dir(parts ...any) string {
	b := []string{s.work}
	for _, p := range parts {
		b = append(b, fmt.Sprint(p))
	}
	d := filepath.Join(b...)
	if err := os.MkdirAll(d, 0o755); err != nil {
		fatal(err)
	}
	return d
}

// order rotates the peers that can do workload w by run, so that no tool
// always goes first.
func (s *session) order(w string, i int) []peer {
	ps := s.able(w)
	n := len(ps)
	o := make([]peer, 0, n)
	for k := 0; k < n; k++ {
		o = append(o, ps[(i+k)%n])
	}
	return o
}

// able lists the peers that can do workload w.
func (s *session) able(w string) []peer {
	var ps []peer
	for _, p := range s.peers {
		if p.supports(w) == "" {
			ps = append(ps, p)
		}
	}
	return ps
}

// unable marks, in each metric, the peers that cannot do workload w.
func (s *session) unable(w string, ms ...*metric) {
	for _, p := range s.peers {
		if why := p.supports(w); why != "" {
			for _, m := range ms {
				if m.Configured == nil {
					m.Configured = map[string]string{}
				}
				m.Configured[p.name()] = "n/a: " + why
			}
		}
	}
}

func (s *session) note(format string, a ...any) {
	line := fmt.Sprintf(format, a...)
	fmt.Fprintln(os.Stderr, "   note:", line)
	s.res.Notes = append(s.res.Notes, line)
}

var debug = os.Getenv("PEERBENCH_DEBUG") != ""

func ms(d time.Duration) float64 { return float64(d) / 1e6 }

var workloads = []struct {
	id, title string
	run       func(*session) error
}{
	{"direct", "child start cost (spawned directly, no supervisor)", wDirect},
	{"restart", "(1) restart gap after kill -9", wRestart},
	{"stop", "(2) stop latency, cooperative child", wStop},
	{"escalate", "(3) escalation, TERM-ignoring child, 1 s stop timeout", wEscalate},
	{"escalate-default", "(3b) escalation with each tool's default settings", wEscalateDefault},
	{"survivors", "(4) survivors after SIGKILL of the supervisor and after a clean stop", wSurvivors},
	{"lastline", "(5) last line without a newline", wLastLine},
	{"flood", "(6) log throughput", wFlood},
	{"rss", "(7) supervisor RSS, idle", wRSS},
	{"ready", "(8) readiness detection latency", wReady},
}

// wDirect measures what every restart gap includes: exec of the child and
// the Go runtime's start, up to the child's first statement.
func wDirect(s *session) error {
	m := s.res.metric("direct_spawn_ms", "child start cost: exec to the child's main (no supervisor)", "ms", kindInfo)
	for i := 0; i < s.runs; i++ {
		tag := s.tag("direct", i)
		cur := s.hub.mark()
		cmd := exec.Command(childBin, "hold")
		cmd.Env = append(os.Environ(), "BENCH_CHILD_TAG="+tag)
		t0 := time.Now()
		if err := cmd.Start(); err != nil {
			return err
		}
		h, err := s.hub.wait(&cur, 10*time.Second, "direct hello", hasHello("hold", tag))
		cmd.Process.Kill()
		cmd.Wait()
		if err != nil {
			return err
		}
		m.add("direct", i, ms(h.T.Sub(t0)))
	}
	return nil
}

func wRestart(s *session) error {
	m := s.res.metric("restart_gap_ms", "(1) restart gap after kill -9 of the child, minus the configured delay", "ms", kindTime)
	m.Short = "(1) restart gap"
	m.Configured = map[string]string{
		"tether":      "1 ms constant (--backoff-initial 1ms --backoff-factor 1 --backoff-jitter 0; 0 is refused)",
		"supervisord": "none (no delay setting; startsecs=0, so EXITED → STARTING at once)",
		"pm2":         "0 ms (restart_delay 0, its default)",
	}
	delay := map[string]time.Duration{"tether": time.Millisecond}
	s.unable("restart", m)
	type state struct {
		in  inst
		pid int
		tag string
		cur int
	}
	st := map[string]*state{}
	defer func() {
		for _, x := range st {
			x.in.close()
		}
	}()
	for _, p := range s.able("restart") {
		tag := s.tag("restart", p.name())
		cur := s.hub.mark()
		in, err := p.start(s.dir("restart", p.name()), []prog{{name: "gap", child: []string{"hold"}, tag: tag, restart: true}})
		if err != nil {
			s.note("restart: %s did not start: %v", p.name(), err)
			continue
		}
		h, err := s.hub.wait(&cur, 20*time.Second, p.name()+" first spawn", hasHello("hold", tag))
		if err != nil {
			in.close()
			s.note("restart: %s: %v", p.name(), err)
			continue
		}
		st[p.name()] = &state{in: in, pid: h.Pid, tag: tag, cur: cur}
	}
	for i := 0; i < s.runs; i++ {
		for _, p := range s.order("restart", i) {
			x := st[p.name()]
			if x == nil {
				continue
			}
			time.Sleep(300 * time.Millisecond)
			t0 := time.Now()
			syscall.Kill(x.pid, syscall.SIGKILL)
			old := x.pid
			h, err := s.hub.wait(&x.cur, 20*time.Second, p.name()+" respawn", func(m msg) bool {
				return hasHello("hold", x.tag)(m) && m.Pid != old
			})
			if err != nil {
				s.note("restart: %s run %d: %v", p.name(), i+1, err)
				continue
			}
			x.pid = h.Pid
			m.add(p.name(), i, ms(h.T.Sub(t0)-delay[p.name()]))
		}
	}
	return nil
}

// stopBench: per run, start the child, let it settle, ask the tool to stop
// it, and time until the tool says it is stopped; the child must be gone by
// then. parallel runs the tools at the same time (for the long default
// timeouts, where the machine is idle anyway).
func (s *session) stopBench(w, mode string, timeout time.Duration, parallel bool, m *metric) {
	insts := map[string]inst{}
	defer func() {
		for _, in := range insts {
			in.close()
		}
	}()
	name := func(i int) string { return fmt.Sprintf("%s%d", strings.ReplaceAll(w, "-", ""), i+1) }
	for _, p := range s.able(w) {
		var progs []prog
		for i := 0; i < s.runs; i++ {
			progs = append(progs, prog{name: name(i), child: []string{mode}, tag: s.tag(w, i, p.name()), stop: timeout, lazy: true})
		}
		in, err := p.start(s.dir(w, p.name()), progs)
		if err != nil {
			s.note("%s: %s did not start: %v", w, p.name(), err)
			continue
		}
		insts[p.name()] = in
	}
	one := func(i int, p peer) {
		in := insts[p.name()]
		if in == nil {
			return
		}
		tag := s.tag(w, i, p.name())
		cur := s.hub.mark()
		if err := in.begin(name(i)); err != nil {
			s.note("%s: %s run %d: start: %v", w, p.name(), i+1, err)
			return
		}
		h, err := s.hub.wait(&cur, 20*time.Second, p.name()+" child", hasHello(mode, tag))
		if err != nil {
			s.note("%s: %s run %d: %v", w, p.name(), i+1, err)
			return
		}
		time.Sleep(200 * time.Millisecond)
		t0 := time.Now()
		err = in.stop(name(i))
		d := time.Since(t0)
		if err != nil {
			s.note("%s: %s run %d: stop: %v", w, p.name(), i+1, err)
			return
		}
		if alive(h.Pid) {
			s.note("%s: %s run %d: child still alive when the tool reported it stopped", w, p.name(), i+1)
			waitGone(h.Pid, 30*time.Second)
			d = time.Since(t0)
		}
		m.add(p.name(), i, ms(d))
	}
	for i := 0; i < s.runs; i++ {
		if !parallel {
			for _, p := range s.order(w, i) {
				one(i, p)
			}
			continue
		}
		var wg sync.WaitGroup
		for _, p := range s.order(w, i) {
			wg.Add(1)
			go func() { defer wg.Done(); one(i, p) }()
		}
		wg.Wait()
	}
}

func wStop(s *session) error {
	m := s.res.metric("stop_ms", "(2) stop latency, child exits at once on TERM", "ms", kindTime)
	m.Short = "(2) stop"
	m.Configured = map[string]string{
		"tether":      "stdin {\"cmd\":\"stop\"} → `stopped` event",
		"supervisord": "XML-RPC stopProcess(wait=true), stopsignal TERM, stopasgroup",
		"pm2":         "pm2.stop() via the API, PM2_KILL_SIGNAL=SIGTERM (default kill_retry_time 100 ms)",
		naiveName:     "SIGKILL to the child's pid, reap (CommandChild::kill)",
	}
	s.unable("stop", m)
	s.stopBench("stop", "hold", 0, false, m)
	return nil
}

func wEscalate(s *session) error {
	m := s.res.metric("escalate_1s_ms", "(3) escalation: TERM-ignoring child, 1 s stop timeout: time to full stop", "ms", kindTime)
	m.Short = "(3) escalation, total"
	m.Configured = map[string]string{"tether": "--grace 1s", "supervisord": "stopwaitsecs=1", "pm2": "kill_timeout 1000"}
	s.unable("escalate", m)
	s.stopBench("escalate", "stubborn", time.Second, false, m)
	o := s.res.metric("escalate_1s_over_ms", "(3) the same, beyond the 1 s timeout", "ms", kindTime)
	o.Short = "(3) escalation beyond 1 s"
	s.unable("escalate", o)
	for tool, vs := range m.Values {
		for i, v := range vs {
			if v != nil {
				o.add(tool, i, *v-1000)
			}
		}
	}
	return nil
}

func wEscalateDefault(s *session) error {
	m := s.res.metric("escalate_default_ms", "(3b) escalation with each tool's default stop timeout: time to full stop", "ms", kindPlain)
	m.Short = "(3b) stop with defaults"
	m.Configured = map[string]string{"tether": "grace 5 s (default)", "supervisord": "stopwaitsecs 10 s (default)", "pm2": "kill_timeout 1600 ms (default)"}
	s.unable("escalate-default", m)
	s.stopBench("escalate-default", "stubborn", 0, true, m)
	return nil
}

func wSurvivors(s *session) error {
	mk := s.res.metric("survivors_sigkill", "(4) processes left after SIGKILL of the supervisor (of 4: child, background, setsid, daemonized grandchild)", "of 4", kindCount)
	mk.Short = "(4) left after SIGKILL"
	mc := s.res.metric("survivors_clean", "(4) processes left after a clean stop (of 4)", "of 4", kindCount)
	mc.Short = "(4) left after clean stop"
	mk.Configured = map[string]string{"tether": "kill -9 of `tether run`", "supervisord": "kill -9 of supervisord", "pm2": "kill -9 of the pm2 daemon", naiveName: "kill -9 of the host"}
	mc.Configured = map[string]string{"tether": "stop command", "supervisord": "stopProcess, stopasgroup/killasgroup=true", "pm2": "pm2.stop (treekill, its default)", naiveName: "SIGKILL to the child's pid"}
	kinds := []string{"tree", "gc-bg", "gc-setsid", "gc-daemon"}
	s.unable("survivors", mk, mc)
	for i := 0; i < s.runs; i++ {
		for _, p := range s.order("survivors", i) {
			for _, sc := range []string{"sigkill", "clean"} {
				m := mk
				if sc == "clean" {
					m = mc
				}
				tag := s.tag("surv", sc, i, p.name())
				cur := s.hub.mark()
				in, err := p.start(s.dir("survivors", sc, i, p.name()), []prog{{name: "tree", child: []string{"tree"}, tag: tag}})
				if err != nil {
					s.note("survivors: %s did not start: %v", p.name(), err)
					continue
				}
				if p.name() == "tether" {
					c := cur
					if ev, err := s.hub.wait(&c, 5*time.Second, "spawned", func(m msg) bool {
						return m.Src == "event" && m.Kind == "spawned" && m.Tag == "tree"
					}); err == nil {
						var f struct{ Containment string }
						json.Unmarshal([]byte(ev.Raw), &f)
						if f.Containment == "" {
							f.Containment = "(not reported)"
						}
						m.addDetail("tether-containment", f.Containment)
					}
				}
				who := map[int]string{}
				ok := true
				for _, k := range kinds {
					c := cur
					h, err := s.hub.wait(&c, 20*time.Second, p.name()+" "+k, hasHello(k, tag))
					if err != nil {
						s.note("survivors: %s run %d: %v", p.name(), i+1, err)
						ok = false
						break
					}
					who[h.Pid] = strings.TrimPrefix(k, "gc-")
				}
				if ok {
					time.Sleep(100 * time.Millisecond)
					if sc == "sigkill" {
						hosts := in.hosts()
						for _, pid := range hosts {
							syscall.Kill(pid, syscall.SIGKILL)
						}
						for _, pid := range hosts {
							waitGone(pid, 5*time.Second)
						}
					} else if err := in.stop("tree"); err != nil {
						s.note("survivors: %s run %d: stop: %v", p.name(), i+1, err)
					}
					time.Sleep(time.Second)
					left := tagged("BENCH_CHILD_TAG=" + tag)
					var names []string
					for _, pid := range left {
						names = append(names, who[pid])
					}
					sort.Strings(names)
					m.add(p.name(), i, float64(len(left)))
					m.addDetail(p.name(), strings.Join(names, "+"))
				}
				killTagged("BENCH_CHILD_TAG=" + tag)
				in.close()
			}
		}
	}
	return nil
}

// fileHas waits up to d for needle to be in the file at path (in its last
// 4 KiB if tailOnly) and says when it was seen. With stall > 0 it gives up
// once the file has not grown for that long: process-compose's file log
// keeps its last lines until more output comes, and a flood's end marker
// then never arrives (waiting d for it cost 2 minutes a run).
func fileHas(path, needle string, d, stall time.Duration, tailOnly bool) (bool, time.Time) {
	end := time.Now().Add(d)
	var last int64 = -1
	grew := time.Now()
	for time.Now().Before(end) {
		fi, err := os.Stat(path)
		if err == nil && fi.Size() != last {
			last, grew = fi.Size(), time.Now()
			f, err := os.Open(path)
			if err == nil {
				var b []byte
				if tailOnly && last > 4096 {
					b = make([]byte, 4096)
					n, _ := f.ReadAt(b, last-4096)
					b = b[:n]
				} else {
					b, _ = io.ReadAll(f)
				}
				f.Close()
				if bytes.Contains(b, []byte(needle)) {
					return true, time.Now()
				}
			}
		}
		if stall > 0 && last > 0 && time.Since(grew) > stall {
			return false, time.Time{}
		}
		time.Sleep(2 * time.Millisecond)
	}
	return false, time.Time{}
}

func wLastLine(s *session) error {
	m := s.res.metric("lastline_kept", "(5) last line without a newline: kept in the log / event stream", "runs", kindKept)
	m.Short = "(5) last line"
	m.Configured = map[string]string{"tether": "a `stdout` event with \"partial\":true", "supervisord": "stdout_logfile", "pm2": "out_file", naiveName: "its line reader's log file"}
	insts := map[string]inst{}
	s.unable("lastline", m)
	defer func() {
		for _, in := range insts {
			in.close()
		}
	}()
	name := func(i int) string { return fmt.Sprintf("last%d", i+1) }
	for _, p := range s.able("lastline") {
		var progs []prog
		for i := 0; i < s.runs; i++ {
			progs = append(progs, prog{name: name(i), child: []string{"lastline"}, tag: s.tag("last", i, p.name()), lazy: true})
		}
		in, err := p.start(s.dir("lastline", p.name()), progs)
		if err != nil {
			s.note("lastline: %s did not start: %v", p.name(), err)
			continue
		}
		insts[p.name()] = in
	}
	for i := 0; i < s.runs; i++ {
		for _, p := range s.order("lastline", i) {
			in := insts[p.name()]
			if in == nil {
				continue
			}
			needle := "LAST-NO-NEWLINE-" + s.tag("last", i, p.name())
			cur := s.hub.mark()
			if err := in.begin(name(i)); err != nil {
				s.note("lastline: %s: %v", p.name(), err)
				continue
			}
			kept := false
			if p.name() == "tether" {
				_, err := s.hub.wait(&cur, 3*time.Second, "last line", func(m msg) bool {
					return m.Src == "event" && m.Kind == "stdout" && m.Tag == name(i) && m.Extra == needle
				})
				kept = err == nil
			} else {
				kept, _ = fileHas(in.logFile(name(i)), needle, 3*time.Second, 0, false)
			}
			v := 0.0
			if kept {
				v = 1
			}
			m.add(p.name(), i, v)
		}
	}
	return nil
}

func wFlood(s *session) error {
	mw := s.res.metric("flood_wall_s", fmt.Sprintf("(6) log throughput: %d MB of 100-byte lines, wall time until all is in the log", s.floodMB), "s", kindTime)
	mw.Short = "(6) log flood, wall"
	mc := s.res.metric("flood_cpu_s", "(6) the same: the supervisor's CPU time (utime+stime)", "s", kindTime)
	mc.Short = "(6) log flood, CPU"
	mb := s.res.metric("flood_out_mb", "(6) the same: size of what the tool wrote (raw log; tether: NDJSON events)", "MB", kindPlain)
	mb.Short = "(6) log flood, output size"
	rw := s.res.metric("flood_raw_wall_s", "(6r) the same, tether writing a raw log file (--output-events=false --log-file): wall time", "s", kindTime)
	rw.Short = "(6r) log flood, raw log, wall"
	rc := s.res.metric("flood_raw_cpu_s", "(6r) the same: the supervisor's CPU time (utime+stime)", "s", kindTime)
	rc.Short = "(6r) log flood, raw log, CPU"
	mw.Configured = map[string]string{
		"tether":      "`tether run` (--output json by default on a non-terminal) with stdout to a file: one NDJSON event per line; CPU of tether and its watcher",
		"supervisord": "stdout_logfile, no rotation",
		"pm2":         "out_file, no rotation; CPU of the daemon",
		naiveName:     "a line reader (bufio.Reader) into a buffered log file; CPU of the host",
	}
	rw.Configured = map[string]string{
		"tether":      "`tether run --output-events=false --log-file PATH --log-max-size 1GiB` (no rotation): the sidecar's bytes as they are, events (lifecycle only) to a file; CPU of tether and its watcher",
		"supervisord": "its figure of (6) in the same run (its log is raw already)",
		"pm2":         "its figure of (6) in the same run",
		naiveName:     "its figure of (6) in the same run",
	}
	s.unable("flood", mw, mc, mb, rw, rc)
	insts := map[string]inst{}
	defer func() {
		for _, in := range insts {
			in.close()
		}
	}()
	bytes := s.floodMB * 1000 * 1000
	name := func(i int, raw bool) string {
		if raw {
			return fmt.Sprintf("floodraw%d", i+1)
		}
		return fmt.Sprintf("flood%d", i+1)
	}
	for _, p := range s.able("flood") {
		var progs []prog
		for i := 0; i < s.runs; i++ {
			progs = append(progs, prog{name: name(i, false), child: []string{"flood", strconv.Itoa(bytes)}, tag: s.tag("flood", i, p.name()), lazy: true, toFile: true})
			if p.name() == "tether" {
				progs = append(progs, prog{name: name(i, true), child: []string{"flood", strconv.Itoa(bytes)}, tag: s.tag("floodraw", i, p.name()), lazy: true, toFile: true, rawLog: true})
			}
		}
		in, err := p.start(s.dir("flood", p.name()), progs)
		if err != nil {
			s.note("flood: %s did not start: %v", p.name(), err)
			continue
		}
		insts[p.name()] = in
	}
	for i := 0; i < s.runs; i++ {
		for _, p := range s.order("flood", i) {
			in := insts[p.name()]
			if in == nil {
				continue
			}
			wall, cpu, size, ok := s.floodOnce(in, p.name(), name(i, false), s.tag("flood", i, p.name()), i)
			if !ok {
				continue
			}
			mw.add(p.name(), i, wall)
			mc.add(p.name(), i, cpu)
			mb.add(p.name(), i, size)
			if p.name() != "tether" {
				rw.add(p.name(), i, wall)
				rc.add(p.name(), i, cpu)
			} else if wall, cpu, _, ok := s.floodOnce(in, p.name(), name(i, true), s.tag("floodraw", i, p.name()), i); ok {
				rw.add(p.name(), i, wall)
				rc.add(p.name(), i, cpu)
			}
		}
	}
	return nil
}

// fileMB is the size of the file at path in MB (0 if it cannot be read).
func fileMB(path string) float64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return float64(fi.Size()) / 1e6
}

// floodOnce begins the flood program prog of in and measures the time
// until its end marker (tag) is in its log, the CPU time of the tool's
// own processes meanwhile, and the log's size in MB; then stops it.
func (s *session) floodOnce(in inst, tool, prog, tag string, run int) (wall, cpu, sizeMB float64, ok bool) {
	if !diskQuiet(30 * time.Second) {
		s.note("flood: %s run %d: the disks were still writing 30 s after the last flood", tool, run+1)
	}
	needle := "END-" + tag
	cpu0 := 0.0
	for _, pid := range in.pids() {
		cpu0 += cpuSeconds(pid)
	}
	t0 := time.Now()
	if err := in.begin(prog); err != nil {
		s.note("flood: %s: %v", tool, err)
		return 0, 0, 0, false
	}
	found, t1 := fileHas(in.logFile(prog), needle, 120*time.Second, 10*time.Second, true)
	cpu1 := 0.0
	for _, pid := range in.pids() {
		cpu1 += cpuSeconds(pid)
	}
	if found {
		wall, cpu = t1.Sub(t0).Seconds(), cpu1-cpu0
		sizeMB = fileMB(in.logFile(prog))
	} else {
		s.note("flood: %s run %d (%s): the end marker never reached the log (it stopped growing at %.0f MB)", tool, run+1, prog, fileMB(in.logFile(prog)))
	}
	if err := in.stop(prog); err != nil {
		s.note("flood: %s: stop: %v", tool, err)
	}
	os.Remove(in.logFile(prog))
	if !settle(in.pids(), 60*time.Second) {
		s.note("flood: %s run %d: still busy 60 s after its flood", tool, run+1)
	}
	syscall.Sync()
	return wall, cpu, sizeMB, found
}

// diskQuiet waits until no disk has written or discarded a sector for
// 300 ms (/proc/diskstats), or for at most d, and says whether they did.
// Writes of the last flood's files, or the discards of their blocks once
// deleted (ext4 mounted with discard), slowed the next flood's write(2)s.
func diskQuiet(d time.Duration) bool {
	sectors := func() string {
		b, err := os.ReadFile("/proc/diskstats")
		if err != nil {
			return ""
		}
		var sum strings.Builder
		for _, l := range strings.Split(string(b), "\n") {
			f := strings.Fields(l)
			if len(f) >= 17 { // writes: sectors written (10); discards: sectors discarded (17)
				sum.WriteString(f[9] + "/" + f[16] + " ")
			}
		}
		return sum.String()
	}
	return unchangedFor(300*time.Millisecond, d, sectors)
}

// settle waits until the processes pids have used no CPU for 300 ms, or
// for at most d, and says whether they did. The next flood must not share
// the machine with the last one's tail: process-compose goes on writing the
// flood to its own stdout (440 MB a run) after its log file has stopped, and
// a big concurrent writer to the same disk made tether's CPU time for the
// same flood 1.2-1.4 s instead of 0.35 s (measured outside the harness).
func settle(pids []int, d time.Duration) bool {
	return unchangedFor(300*time.Millisecond, d, func() float64 {
		t := 0.0
		for _, pid := range pids {
			t += cpuSeconds(pid)
		}
		return t
	})
}

// unchangedFor samples every 100 ms until sample has given the same value
// for quiet, or for at most d, and says whether it did.
func unchangedFor[T comparable](quiet, d time.Duration, sample func() T) bool {
	end := time.Now().Add(d)
	last, since := sample(), time.Now()
	for time.Now().Before(end) {
		time.Sleep(100 * time.Millisecond)
		if now := sample(); now != last {
			last, since = now, time.Now()
		} else if time.Since(since) >= quiet {
			return true
		}
	}
	return false
}

func wRSS(s *session) error {
	m1 := s.res.metric("rss_1_mib", "(7) supervisor RSS, idle, 1 child", "MiB", kindTime)
	m1.Short = "(7) RSS, 1 child"
	m50 := s.res.metric("rss_50_mib", "(7) supervisor RSS, idle, 50 children", "MiB", kindTime)
	m50.Short = "(7) RSS, 50 children"
	m1.Configured = map[string]string{"tether": "`tether run` (1 child), `tether up` (50 sidecars), plus its watcher process (`tether-watcher`) when it runs one", "supervisord": "the supervisord process", "pm2": "the pm2 daemon (God)"}
	s.unable("rss", m1, m50)
	for i := 0; i < s.runs; i++ {
		for _, p := range s.order("rss", i) {
			for _, n := range []int{1, 50} {
				m := m1
				if n == 50 {
					m = m50
				}
				tag := s.tag("rss", n, i, p.name())
				var progs []prog
				for k := 0; k < n; k++ {
					progs = append(progs, prog{name: fmt.Sprintf("c%02d", k+1), child: []string{"hold"}, tag: tag})
				}
				cur := s.hub.mark()
				t0 := time.Now()
				in, err := p.start(s.dir("rss", n, i, p.name()), progs)
				if err != nil {
					s.note("rss: %s did not start: %v", p.name(), err)
					continue
				}
				seen := map[int]bool{}
				var err2 error
				for len(seen) < n && err2 == nil {
					var h msg
					h, err2 = s.hub.wait(&cur, 30*time.Second, "children", hasHello("hold", tag))
					seen[h.Pid] = true
				}
				if err2 != nil {
					s.note("rss: %s: %v", p.name(), err2)
				} else {
					time.Sleep(time.Second)
					kb := 0
					for _, pid := range in.pids() {
						kb += rssKiB(pid)
					}
					m.add(p.name(), i, float64(kb)/1024)
				}
				t1 := time.Now()
				// Tear down fast: how a tool stops 50 children is not what
				// this figure is about (supervisord takes seconds).
				for _, pid := range in.pids() {
					syscall.Kill(pid, syscall.SIGKILL)
				}
				killTagged("BENCH_CHILD_TAG=" + tag)
				in.close()
				killTagged("BENCH_CHILD_TAG=" + tag)
				if debug {
					fmt.Fprintf(os.Stderr, "   rss %s %d: up %.1fs, down %.1fs\n", p.name(), n, t1.Sub(t0).Seconds(), time.Since(t1).Seconds())
				}
			}
		}
	}
	return nil
}

func wReady(s *session) error {
	rows := []struct{ id, tether, title string }{
		{"ready_http_ms", "http", "(8) readiness: from the child able to answer to the tool reporting ready; tether --ready http://"},
		{"ready_tcp_ms", "tcp", "(8) the same; tether --ready tcp://"},
		{"ready_notify_ms", "notify", "(8) the same; tether --ready notify (a push, like pm2's)"},
	}
	var ms_ []*metric
	for _, r := range rows {
		m := s.res.metric(r.id, r.title, "ms", kindTime)
		m.Short = "(8) ready, tether " + r.tether
		m.Configured = map[string]string{
			"tether": "--ready " + map[string]string{"http": "http://127.0.0.1:{port}/ --port auto", "tcp": "tcp://127.0.0.1:{port} --port auto", "notify": "notify"}[r.tether],
			"pm2":    "wait_ready: the child pushes process.send('ready') on pm2's IPC channel; no probe",
		}
		ms_ = append(ms_, m)
	}
	s.unable("ready", ms_...)
	insts := map[string]inst{}
	defer func() {
		for _, in := range insts {
			in.close()
		}
	}()
	name := func(r, i int) string { return fmt.Sprintf("ready%d%d", r, i+1) }
	tag := func(r, i int, p string) string { return s.tag("ready", r, i, p) }
	for _, p := range s.able("ready") {
		var progs []prog
		for r := range rows {
			for i := 0; i < s.runs; i++ {
				pr := prog{name: name(r, i), child: []string{"listen", "{port}", "200ms"}, tag: tag(r, i, p.name()), lazy: true}
				if p.name() == "pm2" {
					pr.ready = "push"
				} else {
					pr.ready = rows[r].tether
				}
				progs = append(progs, pr)
			}
		}
		in, err := p.start(s.dir("ready", p.name()), progs)
		if err != nil {
			s.note("ready: %s did not start: %v", p.name(), err)
			continue
		}
		insts[p.name()] = in
	}
	for i := 0; i < s.runs; i++ {
		for r := range rows {
			for _, p := range s.order("ready", i) {
				in := insts[p.name()]
				if in == nil {
					continue
				}
				cur := s.hub.mark()
				err := in.begin(name(r, i))
				tReady := time.Now()
				if err != nil {
					s.note("ready: %s: %v", p.name(), err)
					continue
				}
				c := cur
				h, err := s.hub.wait(&c, 20*time.Second, "listening", hasHello("listen", tag(r, i, p.name())))
				if err != nil {
					s.note("ready: %s: %v", p.name(), err)
					continue
				}
				if p.name() == "tether" {
					ev, err := s.hub.wait(&cur, 20*time.Second, "ready event", func(m msg) bool {
						return m.Src == "event" && m.Kind == "ready" && m.Tag == name(r, i)
					})
					if err != nil {
						s.note("ready: tether: %v", err)
						continue
					}
					tReady = ev.At
				}
				ms_[r].add(p.name(), i, ms(tReady.Sub(h.T)))
				if err := in.stop(name(r, i)); err != nil {
					s.note("ready: %s: stop: %v", p.name(), err)
				}
			}
		}
	}
	return nil
}
