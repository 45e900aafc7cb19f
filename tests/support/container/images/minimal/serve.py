"""HTTPS on $PORT: /health answers 200 until SIGTERM, then the server drains and the process exits 0."""

import http.server
import os
import signal
import ssl
import threading


class Health(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        status = 200 if self.path == "/health" else 404
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()


server = http.server.ThreadingHTTPServer(("0.0.0.0", int(os.environ["PORT"])), Health)
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain("/srv/tls/server.crt", "/srv/tls/server.key")
server.socket = context.wrap_socket(server.socket, server_side=True)
# The scratch mount is the only writable path.
with open(os.path.join(os.environ.get("SCRATCH_DIR", "/tmp"), "started"), "w") as marker:
    marker.write(str(os.getpid()))
signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
server.serve_forever()
server.server_close()
