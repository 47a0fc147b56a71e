# The example's sidecar: a small HTTP server on the port tether picked,
# with a worker child, as a real Python backend often has. tether runs it
# as: python3 -u sidecar.py PORT (the app embeds this file and passes it
# with -c).
import http.server
import os
import subprocess
import sys

listen_port = int(sys.argv[1])

# A worker process, to show that tether stops (and, when the app is killed,
# kills) the sidecar's whole tree, not only the process it started.
worker = subprocess.Popen([sys.executable, "-c", "import time\nwhile True: time.sleep(60)"])
print(f"started worker pid {worker.pid}")


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/crash":
            self.answer("crashing\n")
            print("asked to crash: exiting with status 3", file=sys.stderr)
            os._exit(3)  # a crash: no cleanup, the worker is left to tether
        self.answer("ok\n" if self.path == "/health" else "hello from the Python sidecar\n")

    def answer(self, text):
        body = text.encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        if self.path != "/health":  # the readiness probe would fill the log
            print(f"{self.command} {self.path} -> {args[1] if len(args) > 1 else ''}")


server = http.server.HTTPServer(("127.0.0.1", listen_port), Handler)
print(f"listening on http://127.0.0.1:{listen_port}/")
server.serve_forever()
