//go:build linux

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// process-compose (a prebuilt binary: the Go module proxy does not serve
// it here), run without its TUI on a YAML config of its own, controlled over
// its REST API on a unix socket (what `process-compose process stop` speaks,
// without the client's start-up).
type pcPeer struct {
	bin string
}

func (p *pcPeer) name() string { return "process-compose" }

func (p *pcPeer) supports(w string) string {
	if w == "ready" {
		return "it has readiness probes (http_get, exec), but this harness does not drive them yet"
	}
	return ""
}

func (p *pcPeer) version() string {
	out, _ := exec.Command(p.bin, "version", "--short").Output()
	return "process-compose " + strings.TrimSpace(string(out))
}

type pcInst struct {
	dir  string
	cmd  *exec.Cmd
	done chan struct{}
	http *http.Client
}

// pcProcess is one program's YAML: the equivalents of tether's settings
// (restart at once: backoff_seconds 0; shutdown signal TERM, timeout = the
// stop timeout; an http_get readiness probe on the port; the log to a file
// of its own).
func pcProcess(dir string, p prog) string {
	var b strings.Builder
	q := make([]string, 0)
	for _, a := range childArgv(p) {
		q = append(q, "'"+strings.ReplaceAll(a, "'", `'"'"'`)+"'")
	}
	fmt.Fprintf(&b, "  %s:\n    command: %q\n", p.name, strings.Join(q, " "))
	fmt.Fprintf(&b, "    environment:\n      - %q\n", "BENCH_CHILD_TAG="+p.tag)
	if p.lazy {
		b.WriteString("    disabled: true\n")
	}
	restart := "no"
	if p.restart {
		restart = "always"
	}
	fmt.Fprintf(&b, "    availability:\n      restart: %q\n      backoff_seconds: 0\n", restart)
	timeout := 10
	if p.stop > 0 {
		timeout = int(p.stop.Seconds())
	}
	fmt.Fprintf(&b, "    shutdown:\n      signal: 15\n      timeout_seconds: %d\n", timeout)
	fmt.Fprintf(&b, "    log_location: %q\n", filepath.Join(dir, p.name+".out"))
	return b.String()
}

func (p *pcPeer) start(dir string, progs []prog) (inst, error) {
	sock := filepath.Join(dir, "pc.sock")
	var b strings.Builder
	b.WriteString("version: \"0.5\"\nprocesses:\n")
	for _, pr := range progs {
		b.WriteString(pcProcess(dir, pr))
	}
	cf := filepath.Join(dir, "process-compose.yaml")
	if err := os.WriteFile(cf, []byte(b.String()), 0o644); err != nil {
		return nil, err
	}
	cmd := exec.Command(p.bin, "up", "-f", cf, "-t=false", "-U", "-u", sock, "-L", filepath.Join(dir, "pc.log"), "--keep-project")
	cmd.Dir = dir
	logf, _ := os.Create(filepath.Join(dir, "pc.stdio"))
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	logf.Close()
	in := &pcInst{dir: dir, cmd: cmd, done: make(chan struct{})}
	go func() { cmd.Wait(); close(in.done) }()
	in.http = &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", sock)
		},
	}}
	for i := 0; ; i++ {
		if _, err := in.call("GET", "/live"); err == nil {
			break
		}
		if i > 1000 {
			in.close()
			return nil, fmt.Errorf("process-compose did not come up")
		}
		time.Sleep(10 * time.Millisecond)
	}
	return in, nil
}

func (in *pcInst) call(method, path string) ([]byte, error) {
	req, _ := http.NewRequest(method, "http://localhost"+path, nil)
	resp, err := in.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		return body, fmt.Errorf("process-compose %s %s: %s: %s", method, path, resp.Status, body)
	}
	return body, nil
}

func (in *pcInst) pids() []int {
	select {
	case <-in.done:
		return nil
	default:
		return []int{in.cmd.Process.Pid}
	}
}

func (in *pcInst) hosts() []int { return in.pids() }

func (in *pcInst) begin(name string) error {
	_, err := in.call("POST", "/process/start/"+name)
	return err
}

// stop is `process-compose process stop`: it returns once the process is
// stopped; then its state is checked to be no longer running.
func (in *pcInst) stop(name string) error {
	if _, err := in.call("PATCH", "/process/stop/"+name); err != nil {
		return err
	}
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); {
		b, err := in.call("GET", "/process/"+name)
		if err != nil {
			return err
		}
		var st struct {
			IsRunning bool `json:"is_running"`
		}
		if json.Unmarshal(b, &st) == nil && !st.IsRunning {
			return nil
		}
		time.Sleep(time.Millisecond)
	}
	return fmt.Errorf("process-compose: %s still running 30s after stop", name)
}

func (in *pcInst) logFile(name string) string { return filepath.Join(in.dir, name+".out") }

func (in *pcInst) close() {
	select {
	case <-in.done:
		return
	default:
	}
	in.call("POST", "/project/stop")
	select {
	case <-in.done:
	case <-time.After(30 * time.Second):
		in.cmd.Process.Signal(syscall.SIGKILL)
		<-in.done
	}
	in.http.CloseIdleConnections()
}
