# Sourced by setup.sh and test.sh: where the Wine prefix lives, and how
# quiet Wine is. Override WINEPREFIX to use another one.
: "${WINEPREFIX:=${XDG_CACHE_HOME:-$HOME/.cache}/tether/wine}"
: "${WINEDEBUG:=-all}"
export WINEPREFIX WINEDEBUG
WINE64=/usr/lib/wine/wine64
WINESERVER=/usr/lib/wine/wineserver
