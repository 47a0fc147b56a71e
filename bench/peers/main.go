//go:build linux

// Command peerbench measures tether against the supervisors users choose
// between (supervisord, pm2, process-compose), side by side, in one run on
// one machine: restart gap, stop latency, stop escalation, survivors, the
// last line without a newline, log throughput, idle memory and readiness.
// bench/peers/run.sh installs the peers and runs it; see BENCHMARKS.md.
//
// Every tool supervises exactly the same program, bench/peers/child.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// childBin is bench/peers/child, built.
var childBin string

func main() {
	start := time.Now()
	if len(os.Args) > 2 && os.Args[1] == "replot" {
		// Redraw the table and plots of DIR from its peers.json.
		b, err := os.ReadFile(filepath.Join(os.Args[2], "peers.json"))
		if err != nil {
			fatal(err)
		}
		r := newResults()
		if err := json.Unmarshal(b, r); err != nil {
			fatal(err)
		}
		if err := r.write(os.Args[2]); err != nil {
			fatal(err)
		}
		return
	}
	if len(os.Args) > 2 && os.Args[1] == "sweep" {
		sweep(os.Args[2])
		return
	}
	var (
		tetherBin = flag.String("tether", "", "the tether binary")
		childArg  = flag.String("child", "", "the peerchild binary (bench/peers/child)")
		supBin    = flag.String("supervisord", "", "the supervisord binary (empty: skipped)")
		pm2Prefix = flag.String("pm2-prefix", "", "npm prefix holding node_modules/pm2 (empty: skipped)")
		pm2Ctl    = flag.String("pm2ctl", "", "bench/peers/pm2ctl.js")
		naiveBin  = flag.String("naive", "", "bench/peers/naive, built: the hand-written column (empty: skipped)")
		pcBin     = flag.String("process-compose", "", "the process-compose binary (empty: skipped)")
		work      = flag.String("work", "", "a scratch directory (removed by the caller)")
		outDir    = flag.String("out", "bench/results", "where results go")
		runs      = flag.Int("runs", 5, "runs of each figure")
		only      = flag.String("only", "", "comma-separated workloads to run (default all)")
		skips     multiFlag
		notes     multiFlag
		floodMB   = flag.Int("flood-mb", 200, "megabytes the log-throughput child writes")
		tetherRev = flag.String("tether-rev", "", "the commit tether was built from, for the report")
	)
	flag.Var(&skips, "skip", "TOOL=why: a peer that could not be run (repeatable)")
	flag.Var(&notes, "note", "a note for the report (repeatable)")
	flag.Parse()
	childBin = *childArg
	if *tetherBin == "" || *work == "" || childBin == "" {
		fmt.Fprintln(os.Stderr, "usage: peerbench -tether BIN -child BIN -work DIR [-supervisord BIN] [-pm2-prefix DIR -pm2ctl FILE] [-out DIR]")
		os.Exit(2)
	}
	s := &session{
		hub:     newHub(),
		work:    *work,
		runs:    *runs,
		floodMB: *floodMB,
		res:     newResults(),
		session: os.Getenv("PEERBENCH_SESSION"),
	}
	stopHello, err := s.hub.listenHello(filepath.Join(*work, "hello.sock"))
	if err != nil {
		fatal(err)
	}
	defer stopHello()
	os.Setenv("PB_SOCK", filepath.Join(*work, "hello.sock"))

	s.peers = append(s.peers, &tetherPeer{bin: *tetherBin, hub: s.hub})
	if *supBin != "" {
		s.peers = append(s.peers, &supervisordPeer{bin: *supBin})
	}
	if *pm2Prefix != "" {
		s.peers = append(s.peers, &pm2Peer{prefix: *pm2Prefix, ctl: *pm2Ctl})
	}
	if *pcBin != "" {
		s.peers = append(s.peers, &pcPeer{bin: *pcBin})
	}
	if *naiveBin != "" {
		s.peers = append(s.peers, &naivePeer{bin: *naiveBin})
		s.res.Reference = append(s.res.Reference, naiveName)
	}
	for _, sk := range skips {
		tool, why, _ := strings.Cut(sk, "=")
		s.res.Skipped[tool] = why
	}
	s.res.Notes = append(s.res.Notes, notes...)
	s.res.Machine = machine()
	s.res.FloodMB = *floodMB
	for _, p := range s.peers {
		s.res.Tools = append(s.res.Tools, p.name())
		s.res.Versions[p.name()] = p.version()
	}
	if *tetherRev != "" {
		s.res.Versions["tether"] += ", built from " + *tetherRev
	}
	for tool := range s.res.Skipped {
		s.res.Tools = append(s.res.Tools, tool)
	}
	s.res.LoadBefore = loadavg()

	want := map[string]bool{}
	for _, w := range strings.Split(*only, ",") {
		if w != "" {
			want[w] = true
		}
	}
	for _, w := range workloads {
		if len(want) > 0 && !want[w.id] {
			continue
		}
		t0 := time.Now()
		fmt.Fprintf(os.Stderr, "== %s\n", w.title)
		if err := w.run(s); err != nil {
			fmt.Fprintf(os.Stderr, "   %s failed: %v\n", w.id, err)
			s.res.Notes = append(s.res.Notes, fmt.Sprintf("%s: %v", w.id, err))
		}
		if n := killTagged("BENCH_CHILD_TAG=" + s.session + "-*"); n > 0 {
			fmt.Fprintf(os.Stderr, "   %d leftover children killed\n", n)
		}
		fmt.Fprintf(os.Stderr, "   (%.1f s)\n", time.Since(t0).Seconds())
	}
	s.res.LoadAfter = loadavg()
	s.res.Elapsed = time.Since(start).Round(time.Second).String()
	if err := s.res.write(*outDir); err != nil {
		fatal(err)
	}
	s.res.print(os.Stdout)
}

