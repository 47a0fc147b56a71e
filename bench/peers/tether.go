//go:build linux

package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// prog is one supervised program, in terms every peer can express.
type prog struct {
	name    string
	child   []string      // arguments after "child"
	tag     string        // BENCH_CHILD_TAG of the child and its descendants
	restart bool          // restart it when it exits (kill -9 included)
	stop    time.Duration // stop timeout before the kill; 0: the tool's default
	ready   string        // "", "http", "tcp", "notify" (tether), "push" (pm2's wait_ready)
	lazy    bool          // registered but not started until begin
	toFile  bool          // stdout to the tool's log file (tether: the event stream to a file)
	rawLog  bool          // tether only: --output-events=false and a --log-file of the raw output
}

// peer starts fresh, isolated supervisor instances.
type peer interface {
	name() string
	version() string
	// supports says why the tool cannot do workload w ("": it can).
	supports(w string) string
	start(dir string, progs []prog) (inst, error)
}

// inst is one running supervisor instance.
type inst interface {
	// pids are the supervisor's own processes (not the children).
	pids() []int
	// hosts are the processes a force-quit kills: pids less helpers that
	// exist to outlive them (tether's watcher).
	hosts() []int
	// begin starts a lazy program; it returns once the tool has been told
	// (and, for pm2 with wait_ready, once the tool reports it ready).
	begin(name string) error
	// stop stops one program through the tool's own control path and
	// returns when the tool reports it stopped.
	stop(name string) error
	// logFile is where the tool keeps the program's stdout (for tether, the
	// NDJSON event stream).
	logFile(name string) string
	// close stops everything and the supervisor itself, then kills what is
	// left of its own processes.
	close()
}

type tetherPeer struct {
	bin string
	hub *hub
}

func (p *tetherPeer) name() string { return "tether" }

func (p *tetherPeer) supports(string) string { return "" }

func (p *tetherPeer) version() string {
	out, _ := exec.Command(p.bin, "version").Output()
	return strings.TrimSpace(string(out))
}

type tetherInst struct {
	p     *tetherPeer
	dir   string
	progs []prog
	procs map[string]*tetherProc // by program name (one process runs all in "up" mode)
	all   []*tetherProc
}

type tetherProc struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	done  chan struct{}
	out   string
	log   string // the raw log file (--log-file), if any
}

// tetherArgs are the flags of one sidecar: the equivalents of the peers'
// settings (restart at once: 1 ms constant backoff, the smallest positive
// delay it accepts; stop timeout = --grace; readiness probe).
func tetherArgs(p prog) (flags []string, toml []string) {
	add := func(flag, key, v string, quote bool) {
		flags = append(flags, "--"+flag, v)
		if quote {
			v = fmt.Sprintf("%q", v)
		}
		toml = append(toml, key+" = "+v)
	}
	env := "BENCH_CHILD_TAG=" + p.tag
	flags = append(flags, "--env", env)
	toml = append(toml, fmt.Sprintf("env = { BENCH_CHILD_TAG = %q }", p.tag))
	if p.restart {
		add("restart", "restart", "always", true)
		add("backoff-initial", "backoff_initial", "1ms", true)
		add("backoff-factor", "backoff_factor", "1", false)
		add("backoff-jitter", "backoff_jitter", "0", false)
	} else {
		add("restart", "restart", "never", true)
	}
	if p.stop > 0 {
		add("grace", "grace", p.stop.String(), true)
	}
	switch p.ready {
	case "http":
		add("port", "port", "auto", true)
		add("ready", "ready", "http://127.0.0.1:{port}/", true)
	case "tcp":
		add("port", "port", "auto", true)
		add("ready", "ready", "tcp://127.0.0.1:{port}", true)
	case "notify":
		add("ready", "ready", "notify", true)
	}
	return flags, toml
}

func childArgv(p prog) []string {
	argv := []string{childBin}
	for _, a := range p.child {
		if a == "{port}" && p.ready != "http" && p.ready != "tcp" {
			a = "0"
		}
		argv = append(argv, a)
	}
	return argv
}

func (p *tetherPeer) start(dir string, progs []prog) (inst, error) {
	in := &tetherInst{p: p, dir: dir, progs: progs, procs: map[string]*tetherProc{}}
	eager := 0
	for _, pr := range progs {
		if !pr.lazy {
			eager++
		}
	}
	if eager > 1 {
		// One `tether up` for all of them.
		var b strings.Builder
		for _, pr := range progs {
			if pr.lazy {
				return nil, fmt.Errorf("tether: lazy programs are started one `tether run` each; do not mix")
			}
			_, toml := tetherArgs(pr)
			q := make([]string, 0)
			for _, a := range childArgv(pr) {
				q = append(q, fmt.Sprintf("%q", a))
			}
			fmt.Fprintf(&b, "[sidecar.%s]\ncommand = [%s]\n%s\n\n", pr.name, strings.Join(q, ", "), strings.Join(toml, "\n"))
		}
		f := filepath.Join(dir, "tether.toml")
		if err := os.WriteFile(f, []byte(b.String()), 0o644); err != nil {
			return nil, err
		}
		tp, err := p.launch(dir, []string{"up", "-f", f}, "")
		if err != nil {
			return nil, err
		}
		for _, pr := range progs {
			in.procs[pr.name] = tp
		}
		in.all = append(in.all, tp)
		return in, nil
	}
	for _, pr := range progs {
		if !pr.lazy {
			if err := in.begin(pr.name); err != nil {
				in.close()
				return nil, err
			}
		}
	}
	return in, nil
}

