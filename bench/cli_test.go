//go:build linux

package bench

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The tether command, measured as a host sees it: a binary on a pipe.

var (
	buildOnce sync.Once
	tetherBin string
	buildErr  error
)

func tetherBinary(b *testing.B) string {
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "tether-bench-")
		if err != nil {
			buildErr = err
			return
		}
		tetherBin = filepath.Join(dir, "tether")
		// Built as docs/cli.md says to build it (no C library mapped).
		build := exec.Command("go", "build", "-trimpath", "-o", tetherBin, "../cmd/tether")
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		out, err := build.CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		b.Fatal(buildErr)
	}
	return tetherBin
}

const cliBytes = 128 << 20

// BenchmarkCLICat is the yardstick for BenchmarkCLINDJSON: the same stream
// of 100-byte lines through cat.
func BenchmarkCLICat(b *testing.B) {
	exe, _ := os.Executable()
	b.SetBytes(int64(cliBytes / 100 * 100))
	for b.Loop() {
		w := exec.Command(exe)
		w.Env = append(os.Environ(), "BENCH_HELPER=write", "BENCH_BYTES="+strconv.Itoa(cliBytes), "BENCH_LINE=100")
		c := exec.Command("cat")
		pipe, _ := w.StdoutPipe()
		c.Stdin = pipe
		out, _ := c.StdoutPipe()
		if err := w.Start(); err != nil {
			b.Fatal(err)
		}
		if err := c.Start(); err != nil {
			b.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, out)
		w.Wait()
		c.Wait()
		if n != cliBytes/100*100 {
			b.Fatalf("cat passed %d bytes", n)
		}
	}
}

// BenchmarkCLINDJSON: the same stream through `tether run`, read as NDJSON
// events from its stdout. MB/s counts the sidecar's bytes, not the JSON's.
func BenchmarkCLINDJSON(b *testing.B) {
	bin := tetherBinary(b)
	b.SetBytes(int64(cliBytes / 100 * 100))
	for b.Loop() {
		if lines := runWriteCountingEvents(b, bin, "run", "--restart", "never", "--output", "json"); lines != cliBytes/100 {
			b.Fatalf("%d stdout events, want %d", lines, cliBytes/100)
		}
	}
}

// runWriteCountingEvents runs tether with args on this binary's write
// helper (cliBytes in 100-byte lines), reads its stdout to the end, and
// returns how many stdout events it printed.
func runWriteCountingEvents(b *testing.B, bin string, args ...string) int {
	exe, _ := os.Executable()
	cmd := exec.Command(bin, append(args, "--", exe)...)
	cmd.Env = append(os.Environ(), "BENCH_HELPER=write", "BENCH_BYTES="+strconv.Itoa(cliBytes), "BENCH_LINE=100")
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	r := bufio.NewReaderSize(out, 1<<20)
	lines := 0
	for {
		l, err := r.ReadSlice('\n')
		if strings.Contains(string(l[:min(len(l), 120)]), `"event":"stdout"`) {
			lines++
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil {
			break
		}
	}
	if err := cmd.Wait(); err != nil {
		b.Fatal(err)
	}
	return lines
}

// BenchmarkCLIIdle: tether supervising 1 and 50 idle sidecars (sleep): its
// own CPU time per second of wall time and its resident memory, once every
// sidecar is ready, and the resident memory of its host-death watcher (a
// second tether process, see docs/containment.md).
func BenchmarkCLIIdle(b *testing.B) {
	bin := tetherBinary(b)
	for _, n := range []int{1, 50} {
		b.Run(fmt.Sprintf("sidecars=%d", n), func(b *testing.B) {
			dir := b.TempDir()
			var cfg strings.Builder
			for i := range n {
				fmt.Fprintf(&cfg, "[sidecar.s%d]\ncommand = [\"sleep\", \"1000\"]\n\n", i)
			}
			if err := os.WriteFile(filepath.Join(dir, "tether.toml"), []byte(cfg.String()), 0o644); err != nil {
				b.Fatal(err)
			}
			var cpuPerSec, rssMB, watcherMB float64
			for b.Loop() {
				cmd := exec.Command(bin, "up", "-f", filepath.Join(dir, "tether.toml"))
				out, _ := cmd.StdoutPipe()
				stdin, _ := cmd.StdinPipe()
				if err := cmd.Start(); err != nil {
					b.Fatal(err)
				}
				sc := bufio.NewScanner(out)
				for ready := 0; ready < n && sc.Scan(); {
					if strings.Contains(sc.Text(), `"event":"ready"`) {
						ready++
					}
				}
				go io.Copy(io.Discard, out)
				time.Sleep(500 * time.Millisecond) // settle
				t0, c0 := time.Now(), cpuTicks(cmd.Process.Pid)
				time.Sleep(3 * time.Second)
				cpu := float64(cpuTicks(cmd.Process.Pid)-c0) / 100 // USER_HZ is 100 on Linux
				cpuPerSec = cpu / time.Since(t0).Seconds()
				rssMB = float64(rssKB(cmd.Process.Pid)) / 1024
				watcherMB = float64(watcherRSSKB(cmd.Process.Pid, bin)) / 1024
				cmd.Process.Signal(os.Interrupt)
				stdin.Close()
				cmd.Wait()
			}
			b.ReportMetric(cpuPerSec*1000, "cpu-ms/s")
			b.ReportMetric(rssMB, "rss-MB")
			b.ReportMetric(watcherMB, "watcher-rss-MB")
		})
	}
}

// cpuTicks is utime+stime of pid, in clock ticks.
func cpuTicks(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	u, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return u + st
}

// rssKB is the resident set size of pid.
func rssKB(pid int) int64 {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			n, _ := strconv.ParseInt(strings.Fields(l)[1], 10, 64)
			return n
		}
	}
	return 0
}

// watcherRSSKB is the resident size of the children of pid that run bin:
// tether's watcher.
func watcherRSSKB(pid int, bin string) int64 {
	d, _ := os.ReadDir("/proc")
	var kb int64
	for _, e := range d {
		c, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", c))
		if err != nil {
			continue
		}
		s := string(stat)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
		if f[1] != strconv.Itoa(pid) {
			continue
		}
		if exe, _ := os.Readlink(fmt.Sprintf("/proc/%d/exe", c)); exe == bin {
			kb += rssKB(c)
		}
	}
	return kb
}
