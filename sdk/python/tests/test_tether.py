"""tether_sidecar under the real tether binary: ready reported over notify,
the stop hook on each kind of stop, the watchdog restarting a blocked event
loop, and the sidecar gone when tether dies."""

import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.request

from harness import HERE, Tether, no_leftovers, sidecar_env

STOPS = [
    # name, extra tether args, how to stop, the reason the hook reports
    ("stop command (TERM)", [], lambda t: t.send({"cmd": "stop"}), "signal TERM"),
    ("SIGTERM to tether", [], lambda t: t.proc.send_signal(signal.SIGTERM), "signal TERM"),
    ("stop signal INT", ["--stop-signal", "INT"], lambda t: t.send({"cmd": "stop"}), "signal INT"),
    ("stop request stdin-close", ["--stop-request", "stdin-close"], lambda t: t.send({"cmd": "stop"}), "stdin closed"),
    ("stop request stdin:quit", ["--stop-request", "stdin:quit"], lambda t: t.send({"cmd": "stop"}), 'stdin line "quit"'),
]


class StopKinds(unittest.TestCase):
    def check(self, script, args, stop, reason):
        t = Tether(self, script, "--ready", "notify", "--port", "auto", "--lifeline", "stdin", *args)
        spawned = t.kind("spawned")
        hello = t.line("port=")
        self.assertIn(f"port={spawned['port']}", hello["line"])
        t.kind("ready")
        with urllib.request.urlopen(f"http://127.0.0.1:{spawned['port']}/health", timeout=10) as r:
            self.assertEqual(r.read().strip(), b"ok")
        stop(t)
        t.line(f"graceful stop: {reason}", timeout=15)
        exited = t.kind("exited", timeout=15)
        self.assertEqual((exited.get("code"), exited.get("expected")), (0, True), exited)
        self.assertEqual(t.wait(), 0)
        return t

    def test_sync(self):
        for name, args, stop, reason in STOPS:
            with self.subTest(name):
                self.check("sync_sidecar.py", args, stop, reason)

    def test_asyncio_fastapi_shaped(self):
        for name, args, stop, reason in STOPS:
            with self.subTest(name):
                t = self.check("fastapi_like.py", args, stop, reason)
                lines = [e["line"] for e in t.events if e["event"] == "stdout"]
                self.assertIn("startup: model loaded", lines)
                # The shutdown hooks ran before the process ended.
                self.assertLess(lines.index("shutdown: state saved"), lines.index(f"graceful stop: {reason}"))


class Watchdog(unittest.TestCase):
    def test_blocked_event_loop_restarts(self):
        t = Tether(self, "fastapi_like.py", "--ready", "notify", "--watchdog", "2s", "--port", "auto",
                   "--backoff-initial", "100ms")
        first = t.kind("spawned", attempt=1)
        t.kind("ready", attempt=1)
        started = time.monotonic()
        # The request blocks the loop for 5 s; the pings stop.
        def block():
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{first['port']}/block", timeout=10).read()
            except OSError:
                pass
        blocker = threading.Thread(target=block, daemon=True)
        blocker.start()
        t.await_event("unhealthy (watchdog)", lambda e: e["event"] == "unhealthy" and e.get("attempt") == 1 and "watchdog" in e.get("error", ""))
        self.assertLess(time.monotonic() - started, 4.5, "the watchdog acted later than 2 periods")
        t.kind("exited", attempt=1)
        t.kind("ready", attempt=2)
        blocker.join()
        time.sleep(5)  # attempt 2 keeps pinging: no restart
        t.send({"cmd": "stop"})
        t.line("graceful stop: signal TERM", timeout=15)
        self.assertEqual(t.wait(), 0)
        self.assertFalse([e for e in t.events if e.get("attempt", 0) > 2], t.kinds())


class TetherDeath(unittest.TestCase):
    def test_sigkilled_tether_leaves_nothing(self):
        t = Tether(self, "sync_sidecar.py", "--ready", "notify")
        pid = int(t.line("pid=")["line"].split()[0][4:])
        t.kind("ready")
        t.proc.kill()
        t.proc.wait()
        deadline = time.monotonic() + 10
        while os.path.exists(f"/proc/{pid}") and open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0] != "Z":
            self.assertLess(time.monotonic(), deadline, "the sidecar outlived a SIGKILLed tether by 10s")
            time.sleep(0.05)

    def test_hook_fires_when_tether_dies(self):
        # A stand-in for tether starts the sidecar and exits: no watcher kills
        # the sidecar, only the SDK's watch on TETHER_PID stops it.
        for indirect in ("", "1"):
            with self.subTest(indirect=indirect), tempfile.TemporaryDirectory() as d:
                tag = f"{self.id()}-{indirect}-{os.getpid()}"
                # A port of its own, as tether would give: the sidecar's own
                # default (8000) may be taken by a suite running alongside.
                env = dict(sidecar_env(tag, d), SIDECAR_TEST_INDIRECT=indirect, TETHER_PORT=str(free_port()))
                subprocess.run([sys.executable, os.path.join(HERE, "middle.py"), sys.executable,
                                os.path.join(HERE, "sync_sidecar.py")], env=env, check=True,
                               stdout=subprocess.DEVNULL, timeout=30)
                deadline = time.monotonic() + 10
                while True:
                    files = [f for f in os.listdir(d) if f.startswith("stopped-")]
                    if files and open(os.path.join(d, files[0])).read():
                        self.assertEqual(open(os.path.join(d, files[0])).read(), "tether is gone")
                        break
                    self.assertLess(time.monotonic(), deadline, "no stop within 10s of tether's death")
                    time.sleep(0.05)
                no_leftovers(self, tag)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


if __name__ == "__main__":
    unittest.main()
