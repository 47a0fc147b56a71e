//go:build linux

package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"
)

// supervisord from Debian's package, run in the foreground (-n) on a config
// of its own in a temp directory, controlled over XML-RPC on its unix socket
// (what supervisorctl speaks, without the Python start-up of supervisorctl).
type supervisordPeer struct {
	bin string
}

func (p *supervisordPeer) name() string { return "supervisord" }

func (p *supervisordPeer) supports(w string) string {
	if w == "ready" {
		return "no readiness: RUNNING means spawned and alive for startsecs"
	}
	return ""
}

func (p *supervisordPeer) version() string {
	out, _ := exec.Command(p.bin, "--version").Output()
	return strings.TrimSpace(string(out))
}

type supervisordInst struct {
	dir  string
	cmd  *exec.Cmd
	done chan struct{}
	http *http.Client
}

// The equivalents of tether's settings: stopsignal TERM, stopasgroup and
// killasgroup (tether always signals the whole group; supervisord's
// defaults are false), startsecs 0 (so a restart is EXITED -> STARTING at
// once, supervisord has no delay setting), stopwaitsecs = the stop timeout,
// logs without rotation.
func supervisordProgram(dir string, p prog) string {
	var b strings.Builder
	fmt.Fprintf(&b, "[program:%s]\n", p.name)
	fmt.Fprintf(&b, "command=%s\n", strings.Join(childArgv(p), " "))
	fmt.Fprintf(&b, "environment=BENCH_CHILD_TAG=\"%s\"\n", p.tag)
	fmt.Fprintf(&b, "autostart=%v\n", !p.lazy)
	fmt.Fprintf(&b, "autorestart=%v\n", p.restart)
	b.WriteString("startsecs=0\nstartretries=1000\nstopsignal=TERM\nstopasgroup=true\nkillasgroup=true\n")
	if p.stop > 0 {
		fmt.Fprintf(&b, "stopwaitsecs=%d\n", int(p.stop.Seconds()))
	}
	fmt.Fprintf(&b, "stdout_logfile=%s\nstdout_logfile_maxbytes=0\n", filepath.Join(dir, p.name+".out"))
	fmt.Fprintf(&b, "stderr_logfile=%s\nstderr_logfile_maxbytes=0\n\n", filepath.Join(dir, p.name+".err"))
	return b.String()
}

func (p *supervisordPeer) start(dir string, progs []prog) (inst, error) {
	sock := filepath.Join(dir, "s.sock")
	var b strings.Builder
	fmt.Fprintf(&b, "[unix_http_server]\nfile=%s\nchmod=0700\n\n", sock)
	fmt.Fprintf(&b, "[supervisord]\nnodaemon=true\nlogfile=%s\npidfile=%s\nchildlogdir=%s\n\n",
		filepath.Join(dir, "supervisord.log"), filepath.Join(dir, "supervisord.pid"), dir)
	b.WriteString("[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n\n")
	fmt.Fprintf(&b, "[supervisorctl]\nserverurl=unix://%s\n\n", sock)
	for _, pr := range progs {
		b.WriteString(supervisordProgram(dir, pr))
	}
	conf := b.String()
	cf := filepath.Join(dir, "supervisord.conf")
	if err := os.WriteFile(cf, []byte(conf), 0o644); err != nil {
		return nil, err
	}
	cmd := exec.Command(p.bin, "-c", cf, "-n")
	cmd.Dir = dir
	logf, _ := os.Create(filepath.Join(dir, "supervisord.stdio"))
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	logf.Close()
	in := &supervisordInst{dir: dir, cmd: cmd, done: make(chan struct{})}
	go func() { cmd.Wait(); close(in.done) }()
	in.http = &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", sock)
		},
	}}
	for i := 0; ; i++ {
		if out, err := in.rpc("supervisor.getState"); err == nil && strings.Contains(out, "RUNNING") {
			break
		}
		if i > 1000 {
			in.close()
			return nil, fmt.Errorf("supervisord did not come up")
		}
		time.Sleep(10 * time.Millisecond)
	}
	return in, nil
}

var faultRE = regexp.MustCompile(`(?s)<fault>.*?<string>(.*?)</string>`)

// rpc calls an XML-RPC method with string and boolean parameters.
func (in *supervisordInst) rpc(method string, params ...any) (string, error) {
	var b bytes.Buffer
	fmt.Fprintf(&b, "<?xml version=\"1.0\"?><methodCall><methodName>%s</methodName><params>", method)
	for _, p := range params {
		switch v := p.(type) {
		case string:
			fmt.Fprintf(&b, "<param><value><string>%s</string></value></param>", v)
		case bool:
			n := 0
			if v {
				n = 1
			}
			fmt.Fprintf(&b, "<param><value><boolean>%d</boolean></value></param>", n)
		}
	}
	b.WriteString("</params></methodCall>")
	resp, err := in.http.Post("http://localhost/RPC2", "text/xml", &b)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if m := faultRE.FindSubmatch(body); m != nil {
		return "", fmt.Errorf("supervisord %s: %s", method, m[1])
	}
	return string(body), nil
}

func (in *supervisordInst) pids() []int {
	select {
	case <-in.done:
		return nil
	default:
		return []int{in.cmd.Process.Pid}
	}
}

func (in *supervisordInst) begin(name string) error {
	_, err := in.rpc("supervisor.startProcess", name, false)
	return err
}

// stop is supervisorctl's stop: stopProcess with wait=true returns once the
// process is STOPPED.
func (in *supervisordInst) stop(name string) error {
	_, err := in.rpc("supervisor.stopProcess", name, true)
	return err
}

func (in *supervisordInst) logFile(name string) string {
	return filepath.Join(in.dir, name+".out")
}

func (in *supervisordInst) close() {
	select {
	case <-in.done:
		return
	default:
	}
	in.rpc("supervisor.shutdown")
	select {
	case <-in.done:
	case <-time.After(30 * time.Second):
		in.cmd.Process.Signal(syscall.SIGKILL)
		<-in.done
	}
	in.http.CloseIdleConnections()
}

func (in *supervisordInst) hosts() []int { return in.pids() }
