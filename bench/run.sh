#!/usr/bin/env bash
# Prints tether's benchmark figures: the output path against a raw pipe read,
# spawn-to-exited against exec.Command().Run(), the restart overhead, the
# readiness latency, the tether command's NDJSON throughput against cat
# (also with a log file, and with the log file only) and its idle cost, and
# the output path with and without the crash tail. The peers are compared in bench/peers (BENCHMARKS.md).
# Usage: bench/run.sh [count]   (default 5 runs of each; medians shown)
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-5}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
{
  go test -run '^$' -bench '^Benchmark([^C]|CLI[^I])' -benchtime 5x -timeout 30m -count "$count" ./bench
  # The output path's cutting of reads with and without the crash tail.
  go test -run '^$' -bench '^BenchmarkOutputTail' -benchtime 20000x -timeout 30m -count "$count" .
  # Idle cost is measured over 3 s per run: one run per count.
  go test -run '^$' -bench '^BenchmarkCLIIdle' -benchtime 1x -timeout 30m -count "$count" ./bench
} | tee "$out" | grep -E '^(Benchmark|cpu:)' >&2 || true
echo
echo "machine: $(nproc) cores, $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(go version | cut -d' ' -f3), kernel $(uname -r)"
awk -v count="$count" '
function median(name, field,   n, i, j, t, a) {
  n = split(vals[name, field], a, " ")
  for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
  return a[int((n + 1) / 2)]
}
/^Benchmark/ {
  name = $1; sub(/-[0-9]+$/, "", name)
  for (i = 3; i < NF; i += 2) vals[name, $(i+1)] = vals[name, $(i+1)] " " $i
}
END {
  for (l = 1; l <= 2; l++) {
    line = (l == 1) ? "line=100B" : "line=64KiB"
    raw = median("BenchmarkRawPipe/" line, "MB/s"); ev = median("BenchmarkEventPipeline/" line, "MB/s")
    printf "output %-11s raw pipe %7.0f MB/s   event pipeline %7.0f MB/s (%s lines/s)   ratio %.0f%%\n", line, raw, ev, median("BenchmarkEventPipeline/" line, "lines/s"), 100 * ev / raw
  }
  printf "spawn to exited    tether %.2f ms   exec.Command.Run %.2f ms\n", median("BenchmarkSpawnToExited", "ns/op") / 1e6, median("BenchmarkRawSpawnWait", "ns/op") / 1e6
  printf "restart overhead   median %.2f ms   p99 %.2f ms (exit to next spawn, minus the 1 ms delay)\n", median("BenchmarkRestartOverhead", "ms-median-overhead"), median("BenchmarkRestartOverhead", "ms-p99-overhead")
  printf "ready latency      http median %.2f ms (max %.2f)   tcp median %.2f ms (max %.2f) (able to answer -> ready event)\n", median("BenchmarkReadyLatency/http", "ms-median-latency"), median("BenchmarkReadyLatency/http", "ms-max-latency"), median("BenchmarkReadyLatency/tcp", "ms-median-latency"), median("BenchmarkReadyLatency/tcp", "ms-max-latency")
  cat_ = median("BenchmarkCLICat", "MB/s"); nd = median("BenchmarkCLINDJSON", "MB/s")
  printf "CLI NDJSON         %7.0f MB/s of 100-byte lines   cat %7.0f MB/s   ratio %.0f%%\n", nd, cat_, 100 * nd / cat_
  for (l = 1; l <= 2; l++) {
    r = (l == 1) ? "read=256KiB" : "read=1line"
    off = median("BenchmarkOutputTail/" r "/tail=off", "ns/op"); on = median("BenchmarkOutputTail/" r "/tail=on", "ns/op")
    printf "crash tail, %-11s without %8.0f ns/read   with %8.0f ns/read   (+%.0f%%)\n", r, off, on, 100 * (on - off) / off
  }
  pl = median("BenchmarkCLILogFile/mode=plain", "MB/s"); lg = median("BenchmarkCLILogFile/mode=log", "MB/s"); lo = median("BenchmarkCLILogFile/mode=log-only", "MB/s")
  printf "CLI log file       events only %5.0f MB/s   events + --log-file %5.0f MB/s (%.0f%%)   --log-file, --output-events=false %5.0f MB/s\n", pl, lg, 100 * lg / pl, lo
  for (n = 1; n <= 2; n++) {
    k = (n == 1) ? "sidecars=1" : "sidecars=50"
    printf "CLI idle, %-11s CPU %.2f ms/s   RSS %.1f MB (+ watcher %.1f MB)\n", k, median("BenchmarkCLIIdle/" k, "cpu-ms/s"), median("BenchmarkCLIIdle/" k, "rss-MB"), median("BenchmarkCLIIdle/" k, "watcher-rss-MB")
  }
}' "$out"