func (in *tetherInst) begin(name string) error {
	var pr prog
	for _, x := range in.progs {
		if x.name == name {
			pr = x
		}
	}
	flags, _ := tetherArgs(pr)
	args := append([]string{"run", "--name", pr.name}, flags...)
	args = append(append(args, "--"), childArgv(pr)...)
	out, log := "", ""
	if pr.toFile {
		out = filepath.Join(in.dir, pr.name+".ndjson")
	}
	if pr.rawLog {
		log = filepath.Join(in.dir, pr.name+".log")
		args = append([]string{"run", "--output-events=false", "--log-file", log, "--log-max-size", "1GiB"}, args[1:]...)
	}
	tp, err := in.p.launch(in.dir, args, out)
	if err != nil {
		return err
	}
	tp.log = log
	in.procs[name] = tp
	in.all = append(in.all, tp)
	return nil
}

// launch starts tether with its stdout either read into the hub (one event
// per line, stamped on arrival) or written to the file out.
func (p *tetherPeer) launch(dir string, args []string, out string) (*tetherProc, error) {
	cmd := exec.Command(p.bin, args...)
	cmd.Dir = dir
	errf, err := os.OpenFile(filepath.Join(dir, "tether.stderr"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	cmd.Stderr = errf
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	tp := &tetherProc{cmd: cmd, stdin: stdin, done: make(chan struct{}), out: out}
	var stdout io.ReadCloser
	if out != "" {
		f, err := os.Create(out)
		if err != nil {
			return nil, err
		}
		cmd.Stdout = f
		defer f.Close()
	} else if stdout, err = cmd.StdoutPipe(); err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	errf.Close()
	go func() {
		if stdout != nil {
			readEvents(stdout, p.hub)
		}
		cmd.Wait()
		close(tp.done)
	}()
	return tp, nil
}

type event struct {
	Name  string `json:"name"`
	Event string `json:"event"`
	Pid   int    `json:"pid"`
	Line  string `json:"line"`
}

func readEvents(r io.Reader, h *hub) {
	br := bufio.NewReaderSize(r, 1<<20)
	for {
		l, err := br.ReadBytes('\n')
		if len(l) > 0 {
			at := time.Now()
			var e event
			json.Unmarshal(l, &e)
			h.add(msg{Src: "event", Kind: e.Event, Tag: e.Name, Pid: e.Pid, Extra: e.Line, At: at, Raw: string(l)})
		}
		if err != nil {
			return
		}
	}
}

func (in *tetherInst) hosts() []int {
	var ps []int
	for _, tp := range in.all {
		select {
		case <-tp.done:
		default:
			ps = append(ps, tp.cmd.Process.Pid)
		}
	}
	return ps
}

// pids adds to each tether process its watcher, when it runs one (a
// re-execution of tether, "tether-watcher", that empties the sidecars'
// cgroups should tether die): it is tether's own memory and CPU.
func (in *tetherInst) pids() []int {
	ps := in.hosts()
	for _, h := range in.hosts() {
		ps = append(ps, tagged(fmt.Sprintf("TETHER_WATCHER=v1,%d", h))...)
	}
	return ps
}

// stop sends the stop command on stdin and waits for the sidecar's
// `stopped` event (its tree is gone by then).
func (in *tetherInst) stop(name string) error {
	tp := in.procs[name]
	if tp == nil {
		return fmt.Errorf("tether: no program %s", name)
	}
	cur := in.p.hub.mark()
	if _, err := fmt.Fprintf(tp.stdin, "{\"cmd\":\"stop\",\"name\":%q}\n", name); err != nil {
		return err
	}
	if tp.out != "" {
		// Events go to a file: its exit is the sign.
		select {
		case <-tp.done:
			return nil
		case <-time.After(30 * time.Second):
			return fmt.Errorf("tether: did not exit after stop")
		}
	}
	_, err := in.p.hub.wait(&cur, 30*time.Second, "tether stopped", func(m msg) bool {
		return m.Src == "event" && m.Kind == "stopped" && m.Tag == name
	})
	return err
}

func (in *tetherInst) logFile(name string) string {
	if tp := in.procs[name]; tp != nil {
		if tp.log != "" {
			return tp.log
		}
		return tp.out
	}
	return ""
}

func (in *tetherInst) close() {
	for _, tp := range in.all {
		tp.cmd.Process.Signal(syscall.SIGTERM)
	}
	for _, tp := range in.all {
		select {
		case <-tp.done:
		case <-time.After(15 * time.Second):
			tp.cmd.Process.Kill()
			<-tp.done
		}
		tp.stdin.Close()
	}
}
