//go:build linux

package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// naivePeer is the hand-written column: bench/peers/naive, one host process
// per program, shaped like Tauri's shell plugin (SIGKILL to the child's pid
// on stop; no graceful stop, restart or readiness).
type naivePeer struct {
	bin string
}

const naiveName = "hand-written"

func (p *naivePeer) name() string { return naiveName }
func (p *naivePeer) version() string {
	return "bench/peers/naive (Go exec.Command, like Tauri's shell plugin)"
}

func (p *naivePeer) supports(w string) string {
	switch w {
	case "restart":
		return "no restart: the app would have to write it"
	case "escalate", "escalate-default":
		return "no graceful stop: SIGKILL at once"
	case "ready":
		return "no readiness"
	case "rss":
		return "runs inside the app: no process of its own"
	}
	return ""
}

type naiveInst struct {
	p     *naivePeer
	dir   string
	progs map[string]prog
	procs map[string]*naiveProc
}

type naiveProc struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines chan string
	done  chan struct{}
	log   string
}

func (p *naivePeer) start(dir string, progs []prog) (inst, error) {
	in := &naiveInst{p: p, dir: dir, progs: map[string]prog{}, procs: map[string]*naiveProc{}}
	for _, pr := range progs {
		in.progs[pr.name] = pr
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

func (in *naiveInst) begin(name string) error {
	pr := in.progs[name]
	log := filepath.Join(in.dir, name+".out")
	cmd := exec.Command(in.p.bin, append([]string{"-log", log, "--"}, childArgv(pr)...)...)
	cmd.Env = append(os.Environ(), "BENCH_CHILD_TAG="+pr.tag)
	cmd.Dir = in.dir
	errf, _ := os.OpenFile(filepath.Join(in.dir, "naive.stderr"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	cmd.Stderr = errf
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		return err
	}
	errf.Close()
	np := &naiveProc{cmd: cmd, stdin: stdin, lines: make(chan string, 16), done: make(chan struct{}), log: log}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			select {
			case np.lines <- sc.Text():
			default:
			}
		}
		cmd.Wait()
		close(np.done)
	}()
	in.procs[name] = np
	return nil
}

func (in *naiveInst) pids() []int {
	var ps []int
	for _, np := range in.procs {
		select {
		case <-np.done:
		default:
			ps = append(ps, np.cmd.Process.Pid)
		}
	}
	return ps
}

func (in *naiveInst) stop(name string) error {
	np := in.procs[name]
	if np == nil {
		return fmt.Errorf("naive: no program %s", name)
	}
	if _, err := io.WriteString(np.stdin, "stop\n"); err != nil {
		return err
	}
	for {
		select {
		case l := <-np.lines:
			if strings.HasPrefix(l, "stopped") {
				return nil
			}
		case <-np.done:
			return nil
		case <-time.After(30 * time.Second):
			return fmt.Errorf("naive: no answer to stop")
		}
	}
}

func (in *naiveInst) logFile(name string) string {
	if np := in.procs[name]; np != nil {
		return np.log
	}
	return ""
}

func (in *naiveInst) close() {
	for _, np := range in.procs {
		np.stdin.Close()
		select {
		case <-np.done:
			continue
		default:
		}
		np.cmd.Process.Signal(syscall.SIGKILL)
		<-np.done
	}
}

func (in *naiveInst) hosts() []int { return in.pids() }
