#!/usr/bin/env bash
# setup.sh installs Wine and prepares a prefix in which Go Windows test
# binaries run. Idempotent: a second run only checks.
#
# Needs root (apt-get) on Debian bookworm. What it does:
#  1. apt-get install wine64 (Wine 8) and binutils-mingw-w64-x86-64 (only the
#     assembler and linker: a forwarder DLL has no code, so no compiler).
#  2. wineboot -i a prefix at $WINEPREFIX (default ~/.cache/tether/wine).
#  3. links bcryptprimitives.dll (see bcryptprimitives.def) into the
#     prefix's system32.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/env.sh"

if [ ! -x "$WINE64" ] || ! command -v x86_64-w64-mingw32-ld >/dev/null; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends wine64 binutils-mingw-w64-x86-64 >/dev/null
fi

if [ ! -f "$WINEPREFIX/system.reg" ]; then
	mkdir -p "$WINEPREFIX"
	# The rundll32 warning about syswow64 is expected: wine64 alone has no
	# 32-bit side, and none is needed.
	"$WINE64" wineboot -i >/dev/null 2>&1 || true
	"$WINESERVER" -w
	[ -f "$WINEPREFIX/system.reg" ] || { echo "setup.sh: wineboot did not create $WINEPREFIX" >&2; exit 1; }
fi

dll="$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll"
if [ ! -f "$dll" ] || [ "$here/bcryptprimitives.def" -nt "$dll" ]; then
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	: | x86_64-w64-mingw32-as -o "$tmp/empty.o"
	# -e 0: no entry point (DllMain is optional for a DLL).
	x86_64-w64-mingw32-ld -shared -e 0 --subsystem windows \
		-o "$tmp/bcryptprimitives.dll" "$tmp/empty.o" "$here/bcryptprimitives.def"
	cp "$tmp/bcryptprimitives.dll" "$dll"
fi
echo "setup.sh: Wine prefix ready at $WINEPREFIX ($("$WINE64" --version))"
