"""tether for asyncio programs.

::

    from tether_sidecar import aio

    async def main():
        server = await asyncio.start_server(handle, "127.0.0.1", aio.port() or 8000)
        aio.ready()
        aio.watchdog()             # pings from this event loop: a blocked loop stops them
        reason = await aio.wait_stop()
        server.close()
        await server.wait_closed()
"""

import asyncio
from typing import Optional

from ._env import Env, from_env, notify, ping, port, ready
from ._stop import stopper

__all__ = ["port", "ready", "notify", "ping", "stop_event", "wait_stop", "watchdog"]


def stop_event() -> asyncio.Event:
    """An asyncio.Event of the running loop, set once when the sidecar should
    stop (see :class:`tether_sidecar.Stopper` for what counts). Call it from
    the event loop's thread, which must be the main thread (for signals)."""
    loop = asyncio.get_running_loop()
    event = asyncio.Event()

    def wake(_reason: str) -> None:
        try:
            loop.call_soon_threadsafe(event.set)
        except RuntimeError:
            pass  # the loop is closed: nobody is waiting any more

    stopper().add_callback(wake)
    return event


async def wait_stop() -> str:
    """Wait until the sidecar should stop; returns why."""
    await stop_event().wait()
    return stopper().reason or ""


async def _pinger(env: Env, period: float) -> None:
    while True:
        try:
            env.ping()
        except OSError:
            pass  # a lost ping is what the watchdog is there to notice
        await asyncio.sleep(period)


def watchdog(env: Optional[Env] = None) -> Optional["asyncio.Task[None]"]:
    """Feed tether's watchdog every half WATCHDOG_USEC from a task on the
    running loop: while the loop is blocked (a synchronous call in a
    handler), no ping goes out and tether restarts the sidecar after one
    period. Returns the task (cancel it to stop), or None when tether runs no
    watchdog."""
    env = env if env is not None else from_env()
    if env.watchdog_interval <= 0:
        return None
    return asyncio.get_running_loop().create_task(_pinger(env, env.watchdog_interval / 2))
