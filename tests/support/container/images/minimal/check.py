"""Container health check: exit 0 when https://127.0.0.1:$PORT/health answers 200."""

import http.client
import os
import ssl
import sys

context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
context.check_hostname = False
context.verify_mode = ssl.CERT_NONE
connection = http.client.HTTPSConnection("127.0.0.1", int(os.environ["PORT"]), timeout=3, context=context)
try:
    connection.request("GET", "/health")
    sys.exit(0 if connection.getresponse().status == 200 else 1)
except OSError:
    sys.exit(1)
