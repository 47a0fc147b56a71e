#!/usr/bin/env bash
# test.sh runs the Windows build of internal/proc's tests under Wine
# (setup.sh first, so it works on a fresh machine). Extra arguments go to
# `go test` in place of the default two passes over internal/proc, e.g.
# `test.sh -run Kill ./internal/proc/`.
#
# The CTRL_BREAK test skips itself under Wine, which cannot deliver the
# event; everything else runs for real.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
. "$here/env.sh"
"$here/setup.sh"

# One run at a time per prefix: the clean-up below stops every Wine process
# of the prefix, which would kill a concurrent run's tests.
exec 9>"$WINEPREFIX.lock"
flock 9

# Keep one wineserver up for the whole run (each test binary would
# otherwise start and stop its own), and stop it, with every Wine process of
# this prefix, at the end.
"$WINESERVER" -p || true # exits 2 if a server (a crashed run's) is already up
trap '"$WINESERVER" -k 2>/dev/null || true' EXIT
# Start Wine's background services (services.exe, rpcss, explorer, ...) now,
# with no terminal or pipe as their stdio: started by the first test binary
# instead, they would inherit its output pipe and hold it open after it
# exits, and go test would wait WaitDelay (30 s here) and then report
# "Test I/O incomplete".
"$WINE64" wineboot </dev/null >/dev/null 2>&1

export PATH="$here:$PATH"
cd "$root"
if [ $# -gt 0 ]; then
	GOOS=windows GOARCH=amd64 go test -count=1 -timeout 5m "$@"
	exit
fi

# Pass 1: as go test runs it, the test binary has pipes and no console, so
# children get CREATE_NO_WINDOW and a console of their own.
TETHER_PROC_EXPECT_CONSOLE=0 GOOS=windows GOARCH=amd64 go test -count=1 -timeout 5m ./internal/proc/

# Pass 2: on a pseudo-terminal Wine gives the test binary a console, which
# children then share: the other side of winCreationFlags.
tmp=$(mktemp -d)
trap '"$WINESERVER" -k 2>/dev/null || true; rm -rf "$tmp"' EXIT
GOOS=windows GOARCH=amd64 go test -c -o "$tmp/proc.test.exe" ./internal/proc/
echo "internal/proc Windows tests again, with a console:"
TETHER_PROC_EXPECT_CONSOLE=1 script -qec "stty cols 500; exec '$WINE64' '$tmp/proc.test.exe' -test.v -test.run '^TestWindows' -test.timeout 5m" /dev/null |
	sed 's/\x1b\[?25[hl]//g; s/\x1b\[K//g; s/\r//g; /^=== /d'
