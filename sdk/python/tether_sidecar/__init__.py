"""The sidecar's side of tether: report ready, learn the port, stop
gracefully on every kind of stop, feed the watchdog.

tether tells a sidecar what it needs in the environment (TETHER_PORT,
TETHER_PID, TETHER_STOP_REQUEST, NOTIFY_SOCKET, WATCHDOG_USEC). A program not
run by tether sees none of them, and every function here is then a no-op or
returns the natural default: ``ready()`` does nothing, ``port()`` is None,
the stop hook still fires on Ctrl-C and SIGTERM, the watchdog does nothing.

Synchronous programs::

    import tether_sidecar
    stop = tether_sidecar.stop_event()     # a threading.Event, set once
    tether_sidecar.ready()
    tether_sidecar.watchdog()              # a daemon thread pinging
    stop.wait()

asyncio programs use :mod:`tether_sidecar.aio`.
"""

from ._env import Env, from_env, port, ready, notify, ping
from ._stop import Stopper, stopper, stop_event, on_stop, stop_reason
from ._watchdog import watchdog

__all__ = [
    "Env", "from_env", "port", "ready", "notify", "ping",
    "Stopper", "stopper", "stop_event", "on_stop", "stop_reason", "watchdog",
]
__version__ = "0.1.0"
