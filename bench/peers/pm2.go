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
	"strconv"
	"strings"
	"syscall"
	"time"
)

// pm2 from npm in a private prefix, with a private PM2_HOME per instance,
// driven through its programmatic API by pm2ctl.js (one connected client,
// so no CLI start-up is timed).
type pm2Peer struct {
	prefix string // npm --prefix
	ctl    string // pm2ctl.js
}

func (p *pm2Peer) name() string { return "pm2" }

func (p *pm2Peer) supports(string) string { return "" }

func (p *pm2Peer) module() string { return filepath.Join(p.prefix, "node_modules", "pm2") }

func (p *pm2Peer) version() string {
	b, _ := os.ReadFile(filepath.Join(p.module(), "package.json"))
	var v struct{ Version string }
	json.Unmarshal(b, &v)
	node, _ := exec.Command("node", "--version").Output()
	return "pm2 " + v.Version + " (node " + strings.TrimSpace(string(node)) + ")"
}

type pm2Inst struct {
	p      *pm2Peer
	dir    string
	home   string
	ctl    *exec.Cmd
	in     io.WriteCloser
	out    *bufio.Reader
	done   chan struct{}
	daemon int
	progs  map[string]prog
	id     int
}

func (p *pm2Peer) start(dir string, progs []prog) (inst, error) {
	home := filepath.Join(dir, "pm2home")
	os.MkdirAll(home, 0o755)
	cmd := exec.Command("node", p.ctl)
	cmd.Dir = dir
	// pm2's stop signal is a daemon-wide setting (PM2_KILL_SIGNAL, default
	// SIGINT): TERM here, as for the other tools.
	cmd.Env = append(os.Environ(), "PM2_HOME="+home, "PM2_MODULE="+p.module(), "PM2_KILL_SIGNAL=SIGTERM",
		"PM2_NO_INTERACTION=true", "PM2_DISCRETE_MODE=true", "PM2_DISABLE_VERSION_CHECK=true")
	errf, _ := os.Create(filepath.Join(dir, "pm2ctl.stderr"))
	cmd.Stderr = errf
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	errf.Close()
	in := &pm2Inst{p: p, dir: dir, home: home, ctl: cmd, in: stdin, out: bufio.NewReader(stdout), done: make(chan struct{}), progs: map[string]prog{}}
	if err := in.answer(0, 60*time.Second); err != nil {
		in.close()
		return nil, fmt.Errorf("pm2 connect: %w", err)
	}
	b, err := os.ReadFile(filepath.Join(home, "pm2.pid"))
	if err != nil {
		in.close()
		return nil, err
	}
	in.daemon, _ = strconv.Atoi(strings.TrimSpace(string(b)))
	var apps []any
	for _, pr := range progs {
		in.progs[pr.name] = pr
		if !pr.lazy {
			apps = append(apps, in.app(pr))
		}
	}
	if len(apps) > 0 {
		// One call for all of them, as `pm2 start ecosystem.config.js` does.
		if err := in.call(map[string]any{"op": "start", "app": map[string]any{"apps": apps}}); err != nil {
			in.close()
			return nil, err
		}
	}
	return in, nil
}

func (in *pm2Inst) answer(id int, d time.Duration) error {
	type res struct {
		line []byte
		err  error
	}
	ch := make(chan res, 1)
	go func() {
		l, err := in.out.ReadBytes('\n')
		ch <- res{l, err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			return r.err
		}
		var a struct {
			ID  int
			OK  bool
			Err string
		}
		if err := json.Unmarshal(r.line, &a); err != nil {
			return fmt.Errorf("pm2ctl said %q", r.line)
		}
		if a.ID != id {
			return fmt.Errorf("pm2ctl answered %d, want %d", a.ID, id)
		}
		if !a.OK {
			return fmt.Errorf("pm2: %s", a.Err)
		}
		return nil
	case <-time.After(d):
		return fmt.Errorf("pm2ctl: no answer in %v", d)
	}
}

func (in *pm2Inst) call(c map[string]any) error {
	in.id++
	c["id"] = in.id
	b, _ := json.Marshal(c)
	if _, err := in.in.Write(append(b, '\n')); err != nil {
		return err
	}
	return in.answer(in.id, 60*time.Second)
}

// app is the pm2 equivalent of tether's settings: fork mode, the binary run
// directly (interpreter none), restart_delay 0 (pm2's default, the
// smallest), kill_timeout = the stop timeout, tree kill (pm2's default),
// wait_ready for readiness, logs to files of our own.
func (in *pm2Inst) app(p prog) map[string]any {
	argv := childArgv(p)
	env := map[string]string{"BENCH_CHILD_TAG": p.tag}
	a := map[string]any{
		"name": p.name, "script": argv[0], "args": argv[1:], "interpreter": "none", "exec_mode": "fork",
		"autorestart": p.restart, "restart_delay": 0, "max_restarts": 100000,
		"out_file": filepath.Join(in.dir, p.name+".out"), "error_file": filepath.Join(in.dir, p.name+".err"),
		"pid_file": filepath.Join(in.dir, p.name+".pid"), "merge_logs": true, "cwd": in.dir,
	}
	if p.stop > 0 {
		a["kill_timeout"] = p.stop.Milliseconds()
	}
	if p.ready == "push" {
		a["wait_ready"] = true
		a["listen_timeout"] = 30000
		env["PB_PM2_READY"] = "1"
	}
	a["env"] = env
	return a
}

func (in *pm2Inst) begin(name string) error {
	return in.call(map[string]any{"op": "start", "app": in.app(in.progs[name])})
}

// stop is pm2.stop: the kill signal to the tree, then a check every
// kill_retry_time (100 ms) until the tree is dead, SIGKILL after kill_timeout.
func (in *pm2Inst) stop(name string) error {
	return in.call(map[string]any{"op": "stop", "name": name})
}

func (in *pm2Inst) logFile(name string) string { return filepath.Join(in.dir, name+".out") }

func (in *pm2Inst) pids() []int {
	if in.daemon > 0 && alive(in.daemon) {
		return []int{in.daemon}
	}
	return nil
}

func (in *pm2Inst) close() {
	if in.daemon > 0 && alive(in.daemon) {
		in.call(map[string]any{"op": "kill"})
		waitGone(in.daemon, 10*time.Second)
		if alive(in.daemon) {
			syscall.Kill(in.daemon, syscall.SIGKILL)
		}
	}
	in.in.Close()
	ch := make(chan struct{})
	go func() { in.ctl.Wait(); close(ch) }()
	select {
	case <-ch:
	case <-time.After(5 * time.Second):
		in.ctl.Process.Kill()
		<-ch
	}
}

func (in *pm2Inst) hosts() []int { return in.pids() }
