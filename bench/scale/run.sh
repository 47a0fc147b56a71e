#!/usr/bin/env bash
# How a supervisor's cost grows with the number of sidecars: tether up,
# supervisord, pm2 and process-compose each run N `sleep` sidecars (N = 10, 100,
# 1000 by default), side by side in one run, with "floor" (bench/scale/floor:
# the least a Go program does to start, hold and stop the same processes, no
# cgroup, no event) for what the machine itself allows, and this prints, per
# tool and N:
#   threads  OS threads of the supervisor (/proc/PID/status; tether's watcher
#            is a process of its own, counted apart)
#   rss_mb   the supervisor's RSS, tether's watcher included (+ its share)
#   start_s  launch -> every sidecar running (tether: every `ready` event, no
#            probe; the others: N children running sleep, their only signal)
#   idle_cpu CPU ticks (1/100 s) the supervisor used over 3 s of idle
#   stop_s   SIGTERM -> the supervisor exited and no sidecar is left
#   left     sidecar processes left 1 s after that
# Usage: bench/scale/run.sh [N...]     (tools it cannot find are skipped, and said so)
#   PROCESS_COMPOSE=path  the process-compose binary (default: unpacked from
#                         ../shared/tools/process-compose-v1.122.0-linux-amd64.xz)
#   PM2=path              pm2's CLI (default: npm install pm2 into a temp prefix)
#   TOOLS="tether floor"  run only these (default: every one found)
set -euo pipefail
cd "$(dirname "$0")/../.."
counts=("$@")
[ ${#counts[@]} -eq 0 ] && counts=(10 100 1000)
tmp=$(mktemp -d /tmp/tether-scale.XXXXXX)
sleepsecs=$((4000 + $$ % 1000)) # a duration of this run's own, to count its sleeps
cleanup() {
  local h
  for h in "$tmp"/pm2-*/home; do # a pm2 daemon that outlived its SIGTERM
    [ -f "$h/pm2.pid" ] && kill -0 "$(cat "$h/pm2.pid")" 2>/dev/null && PM2_HOME=$h "$pm2" kill >/dev/null 2>&1
  done
  pkill -KILL -f "^sleep $sleepsecs\$" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

# Built as docs/cli.md says to install it (CGO_ENABLED=0: no C library mapped).
CGO_ENABLED=${CGO_ENABLED:-0} go build -trimpath -o "$tmp/tether" ./cmd/tether
CGO_ENABLED=${CGO_ENABLED:-0} go build -trimpath -o "$tmp/floor" ./bench/scale/floor
pc=${PROCESS_COMPOSE:-}
if [ -z "$pc" ] && [ -f ../shared/tools/process-compose-v1.122.0-linux-amd64.xz ]; then
  xz -dc ../shared/tools/process-compose-v1.122.0-linux-amd64.xz >"$tmp/process-compose" && chmod +x "$tmp/process-compose"
  pc=$tmp/process-compose
fi
sup=$(command -v supervisord || true)
# pm2: PM2=path to its CLI, or installed from npm into this run's directory.
pm2=${PM2:-}
if [ -z "$pm2" ] && command -v npm >/dev/null && [[ " ${TOOLS:-pm2} " == *" pm2 "* ]]; then
  npm install --prefix "$tmp/npm" --no-audit --no-fund --loglevel=error pm2 >/dev/null 2>&1 &&
    pm2=$tmp/npm/node_modules/.bin/pm2
fi

now() { date +%s.%N; }
live() { pgrep -c -f "^sleep $sleepsecs\$" || true; }
# The wait for N sleeps looks only at the supervisor's own children: a pgrep
# of every process every 10 ms costs 45-70 ms of CPU with 1,000 sleeps, most
# of a core on a 2-core machine, and slowed the tool being measured by 3-4x.
kids() { cat /proc/$1/task/*/children 2>/dev/null | wc -w; }
# sleeps PID: how many of PID's children are running sleep (exec done).
sleeps() {
  local k; k=$(cat /proc/$1/task/*/children 2>/dev/null)
  [ -z "$k" ] && { echo 0; return; }
  (cd /proc && printf '%s/comm\n' $k | xargs cat 2>/dev/null) | grep -c '^sleep$' || true
}
# await_sleeps PID N: until N children of PID run sleep; the cheap count first.
await_sleeps() {
  until [ "$(kids "$1")" -ge "$2" ]; do sleep 0.01; done
  until [ "$(sleeps "$1")" -ge "$2" ]; do sleep 0.01; done
}
threads() { awk '/^Threads:/{print $2}' /proc/$1/status 2>/dev/null || echo 0; }
rsskb() { awk '/^VmRSS:/{print $2}' /proc/$1/status 2>/dev/null || echo 0; }
ticks() { awk '{print $14+$15}' /proc/$1/stat 2>/dev/null || echo 0; }
# report TOOL N PID T0 READY_T [WATCHER_PID]
report() {
  local tool=$1 n=$2 pid=$3 t0=$4 t1=$5 w=${6:-}
  sleep 1
  local th rss wrss=0 wth=0 c0 c1 t2 t3 left
  th=$(threads "$pid"); rss=$(rsskb "$pid")
  [ -n "$w" ] && wrss=$(rsskb "$w") && wth=$(threads "$w")
  c0=$(ticks "$pid"); sleep 3; c1=$(ticks "$pid")
  t2=$(now); kill -TERM "$pid"
  while kill -0 "$pid" 2>/dev/null; do sleep 0.01; done
  while [ "$(live)" -gt 0 ]; do sleep 0.01; done
  t3=$(now); sleep 1; left=$(live)
  printf '%-16s %5d %8d %8.1f %8.2f %9d %7.2f %5d\n' "$tool" "$n" "$th" "$(echo "($rss+$wrss)/1024" | bc -l)" \
    "$(echo "$t1-$t0" | bc -l)" "$((c1 - c0))" "$(echo "$t3-$t2" | bc -l)" "$left"
  [ -n "$w" ] && printf '%-16s %5d %8d %8.1f   (watcher alone)\n' "  watcher" "$n" "$wth" "$(echo "$wrss/1024" | bc -l)"
  pkill -KILL -f "^sleep $sleepsecs\$" 2>/dev/null || true
}

run_tether() {
  local n=$1 f=$tmp/tether-$n.toml out=$tmp/tether-$n.ndjson
  : >"$f"
  for i in $(seq 1 "$n"); do printf '[sidecar.s%d]\ncommand = ["sleep", "%d"]\n' "$i" "$sleepsecs" >>"$f"; done
  local t0; t0=$(now)
  : >"$out"
  "$tmp/tether" up -f "$f" >"$out" 2>"$tmp/tether-$n.err" &
  local pid=$!
  until [ "$(grep -c '"event":"ready"' "$out")" -ge "$n" ]; do sleep 0.01; done
  local t1; t1=$(now)
  report tether "$n" "$pid" "$t0" "$t1" "$(pgrep -P "$pid" -f tether-watcher | head -1)"
}

run_supervisord() {
  local n=$1 d=$tmp/sup-$n; mkdir -p "$d"
  { printf '[supervisord]\nnodaemon=true\nlogfile=%s/s.log\npidfile=%s/s.pid\nchildlogdir=%s\nminfds=%d\n\n' "$d" "$d" "$d" $((4 * n + 64))
    printf '[program:s]\ncommand=sleep %d\nnumprocs=%d\nprocess_name=%%(program_name)s%%(process_num)d\nstartsecs=0\nstopasgroup=true\nkillasgroup=true\nstdout_logfile=NONE\nstderr_logfile=NONE\n' "$sleepsecs" "$n"; } >"$d/s.conf"
  local t0; t0=$(now)
  "$sup" -c "$d/s.conf" -n >"$d/stdio" 2>&1 &
  local pid=$!
  await_sleeps "$pid" "$n"
  local t1; t1=$(now)
  report supervisord "$n" "$pid" "$t0" "$t1"
}

run_floor() {
  local n=$1 t0; t0=$(now)
  "$tmp/floor" "$n" sleep "$sleepsecs" &
  local pid=$!
  await_sleeps "$pid" "$n"
  local t1; t1=$(now)
  report floor "$n" "$pid" "$t0" "$t1"
}

run_pc() {
  local n=$1 d=$tmp/pc-$n; mkdir -p "$d"
  { echo 'version: "0.5"'; echo 'processes:'
    for i in $(seq 1 "$n"); do printf '  s%d:\n    command: "sleep %d"\n' "$i" "$sleepsecs"; done; } >"$d/pc.yaml"
  local t0; t0=$(now)
  (cd "$d" && exec "$pc" up -f "$d/pc.yaml" -t=false --no-server -L "$d/pc.log" >"$d/stdio" 2>&1) &
  local pid=$!
  await_sleeps "$pid" "$n"
  local t1; t1=$(now)
  report process-compose "$n" "$pid" "$t0" "$t1"
}

# pm2: `pm2 start` of an ecosystem file (interpreter none: sleep is the
# daemon's child, fork mode) launches its daemon, which is the supervisor
# measured; SIGTERM to the daemon is its own shutdown (it deletes every
# process, then exits).
run_pm2() {
  local n=$1 d=$tmp/pm2-$n i; mkdir -p "$d/home"
  { printf '{"apps": ['
    for i in $(seq 1 "$n"); do
      [ "$i" -gt 1 ] && printf ','
      printf '\n{"name": "s%d", "script": "sleep", "args": "%d", "interpreter": "none"}' "$i" "$sleepsecs"
    done
    printf ']}\n'; } >"$d/eco.json"
  local t0; t0=$(now)
  PM2_HOME=$d/home "$pm2" start "$d/eco.json" >"$d/stdio" 2>&1 &
  until [ -s "$d/home/pm2.pid" ]; do sleep 0.01; done
  local pid; pid=$(cat "$d/home/pm2.pid")
  await_sleeps "$pid" "$n"
  local t1; t1=$(now)
  wait $! || true
  report pm2 "$n" "$pid" "$t0" "$t1"
}

echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $(go version | cut -d' ' -f3), kernel $(uname -r), tether $(git rev-parse --short HEAD)"
[ -n "$sup" ] && echo "supervisord $("$sup" --version)" || echo "supervisord: not installed (apt-get install supervisor): skipped"
# (pm2 --version would start a daemon in ~/.pm2: the version is read from its package.json)
[ -n "$pm2" ] && echo "pm2 $(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$(dirname "$(readlink -f "$pm2")")/../package.json" | head -1) (node $(node --version))" || echo "pm2: not found (npm install pm2, or PM2=path): skipped"
[ -n "$pc" ] && echo "process-compose $("$pc" version --short 2>/dev/null) from ${PROCESS_COMPOSE:-../shared/tools (prebuilt, see its README)}" || echo "process-compose: not found: skipped"
printf '%-16s %5s %8s %8s %8s %9s %7s %5s\n' tool N threads rss_mb start_s idle_cpu stop_s left
tools=" ${TOOLS:-floor tether supervisord pm2 process-compose} "
for n in "${counts[@]}"; do
  [[ $tools == *" floor "* ]] && run_floor "$n"
  [[ $tools == *" tether "* ]] && run_tether "$n"
  [ -n "$sup" ] && [[ $tools == *" supervisord "* ]] && run_supervisord "$n"
  [ -n "$pm2" ] && [[ $tools == *" pm2 "* ]] && run_pm2 "$n"
  [ -n "$pc" ] && [[ $tools == *" process-compose "* ]] && run_pc "$n"
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
