"""Runs the real tether binary for the tests: built from this repository
once per test run (or TETHER_BIN), events read on a thread."""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGE_DIR = os.path.dirname(HERE)
REPO = os.path.dirname(os.path.dirname(PACKAGE_DIR))
_built = {}


def tether_bin():
    """The tether executable: TETHER_BIN, or built with go into a temp dir.
    No Go and no TETHER_BIN is an error, never a skip."""
    if os.environ.get("TETHER_BIN"):
        return os.environ["TETHER_BIN"]
    if "path" not in _built:
        out = tempfile.mkdtemp(prefix="tether-py-test-")
        path = os.path.join(out, "tether")
        subprocess.run(["go", "build", "-o", path, "./cmd/tether"], cwd=REPO, check=True)
        _built["path"] = path
    return _built["path"]


def tagged(tag):
    """Live processes (not zombies) whose environment holds the tag."""
    want = f"SDK_TEST_TAG={tag}\0".encode()
    pids = []
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == os.getpid():
            continue
        try:
            with open(f"/proc/{name}/environ", "rb") as f:
                if want not in f.read():
                    continue
            with open(f"/proc/{name}/stat", "rb") as f:
                state = f.read().rsplit(b")", 1)[1].split()[0]
        except OSError:
            continue
        if state not in (b"Z", b"X"):
            pids.append(int(name))
    return pids


def no_leftovers(test, tag, within=5.0):
    deadline = time.monotonic() + within
    while tagged(tag):
        if time.monotonic() > deadline:
            pids = tagged(tag)
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            test.fail(f"processes left behind: {pids}")
        time.sleep(0.05)


def sidecar_env(tag, record_dir):
    env = dict(os.environ, SDK_TEST_TAG=tag, SIDECAR_TEST_DIR=record_dir, PYTHONUNBUFFERED="1")
    env["PYTHONPATH"] = PACKAGE_DIR + os.pathsep + env.get("PYTHONPATH", "")
    return env


class Tether:
    """`tether run ARGS -- python3 SCRIPT`, with its events collected."""

    def __init__(self, test, script, *args):
        self.test = test
        self.tag = f"{test.id()}-{os.getpid()}-{time.monotonic_ns()}"
        self.dir = tempfile.mkdtemp(prefix="tether-py-sidecar-")
        cmd = [tether_bin(), "run", "--output", "json", "--grace", "5s", *args,
               "--", sys.executable, os.path.join(HERE, script)]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     env=sidecar_env(self.tag, self.dir))
        self.events, self.taken = [], set()
        self.cond = threading.Condition()
        self.closed = False
        threading.Thread(target=self._read, daemon=True).start()
        test.addCleanup(self._cleanup)

    def _read(self):
        for raw in self.proc.stdout:
            try:
                ev = json.loads(raw)
            except ValueError:
                continue
            with self.cond:
                self.events.append(ev)
                self.cond.notify_all()
        self.proc.wait()
        with self.cond:
            self.closed = True
            self.cond.notify_all()

    def _cleanup(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.proc.stdin.close()
        self.proc.stdout.close()
        no_leftovers(self.test, self.tag)
        shutil.rmtree(self.dir, ignore_errors=True)

    def kinds(self):
        return " ".join(e["event"] + (f"({e['line']!r})" if "line" in e else "") + (f"({e['error']!r})" if "error" in e else "") for e in self.events)

    def await_event(self, what, match, timeout=20.0):
        """The first event not returned before that matches (in tether's order)."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for i, ev in enumerate(self.events):
                    if i not in self.taken and match(ev):
                        self.taken.add(i)
                        return ev
                if self.closed:
                    self.test.fail(f"tether exited ({self.proc.returncode}) before {what}; events: {self.kinds()}")
                left = deadline - time.monotonic()
                if left <= 0:
                    self.test.fail(f"no {what} within {timeout}s; events: {self.kinds()}")
                self.cond.wait(left)

    def line(self, text, timeout=20.0):
        return self.await_event(f"a line with {text!r}", lambda e: e["event"] == "stdout" and text in e.get("line", ""), timeout)

    def kind(self, kind, attempt=None, timeout=20.0):
        return self.await_event(kind, lambda e: e["event"] == kind and (attempt is None or e.get("attempt") == attempt), timeout)

    def send(self, cmd):
        self.proc.stdin.write((json.dumps(cmd) + "\n").encode())
        self.proc.stdin.flush()

    def wait(self, timeout=15.0):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.test.fail(f"tether did not exit within {timeout}s; events: {self.kinds()}")
