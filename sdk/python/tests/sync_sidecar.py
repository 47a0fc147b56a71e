"""A synchronous sidecar written with tether_sidecar: a threaded HTTP server
that reports ready, feeds the watchdog while its request loop answers, and
shuts down gracefully on any stop. Run by hand it serves on port 8000."""

import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import tether_sidecar


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"ok\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def main():
    stop = tether_sidecar.stop_event()
    server = ThreadingHTTPServer(("127.0.0.1", tether_sidecar.port() or 8000), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"pid={os.getpid()} port={server.server_address[1]}", flush=True)
    tether_sidecar.ready()
    tether_sidecar.watchdog()
    stop.wait()
    server.shutdown()  # in-flight requests finish
    reason = tether_sidecar.stop_reason()
    record = os.environ.get("SIDECAR_TEST_DIR")
    if record:
        with open(os.path.join(record, f"stopped-{os.getpid()}"), "w") as f:
            f.write(reason)
    try:
        print(f"graceful stop: {reason}", flush=True)
    except BrokenPipeError:
        pass  # tether is gone
    return 0


if __name__ == "__main__":
    sys.exit(main())