// sweep kills every live process whose environment holds kv (except this
// one and its parent), then scans again and says how many are left.
func sweep(kv string) {
	var found []int
	for _, p := range tagged(kv) {
		if p != os.Getppid() {
			found = append(found, p)
			syscall.Kill(p, syscall.SIGKILL)
		}
	}
	left := 0
	for i := 0; i < 100; i++ {
		left = 0
		for _, p := range tagged(kv) {
			if p != os.Getppid() {
				left++
			}
		}
		if left == 0 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	fmt.Fprintf(os.Stderr, "sweep: %d process(es) of this run were still alive and killed; %d left (scan of /proc for %s)\n", len(found), left, kv)
	if left > 0 {
		os.Exit(1)
	}
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "peerbench:", err)
	os.Exit(1)
}

func loadavg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

func machine() map[string]string {
	m := map[string]string{}
	out := func(name string, args ...string) string {
		b, _ := exec.Command(name, args...).Output()
		return strings.TrimSpace(string(b))
	}
	m["cores"] = out("nproc")
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int
		fmt.Sscanf(strings.SplitN(string(b), "\n", 2)[0], "MemTotal: %d kB", &kb)
		m["ram"] = fmt.Sprintf("%.1f GiB", float64(kb)/(1<<20))
	}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "model name") {
				_, v, _ := strings.Cut(l, ":")
				m["cpu"] = strings.TrimSpace(v)
				break
			}
		}
	}
	var u syscall.Utsname
	syscall.Uname(&u)
	m["kernel"] = cstr(u.Sysname[:]) + " " + cstr(u.Release[:])
	if b, err := os.ReadFile("/etc/os-release"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "PRETTY_NAME="); ok {
				m["os"] = strings.Trim(v, `"`)
			}
		}
	}
	m["go"] = out("go", "version")
	return m
}

func cstr(b []int8) string {
	var s []byte
	for _, c := range b {
		if c == 0 {
			break
		}
		s = append(s, byte(c))
	}
	return string(s)
}
