"""A tiny HTTP server: answers every GET with its machine name and a request counter."""

import http.server
import os
import sys

port = int(sys.argv[1]) if len(sys.argv) > 1 else 8000
name = os.environ.get("MACHINE_NAME", "server")
count = 0


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        global count
        count += 1
        body = f"hello from {name}, request {count}\n".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


print(f"{name} listening on port {port}", flush=True)
http.server.ThreadingHTTPServer(("0.0.0.0", port), Handler).serve_forever()
