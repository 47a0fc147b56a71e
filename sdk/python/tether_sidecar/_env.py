"""Reading tether's environment, and the notify protocol."""

import os
import socket
import sys
import time
from dataclasses import dataclass
from typing import Mapping, Optional

MAX_MESSAGE = 4096  # tether, like systemd, ignores longer notify messages
_PIPE_BUSY_WAIT = 2.0  # seconds to wait for a free instance of the notify pipe


@dataclass(frozen=True)
class Env:
    """What tether tells a sidecar. ``Env()`` is a sidecar not run by tether."""

    port: Optional[int] = None
    """This attempt's port (TETHER_PORT), None when tether chose none."""
    tether_pid: Optional[int] = None
    """The supervising tether process (TETHER_PID)."""
    stop_request: str = ""
    """The stop request (TETHER_STOP_REQUEST). ``stdin-close`` and
    ``stdin:TEXT`` are watched by the stop hook; other actions (an HTTP
    request, a command) reach the sidecar by its own means."""
    notify_socket: str = ""
    """Where notify messages go (NOTIFY_SOCKET): a unix datagram socket's path,
    or on Windows a named pipe's path."""
    watchdog_interval: float = 0.0
    """tether's watchdog period in seconds (WATCHDOG_USEC), 0 when none."""

    def notify(self, message: str) -> None:
        """Send one sd_notify-style message (newline-separated KEY=VALUE
        lines). Does nothing without NOTIFY_SOCKET. Raises OSError when the
        message cannot be delivered, ValueError when it is too long."""
        if not self.notify_socket:
            return
        data = message.encode()
        if len(data) > MAX_MESSAGE:
            raise ValueError(f"notify message of {len(data)} bytes; at most {MAX_MESSAGE} are allowed")
        if sys.platform == "win32":
            _send_pipe(self.notify_socket, data)
        else:
            _send_datagram(self.notify_socket, data)

    def ready(self) -> None:
        """Tell tether the sidecar is ready (READY=1), for --ready notify."""
        self.notify("READY=1")

    def ping(self) -> None:
        """Feed tether's watchdog once (WATCHDOG=1)."""
        self.notify("WATCHDOG=1")


def _number(environ: Mapping[str, str], name: str, maximum: int) -> Optional[int]:
    text = environ.get(name, "")
    if text == "":
        return None
    try:
        value = int(text, 10)
    except ValueError:
        value = 0
    if not 1 <= value <= maximum or not text.isdigit():
        raise ValueError(f"{name}={text!r} is not a whole number from 1 to {maximum}")
    return value


def from_env(environ: Optional[Mapping[str, str]] = None) -> Env:
    """Read :class:`Env` from ``environ`` (default ``os.environ``). A value
    tether never sets raises ValueError naming the variable."""
    environ = os.environ if environ is None else environ
    request = environ.get("TETHER_STOP_REQUEST", "")
    usec = _number(environ, "WATCHDOG_USEC", 2**62)
    return Env(
        port=_number(environ, "TETHER_PORT", 65535),
        tether_pid=_number(environ, "TETHER_PID", 2**31 - 1),
        stop_request=request,
        notify_socket=environ.get("NOTIFY_SOCKET", ""),
        watchdog_interval=(usec or 0) / 1e6,
    )


def _send_datagram(path: str, data: bytes) -> None:
    if path.startswith("@"):
        path = "\0" + path[1:]  # an abstract socket, as with systemd
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.sendto(data, path)


def _send_pipe(path: str, data: bytes) -> None:
    deadline = time.monotonic() + _PIPE_BUSY_WAIT
    while True:
        try:
            with open(path, "wb", buffering=0) as pipe:
                pipe.write(data)
            return
        except OSError as err:
            # ERROR_PIPE_BUSY: tether accepts one connection after another.
            if getattr(err, "winerror", None) != 231 or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def port() -> Optional[int]:
    """The port tether chose for this attempt (TETHER_PORT), or None."""
    return from_env().port


def notify(message: str) -> None:
    """Send a notify message; see :meth:`Env.notify`."""
    from_env().notify(message)


def ready() -> None:
    """Tell tether the sidecar is ready; a no-op when not run by tether."""
    from_env().ready()


def ping() -> None:
    """Feed tether's watchdog once; a no-op when not run by tether."""
    from_env().ping()
