"""Container health check: exit 0 when https://127.0.0.1:PORT/health answers 200 within 3 seconds."""

from __future__ import annotations

import http.client
import os
import ssl
import sys


def main() -> int:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    # The certificate is self-signed and made at start; this checks liveness, not identity.
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    connection = http.client.HTTPSConnection(
        "127.0.0.1", int(os.environ.get("PORT", "8443")), timeout=3, context=context
    )
    try:
        connection.request("GET", "/health")
        return 0 if connection.getresponse().status == 200 else 1
    except OSError:
        return 1
    finally:
        connection.close()


if __name__ == "__main__":
    sys.exit(main())
