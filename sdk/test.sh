#!/usr/bin/env bash
# Runs every suite that is not Go's: the Python SDK (unittest), the Node SDK
# and the Node host client (node --test; the host client's include
# docs/hosts.md's Electron main process), and a strict TypeScript check of
# both packages' types. All of them run against one tether built from this
# checkout. A suite that cannot run is a failure, never a skip: a missing
# tool stops the script with status 1 (.ci/run installs them).
set -euo pipefail
cd "$(dirname "$0")/.."

for tool in go python3 node npm perl; do
  command -v "$tool" >/dev/null || { echo "sdk/test.sh: $tool is not installed" >&2; exit 1; }
done
python3 -c 'import ensurepip, venv' 2>/dev/null || { echo "sdk/test.sh: python3 cannot make a venv (Debian: python3-venv)" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/tether" ./cmd/tether
export TETHER_BIN="$tmp/tether"

# The three suites mostly wait on processes: run them side by side, each
# into its own log, printed whole when it ends.
suite() { # name dir command...
  local name=$1 dir=$2; shift 2
  if (cd "$dir" && "$@") >"$tmp/$name.log" 2>&1; then echo ok >"$tmp/$name.rc"; else echo failed >"$tmp/$name.rc"; fi
}
suite python sdk/python/tests python3 -m unittest -v &
suite node-sdk sdk/node bash -c 'node --test test/*.test.js' &
suite node-client clients/node bash -c 'node --test test/*.test.js' &
wait
status=0
for name in python node-sdk node-client; do
  echo "== $name ($(cat "$tmp/$name.rc"))"
  cat "$tmp/$name.log"
  [ "$(cat "$tmp/$name.rc")" = ok ] || status=1
done
[ $status = 0 ] || { echo "sdk/test.sh: a suite failed" >&2; exit 1; }
echo "python: $(python3 --version), node: $(node --version)"

echo "== TypeScript: the packages' .d.ts, strict"
tsc_dir="${XDG_CACHE_HOME:-$HOME/.cache}/tether/tsc"
if [ ! -x "$tsc_dir/node_modules/.bin/tsc" ] || [ ! -d "$tsc_dir/node_modules/@types/node" ]; then
  mkdir -p "$tsc_dir"
  (cd "$tsc_dir" && npm install --no-save --no-audit --no-fund --silent typescript@5 @types/node@20)
fi
for pkg in clients/node sdk/node; do
  (cd "$pkg" && "$tsc_dir/node_modules/.bin/tsc" --noEmit --strict --module nodenext --moduleResolution nodenext \
    --target es2022 --typeRoots "$tsc_dir/node_modules/@types" --types node test/types-check.ts index.d.ts)
  echo "ok $pkg"
done
(cd clients/node && node scripts/gen-events.mjs --check)
echo "sdk/test.sh: all suites passed"
