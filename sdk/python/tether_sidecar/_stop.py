"""The stop hook: fires once on a signal, a stop request on stdin, or
tether's death."""

import os
import signal
import sys
import threading
import time
from typing import Callable, List, Optional

from ._env import Env, from_env

_POLL = 0.2  # seconds between checks of the parent
_MAX_LINE = 64 * 1024  # longer stdin lines never match a stop text


def _stop_signals():
    sigs = [signal.SIGTERM, signal.SIGINT]
    if hasattr(signal, "SIGBREAK"):  # Windows: CTRL_BREAK_EVENT
        sigs.append(signal.SIGBREAK)
    return sigs


_NAMES = {signal.SIGTERM: "TERM", signal.SIGINT: "INT"}
if hasattr(signal, "SIGBREAK"):
    _NAMES[signal.SIGBREAK] = "BREAK"


class Stopper:
    """Watches for every way tether asks a sidecar to stop and fires once.

    After :meth:`install`, :attr:`event` is set and the callbacks run once,
    on the first of: SIGTERM, SIGINT, SIGBREAK (Windows' CTRL_BREAK); with
    TETHER_STOP_REQUEST ``stdin-close`` the end of stdin; with ``stdin:TEXT``
    a stdin line that is TEXT (a trailing ``\\r`` ignored) or the end of
    stdin; tether's death (TETHER_PID). :attr:`reason` says which.

    With a stdin stop request the Stopper reads stdin itself: the program
    must not. After the stop has fired, a second SIGINT raises
    KeyboardInterrupt as usual and a second SIGTERM kills.
    """

    def __init__(self, env: Optional[Env] = None):
        self.env = env if env is not None else from_env()
        self.event = threading.Event()
        self._lock = threading.Lock()
        self._reason: Optional[str] = None
        self._callbacks: List[Callable[[str], None]] = []
        self._installed = False

    @property
    def reason(self) -> Optional[str]:
        """Why the stop fired (``"signal TERM"``, ``"stdin closed"``,
        ``'stdin line "quit"'``, ``"tether is gone"``), or None."""
        return self._reason

    def install(self) -> "Stopper":
        """Install the signal handlers (call from the main thread) and start
        the stdin and parent watches, as daemon threads. Idempotent."""
        with self._lock:
            if self._installed:
                return self
            self._installed = True
        for sig in _stop_signals():
            signal.signal(sig, self._on_signal)
        if self.env.stop_request == "stdin-close" or self.env.stop_request.startswith("stdin:"):
            threading.Thread(target=self._watch_stdin, name="tether-stdin", daemon=True).start()
        if self.env.tether_pid:
            threading.Thread(target=self._watch_tether, name="tether-parent", daemon=True).start()
        return self

    def add_callback(self, fn: Callable[[str], None]) -> None:
        """Call fn(reason) when the stop fires (at once if it has). It runs in
        the thread that noticed the stop (for a signal, the main thread, inside
        the signal handler): keep it short, e.g. set a flag or wake a loop."""
        with self._lock:
            if self._reason is None:
                self._callbacks.append(fn)
                return
        fn(self._reason)

    def fire(self, reason: str) -> None:
        """Fire the stop (the first call only), as a stop request would."""
        with self._lock:
            if self._reason is not None:
                return
            self._reason = reason
            callbacks, self._callbacks = self._callbacks, []
        self.event.set()
        for fn in callbacks:
            fn(reason)

    def wait(self, timeout: Optional[float] = None) -> bool:
        """Wait for the stop; True once it fired. Waits in short slices so that
        signal handlers run promptly on every OS."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self.event.is_set():
            left = _POLL if deadline is None else min(_POLL, deadline - time.monotonic())
            if left <= 0:
                break
            self.event.wait(left)
        return self.event.is_set()

    def _on_signal(self, signum, frame):
        if self._reason is not None:
            # A second signal: what it would have done without us.
            if signum == signal.SIGINT:
                raise KeyboardInterrupt
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        self.fire("signal " + _NAMES.get(signum, str(signum)))

    def _watch_stdin(self):
        request = self.env.stop_request
        stdin = sys.stdin.buffer if sys.stdin is not None else None
        if stdin is None:
            self.fire("stdin closed")
            return
        if not request.startswith("stdin:"):
            while stdin.read(65536):
                pass
            self.fire("stdin closed")
            return
        text = request[len("stdin:"):].encode()
        line, too_long = b"", False
        while True:
            chunk = stdin.readline(_MAX_LINE + 2)
            if not chunk:
                self.fire("stdin closed")
                return
            if len(line) + len(chunk) > _MAX_LINE + 2:
                line, too_long = b"", True
            else:
                line += chunk
            if not chunk.endswith(b"\n"):
                continue
            candidate = line[:-1]
            if candidate.endswith(b"\r"):
                candidate = candidate[:-1]
            if not too_long and candidate == text:
                self.fire(f'stdin line "{text.decode(errors="replace")}"')
                return
            line, too_long = b"", False

    def _watch_tether(self):
        pid = self.env.tether_pid
        if sys.platform == "win32":
            _wait_process_windows(pid)
            self.fire("tether is gone")
            return
        direct = os.getppid() == pid
        while not self.event.is_set():
            if direct and os.getppid() != pid or not direct and not _alive(pid):
                self.fire("tether is gone")
                return
            time.sleep(_POLL)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _wait_process_windows(pid: int) -> None:
    """Block until process pid exits (at once if it cannot be opened)."""
    import ctypes
    from ctypes import wintypes

    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
    kernel32.OpenProcess.restype = wintypes.HANDLE
    kernel32.OpenProcess.argtypes = [wintypes.DWORD, wintypes.BOOL, wintypes.DWORD]
    kernel32.WaitForSingleObject.restype = wintypes.DWORD
    kernel32.WaitForSingleObject.argtypes = [wintypes.HANDLE, wintypes.DWORD]
    kernel32.CloseHandle.argtypes = [wintypes.HANDLE]
    synchronize, infinite = 0x00100000, 0xFFFFFFFF
    handle = kernel32.OpenProcess(synchronize, False, pid)
    if not handle:
        return
    try:
        kernel32.WaitForSingleObject(handle, infinite)
    finally:
        kernel32.CloseHandle(handle)


_process_stopper: Optional[Stopper] = None
_process_lock = threading.Lock()


def stopper() -> Stopper:
    """The process's installed :class:`Stopper` (signals are process-wide, so
    there is one), created on first use from the environment."""
    global _process_stopper
    with _process_lock:
        if _process_stopper is None:
            _process_stopper = Stopper().install()
        return _process_stopper


def stop_event() -> threading.Event:
    """A threading.Event set once when the sidecar should stop."""
    return stopper().event


def on_stop(fn: Callable[[str], None]) -> None:
    """Call fn(reason) once when the sidecar should stop."""
    stopper().add_callback(fn)


def stop_reason() -> Optional[str]:
    """Why the stop fired, or None."""
    return stopper().reason
