"""A sidecar shaped like a FastAPI app, on plain asyncio: routes, startup
and shutdown hooks (FastAPI's lifespan), served with tether_sidecar.aio.

GET /health answers "ok"; GET /block blocks the event loop for 5 s (a
synchronous call in an async handler, the classic bug) so that tether's
watchdog restarts the sidecar. On a stop the server stops accepting,
finishes the requests in flight, runs the shutdown hooks and exits 0."""

import asyncio
import os
import sys
import time

from tether_sidecar import aio


class App:
    """The parts of a FastAPI app this needs: routes and lifespan hooks."""

    def __init__(self):
        self.routes = {}
        self.startup, self.shutdown = [], []

    def get(self, path):
        def register(fn):
            self.routes[path] = fn
            return fn
        return register

    def on_event(self, kind):
        def register(fn):
            (self.startup if kind == "startup" else self.shutdown).append(fn)
            return fn
        return register


app = App()


@app.on_event("startup")
async def load_model():
    print("startup: model loaded", flush=True)


@app.on_event("shutdown")
async def save_state():
    await asyncio.sleep(0.2)  # flushing something
    print("shutdown: state saved", flush=True)


@app.get("/health")
async def health():
    return "ok"


@app.get("/block")
async def block():
    time.sleep(5)  # blocks the loop: no watchdog ping goes out
    return "unblocked"


async def handle(reader, writer):
    try:
        request = await reader.readline()
        while (await reader.readline()) not in (b"\r\n", b"\n", b""):
            pass
        parts = request.split()
        route = app.routes.get(parts[1].decode() if len(parts) > 1 else "")
        status, body = ("200 OK", await route()) if route else ("404 Not Found", "not found")
        data = body.encode()
        writer.write(f"HTTP/1.1 {status}\r\nContent-Length: {len(data)}\r\nConnection: close\r\n\r\n".encode() + data)
        await writer.drain()
    finally:
        writer.close()


async def serve():
    for hook in app.startup:
        await hook()
    server = await asyncio.start_server(handle, "127.0.0.1", aio.port() or 8000)
    port = server.sockets[0].getsockname()[1]
    print(f"pid={os.getpid()} port={port}", flush=True)
    aio.ready()
    aio.watchdog()
    reason = await aio.wait_stop()
    print(f"stopping: {reason}", flush=True)
    server.close()
    await server.wait_closed()
    for hook in app.shutdown:
        await hook()
    print(f"graceful stop: {reason}", flush=True)


if __name__ == "__main__":
    asyncio.run(serve())
    sys.exit(0)
