"""The SDK on its own: the environment, notify, the stop hook's parsing,
and no-ops when not run by tether."""

import asyncio
import io
import os
import socket
import sys
import tempfile
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import tether_sidecar
from tether_sidecar import Env, Stopper, aio, from_env


class EnvTest(unittest.TestCase):
    def test_parse(self):
        env = from_env({"TETHER_PORT": "8080", "TETHER_PID": "42", "TETHER_STOP_REQUEST": "stdin:quit",
                        "NOTIFY_SOCKET": "/run/x", "WATCHDOG_USEC": "2000000"})
        self.assertEqual(env, Env(8080, 42, "stdin:quit", "/run/x", 2.0))
        self.assertEqual(from_env({}), Env())
        self.assertEqual(from_env({"TETHER_STOP_REQUEST": "exec:quit"}).stop_request, "exec:quit")

    def test_bad_values_name_the_variable(self):
        for name, value in [("TETHER_PORT", "70000"), ("TETHER_PID", "x"), ("WATCHDOG_USEC", "-1"),
                            ("TETHER_PORT", "+80")]:
            with self.assertRaisesRegex(ValueError, name):
                from_env({name: value})

    def test_not_under_tether(self):
        env = Env()
        env.ready()
        env.ping()
        self.assertIsNone(tether_sidecar.watchdog(env=env))

        async def main():
            return aio.watchdog(env=env)
        self.assertIsNone(asyncio.run(main()))


@unittest.skipIf(sys.platform == "win32", "unix datagram sockets")
class NotifyTest(unittest.TestCase):
    def test_datagrams(self):
        with tempfile.TemporaryDirectory() as d, socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            path = os.path.join(d, "notify.sock")
            sock.bind(path)
            sock.settimeout(10)
            env = Env(notify_socket=path)
            env.ready()
            env.notify("STATUS=loading\nWATCHDOG=1")
            self.assertEqual(sock.recv(8192), b"READY=1")
            self.assertEqual(sock.recv(8192), b"STATUS=loading\nWATCHDOG=1")
            with self.assertRaisesRegex(ValueError, "at most 4096"):
                env.notify("x" * 5000)
            with self.assertRaises(OSError):
                Env(notify_socket=os.path.join(d, "none.sock")).ready()

    def test_async_watchdog_stops_when_the_loop_blocks(self):
        with tempfile.TemporaryDirectory() as d, socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            path = os.path.join(d, "notify.sock")
            sock.bind(path)
            env = Env(notify_socket=path, watchdog_interval=0.2)

            async def main():
                task = aio.watchdog(env=env)
                await asyncio.sleep(0.5)
                sock.setblocking(False)
                pings = 0
                while True:
                    try:
                        sock.recv(100)
                        pings += 1
                    except BlockingIOError:
                        break
                import time
                time.sleep(0.6)  # the loop is blocked: no pings
                try:
                    sock.recv(100)
                    blocked_ping = True
                except BlockingIOError:
                    blocked_ping = False
                task.cancel()
                return pings, blocked_ping
            pings, blocked_ping = asyncio.run(main())
            self.assertGreaterEqual(pings, 3)
            self.assertFalse(blocked_ping)


class StdinWatchTest(unittest.TestCase):
    def run_watch(self, request, data):
        stopper = Stopper(Env(stop_request=request))
        real = sys.stdin
        sys.stdin = io.TextIOWrapper(io.BytesIO(data))
        try:
            stopper._watch_stdin()
        finally:
            sys.stdin = real
        return stopper.reason

    def test_requests(self):
        self.assertEqual(self.run_watch("stdin-close", b"quit\n"), "stdin closed")
        self.assertEqual(self.run_watch("stdin:quit", b"hello\nquit\r\nmore"), 'stdin line "quit"')
        self.assertEqual(self.run_watch("stdin:quit", b"quitting\n" + b"q" * 100000 + b"quit\n"), "stdin closed")
        self.assertEqual(self.run_watch("stdin:quit", b"hello\n"), "stdin closed")

    def test_fires_once_and_late_callbacks_run(self):
        stopper = Stopper(Env())
        seen = []
        stopper.add_callback(seen.append)
        stopper.fire("first")
        stopper.fire("second")
        stopper.add_callback(seen.append)
        self.assertEqual(seen, ["first", "first"])
        self.assertTrue(stopper.wait(0))


if __name__ == "__main__":
    unittest.main()
