"""The watchdog ping for synchronous programs."""

import threading
import time
from typing import Callable, Optional

from ._env import Env, from_env


def watchdog(alive: Optional[Callable[[], bool]] = None, env: Optional[Env] = None) -> Optional[threading.Thread]:
    """Feed tether's watchdog (WATCHDOG=1) every half WATCHDOG_USEC from a
    daemon thread, for as long as the process runs; None (and nothing
    started) when tether runs no watchdog.

    A thread proves only that the process runs. Pass ``alive`` to prove more:
    it is called before each ping and the ping is skipped when it returns
    false (a wedged worker, a stale heartbeat). In an asyncio program use
    :func:`tether_sidecar.aio.watchdog`, which pings from the event loop
    itself, so a blocked loop stops the pings.
    """
    env = env if env is not None else from_env()
    if env.watchdog_interval <= 0:
        return None
    period = env.watchdog_interval / 2

    def run():
        while True:
            try:
                if alive is None or alive():
                    env.ping()
            except OSError:
                pass  # a lost ping is what the watchdog is there to notice
            time.sleep(period)

    thread = threading.Thread(target=run, name="tether-watchdog", daemon=True)
    thread.start()
    return thread
