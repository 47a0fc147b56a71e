//go:build linux

// Package bench measures tether's hot paths against the raw operations they
// wrap. Run ./run.sh for the figures the docs quote.
package bench

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"tether.dev/tether"
)

// The test binary is also the sidecar: with BENCH_HELPER=write it writes
// $BENCH_BYTES bytes of lines of $BENCH_LINE bytes (newline included) to
// stdout as fast as it can.
func TestMain(m *testing.M) {
	if os.Getenv("BENCH_HELPER") == "listen" {
		// After BENCH_DELAY, listen on 127.0.0.1:BENCH_PORT, print the
		// time (unix ns) at which it could first answer, and serve 200s.
		d, _ := time.ParseDuration(os.Getenv("BENCH_DELAY"))
		time.Sleep(d)
		ln, err := net.Listen("tcp", "127.0.0.1:"+os.Getenv("BENCH_PORT"))
		if err != nil {
			os.Exit(3)
		}
		fmt.Println(time.Now().UnixNano())
		http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	}
	if os.Getenv("BENCH_HELPER") == "write" {
		n, _ := strconv.Atoi(os.Getenv("BENCH_BYTES"))
		l, _ := strconv.Atoi(os.Getenv("BENCH_LINE"))
		line := []byte(strings.Repeat("x", l-1) + "\n")
		w := bufio.NewWriterSize(os.Stdout, 1<<20)
		for written := 0; written+l <= n; written += l {
			w.Write(line)
		}
		w.Flush()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

const streamBytes = 256 << 20

// total is what the writer writes for lines of l bytes.
func total(l int) int { return streamBytes / l * l }

func writer(lineLen int) (string, []string) {
	exe, _ := os.Executable()
	return exe, []string{"BENCH_HELPER=write", "BENCH_BYTES=" + strconv.Itoa(streamBytes), "BENCH_LINE=" + strconv.Itoa(lineLen)}
}

// BenchmarkRawPipe is the yardstick: the same child, its stdout read by a
// plain read loop into a discarding sink.
func BenchmarkRawPipe(b *testing.B) {
	for _, l := range []int{100, 64 << 10} {
		b.Run(lineName(l), func(b *testing.B) {
			exe, env := writer(l)
			b.SetBytes(int64(total(l)))
			for b.Loop() {
				cmd := exec.Command(exe)
				cmd.Env = append(os.Environ(), env...)
				r, w, _ := os.Pipe()
				cmd.Stdout = w
				if err := cmd.Start(); err != nil {
					b.Fatal(err)
				}
				w.Close()
				buf := make([]byte, 64<<10)
				n, _ := io.CopyBuffer(io.Discard, r, buf)
				r.Close()
				cmd.Wait()
				if int(n) != total(l) {
					b.Fatalf("read %d bytes", n)
				}
			}
		})
	}
}

// BenchmarkEventPipeline: the same stream through tether, every line an
// Event delivered to a consumer that discards it.
func BenchmarkEventPipeline(b *testing.B) {
	for _, l := range []int{100, 64 << 10} {
		b.Run(lineName(l), func(b *testing.B) {
			exe, env := writer(l)
			b.SetBytes(int64(total(l)))
			var lines, n int
			for b.Loop() {
				n = 0
				s := &tether.Supervisor{
					Spec: tether.Spec{Command: exe, Env: env, Restart: tether.RestartNever},
					OnEvent: func(e tether.Event) {
						if e.Kind == tether.EventStdout {
							n += len(e.Data) + 1
							lines++
						}
					},
				}
				if err := s.Run(context.Background()); err != nil {
					b.Fatal(err)
				}
				if n != total(l) {
					b.Fatalf("delivered %d bytes", n)
				}
			}
			b.ReportMetric(float64(lines)/b.Elapsed().Seconds(), "lines/s")
		})
	}
}

func lineName(l int) string {
	if l >= 1024 {
		return fmt.Sprintf("line=%dKiB", l>>10)
	}
	return fmt.Sprintf("line=%dB", l)
}

// BenchmarkSpawnToExited: one supervised run of /bin/true, from Run to its
// return (spawn, reap, drain, events).
func BenchmarkSpawnToExited(b *testing.B) {
	for b.Loop() {
		s := &tether.Supervisor{Spec: tether.Spec{Command: "/bin/true", Restart: tether.RestartNever}}
		if err := s.Run(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRawSpawnWait is the yardstick for it: exec.Command("/bin/true").Run().
func BenchmarkRawSpawnWait(b *testing.B) {
	for b.Loop() {
		if err := exec.Command("/bin/true").Run(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRestartOverhead: /bin/false restarted with a 1 ms delay; the
// metric is the time from the child's exited event to the next spawned
// event, minus the delay: what the supervisor itself adds.
func BenchmarkRestartOverhead(b *testing.B) {
	const delay = time.Millisecond
	var gaps []time.Duration
	var last time.Time
	want := b.N + 1
	done := make(chan struct{})
	spawns := 0
	s := &tether.Supervisor{
		Spec: tether.Spec{Command: "/bin/false", Backoff: tether.Backoff{Initial: delay, Max: delay, Jitter: -1}},
		OnEvent: func(e tether.Event) {
			switch e.Kind {
			case tether.EventExited:
				last = e.Time
			case tether.EventSpawned:
				if !last.IsZero() {
					gaps = append(gaps, e.Time.Sub(last)-delay)
				}
				spawns++
				if spawns == want {
					close(done)
				}
			}
		},
	}
	errc := make(chan error, 1)
	b.ResetTimer()
	go func() { errc <- s.Run(context.Background()) }()
	<-done
	b.StopTimer()
	s.Stop(context.Background())
	if err := <-errc; err != nil {
		b.Fatal(err)
	}
	sort.Slice(gaps, func(i, j int) bool { return gaps[i] < gaps[j] })
	if len(gaps) > 0 {
		b.ReportMetric(float64(gaps[len(gaps)/2].Microseconds())/1000, "ms-median-overhead")
		b.ReportMetric(float64(gaps[len(gaps)*99/100].Microseconds())/1000, "ms-p99-overhead")
	}
}

// BenchmarkReadyLatency: a sidecar starts listening 50-150 ms after it was
// spawned; the metric is the time from its first moment able to answer to
// the ready event, with an HTTP probe (tether gates the GET with a TCP
// connect) and with a TCP probe.
func BenchmarkReadyLatency(b *testing.B) {
	for _, kind := range []string{"http", "tcp"} {
		b.Run(kind, func(b *testing.B) {
			exe, _ := os.Executable()
			var lat []time.Duration
			i := 0
			for b.Loop() {
				i++
				var listenAt, readyAt time.Time
				var s *tether.Supervisor
				probe := tether.HTTPProbe("http://127.0.0.1:{port}/")
				if kind == "tcp" {
					probe = tether.TCPProbe("127.0.0.1:{port}")
				}
				s = &tether.Supervisor{
					Spec: tether.Spec{
						Command: exe, Port: tether.PortAuto, Ready: probe,
						Env: []string{"BENCH_HELPER=listen", "BENCH_PORT={port}",
							"BENCH_DELAY=" + (time.Duration(50+i*37%100) * time.Millisecond).String()},
					},
					OnEvent: func(e tether.Event) {
						switch e.Kind {
						case tether.EventStdout:
							n, _ := strconv.ParseInt(string(e.Data), 10, 64)
							listenAt = time.Unix(0, n)
						case tether.EventReady:
							readyAt = e.Time
							go s.Kill()
						}
					},
				}
				s.Run(context.Background())
				if listenAt.IsZero() || readyAt.IsZero() {
					b.Fatal("no listen time or no ready event")
				}
				lat = append(lat, readyAt.Sub(listenAt))
			}
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "ms-median-latency")
			b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "ms-max-latency")
		})
	}
}
