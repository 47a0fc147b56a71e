"""Run tether as the one sidecar of an asyncio program.

    python3 host.py [TETHER [COMMAND ARG...]]

starts TETHER (default: tether, from PATH) on COMMAND (default: Python's
own HTTP server on the port tether picks), reads tether's NDJSON events,
asks the server for a page once it is ready, then quits by closing tether's
stdin: tether stops the server's whole tree and exits 0.
"""

import asyncio
import json
import sys
import urllib.request

# tether's events can be long: a 1 MiB line of output becomes an event of up
# to about 6 MiB (each control character is escaped as \u00XX). asyncio's
# default limit is 64 KiB: a longer line would raise LimitOverrunError.
EVENT_LIMIT = 16 * 1024 * 1024


def fetch(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as resp:
        return resp.status


async def main(tether="tether", command=None):
    command = command or ["python3", "-m", "http.server", "{port}", "--bind", "127.0.0.1"]
    proc = await asyncio.create_subprocess_exec(
        tether, "run", "--name", "api", "--lifeline", "stdin", "--output", "json",
        "--port", "auto", "--ready", "http://127.0.0.1:{port}/", "--", *command,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        limit=EVENT_LIMIT,
    )
    port = None
    # Read every event to the end of the pipe, then wait for tether to exit.
    async for raw in proc.stdout:
        ev = json.loads(raw)
        kind, name = ev["event"], ev["name"]
        if kind == "spawned":
            port = ev.get("port")
            print(f"{name}: spawned pid {ev['pid']} on port {port}", flush=True)
        elif kind == "ready":
            status = await asyncio.to_thread(fetch, port)
            print(f"{name}: ready; GET / answered {status}", flush=True)
            proc.stdin.close()  # quit: cut the lifeline
        elif kind in ("stdout", "stderr"):
            text = ev.get("line", "(bytes that are not UTF-8)")
            print(f"{name} {kind}: {text[:60]!r} ({len(text)} characters)", flush=True)
        elif kind == "exited" and not ev["expected"]:
            print(f"{name}: crashed (code {ev['code']}, signal {ev['signal']})", flush=True)
        elif kind in ("error", "gave_up"):
            print(f"{name}: {kind}: {ev['error']}", flush=True)
        elif kind == "stopped":
            print(f"{name}: supervision ended, status {ev['code']}", flush=True)
        # anything else (state changes, kinds added later): ignore it
    code = await proc.wait()
    print(f"tether exited with status {code}", flush=True)
    return code


if __name__ == "__main__":
    sys.exit(asyncio.run(main(*sys.argv[1:2], sys.argv[2:] or None)))
