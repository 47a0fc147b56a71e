#!/usr/bin/env bash
# Benchmarks tether against supervisord, pm2 and process-compose, side by
# side, in one run on this machine, and writes bench/results/peers.{md,csv,json}
# and the plots bench/results/peers-*.png (see BENCHMARKS.md).
#
# Usage: bench/peers/run.sh [runs]     (default 5; takes about 8 minutes)
#   FLOOD_MB=200   size of the log-throughput stream
#   ONLY=restart,stop,...   run only these workloads (ids in workloads.go);
#                           their results go to bench/results/only-restart-stop/,
#                           leaving the full run's files and BENCHMARKS.md alone
#
# Installs what it lacks from the machine's own package sources: supervisord
# and gnuplot from Debian (no service is left running), pm2 from npm into a
# private prefix, process-compose with `go install` if the Go module proxy
# serves it (or the prebuilt binary in ../shared/tools, used when present and
# said so in the results). Every tool runs in a temp directory of its own, with its own
# config; at the end everything this run started is stopped and checked for.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$PWD
runs=${1:-5}
PC_MODULE=github.com/f1bonacc1/process-compose
PC_VERSION=${PC_VERSION:-latest}
export PEERBENCH_SESSION="pb$(date +%s)$$"
tmp=$(mktemp -d /tmp/peerbench.XXXXXX)

cleanup() {
  set +e
  # pm2 daemons of ours that are still up: `pm2 kill`, each with its PM2_HOME.
  while IFS= read -r home; do
    if [ -f "$home/pm2.pid" ] && kill -0 "$(cat "$home/pm2.pid")" 2>/dev/null; then
      PM2_HOME=$home "$tmp/npm/node_modules/.bin/pm2" kill >/dev/null 2>&1
    fi
  done < <(find "$tmp" -maxdepth 6 -type d -name pm2home 2>/dev/null)
  # Then every process that inherited this run's marker, wherever it is now:
  # killed, and the scan repeated to show that none is left.
  [ -x "$tmp/bin/peerbench" ] && "$tmp/bin/peerbench" sweep "PEERBENCH_SESSION=$PEERBENCH_SESSION"
  rm -rf "$tmp"
}
trap cleanup EXIT

echo "== installing the peers" >&2
need=()
command -v supervisord >/dev/null || need+=(supervisor)
command -v gnuplot >/dev/null || need+=(gnuplot-nox)
if [ ${#need[@]} -gt 0 ]; then
  # policy-rc.d: the package must not start a system-wide supervisord.
  made_policy=
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && made_policy=1
  fi
  apt-get -o DPkg::Lock::Timeout=900 update -qq
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  [ -n "$made_policy" ] && rm -f /usr/sbin/policy-rc.d
fi
# Should a system instance be running anyway (started by an earlier install),
# stop it: ours runs on a config of its own.
if pgrep -f 'supervisord.*/etc/supervisor/supervisord.conf' >/dev/null; then
  service supervisor stop >/dev/null 2>&1 || kill "$(cat /var/run/supervisord.pid)" || true
fi

npm install --prefix "$tmp/npm" --no-audit --no-fund --loglevel=error pm2 >/dev/null

skip=()
mkdir -p "$tmp/bin"
pc=()
# process-compose: the prebuilt binary beside the repository (the Go module
# proxy does not serve it here; ../shared/tools/README.md says how it was
# built), else `go install` if the proxy serves it.
pc_xz=../shared/tools/process-compose-v1.122.0-linux-amd64.xz
if [ -f "$pc_xz" ]; then
  xz -dc "$pc_xz" >"$tmp/bin/process-compose" && chmod +x "$tmp/bin/process-compose"
  pc=(-process-compose "$tmp/bin/process-compose")
  echo "process-compose: the prebuilt $("$tmp/bin/process-compose" version --short 2>/dev/null) from $pc_xz" >&2
  note=(-note "process-compose: the prebuilt v1.122.0 linux/amd64 binary from ../shared/tools (the Go module proxy does not serve it here), built from the upstream tag with Go 1.26, CGO_ENABLED=0")
elif pc_err=$(cd "$tmp" && GOBIN="$tmp/bin" GOFLAGS=-mod=mod go install "$PC_MODULE@$PC_VERSION" 2>&1); then
  pc=(-process-compose "$tmp/bin/process-compose")
  note=(-note "process-compose: installed with go install $PC_MODULE@$PC_VERSION")
else
  why=$(printf '%s\n' "$pc_err" | grep -m1 -oE '(403 Forbidden|404 Not Found|not available|no matching versions|unknown revision)[^;]*' || true)
  skip+=(-skip "process-compose=\`go install $PC_MODULE@$PC_VERSION\` failed: the Go module proxy answered ${why:-an error} (it does not serve this module), so it could not be installed here")
  note=()
  echo "process-compose: not found and not served by the module proxy; skipped" >&2
fi

echo "== building tether and the harness" >&2
rev=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
git diff --quiet HEAD -- . ':!bench/results' ':!BENCHMARKS.md' 2>/dev/null || rev="$rev plus uncommitted changes"
# tether as docs/cli.md says to build it (CGO_ENABLED=0: no C library mapped).
CGO_ENABLED=0 go build -trimpath -o "$tmp/bin/tether" ./cmd/tether
go build -o "$tmp/bin/peerbench" ./bench/peers
go build -o "$tmp/bin/peerchild" ./bench/peers/child
go build -o "$tmp/bin/naive" ./bench/peers/naive

echo "== running ($runs runs of each figure)" >&2
out=bench/results
[ -n "${ONLY:-}" ] && out=bench/results/only-${ONLY//,/-}
mkdir -p "$tmp/w" "$out"
"$tmp/bin/peerbench" -tether "$tmp/bin/tether" -child "$tmp/bin/peerchild" -supervisord "$(command -v supervisord)" \
  -pm2-prefix "$tmp/npm" -pm2ctl "$repo/bench/peers/pm2ctl.js" -naive "$tmp/bin/naive" -work "$tmp/w" -out "$out" \
  -runs "$runs" -tether-rev "$rev" -flood-mb "${FLOOD_MB:-200}" -only "${ONLY:-}" "${pc[@]}" "${note[@]}" "${skip[@]+"${skip[@]}"}"

# A partial run may lack some plots: its page links only those it has.
for img in $(grep -o 'peers-[a-z]*\.png' "$out/peers.md" | sort -u); do
  [ -f "$out/$img" ] || sed -i "/$img/d" "$out/peers.md"
done

# The table in BENCHMARKS.md is this run's, between its two markers.
if [ -z "${ONLY:-}" ] && grep -q '<!-- peers:begin -->' BENCHMARKS.md 2>/dev/null; then
  awk -v f=bench/results/peers.md '
    /<!-- peers:begin -->/ { print; skip = 1; while ((getline l < f) > 0) if (l !~ /^# / && l !~ /^!\[/) print l; next }
    /<!-- peers:end -->/ { skip = 0 }
    !skip' BENCHMARKS.md >"$tmp/B.md" && cp "$tmp/B.md" BENCHMARKS.md
fi
