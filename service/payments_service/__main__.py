"""Run the service: `python -m payments_service`. Configuration comes from the task definition's environment."""

from __future__ import annotations

import os
import signal
import sys
import threading
from pathlib import Path

from payments_service.payments import PaymentLedger
from payments_service.server import PaymentServer
from payments_service.telemetry import Telemetry
from payments_service.tls import self_signed_context


def main() -> int:
    telemetry = Telemetry(
        service=os.environ.get("SERVICE_NAME", "payments"),
        environment=os.environ.get("ENVIRONMENT", "local"),
        namespace=os.environ.get("METRICS_NAMESPACE", "PaymentService"),
    )
    port = int(os.environ.get("PORT", "8443"))
    host = os.environ.get("BIND_ADDRESS", "0.0.0.0")  # the task's only interface, behind its security group
    drain_seconds = float(os.environ.get("DRAIN_SECONDS", "25"))
    # The root filesystem is read-only; the task mounts a scratch volume here.
    context = self_signed_context(Path(os.environ.get("TLS_DIR", "/tmp/tls")))
    server = PaymentServer((host, port), ssl_context=context, ledger=PaymentLedger(), telemetry=telemetry)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    serving = threading.Thread(target=server.serve_forever, name="serve", daemon=True)
    serving.start()
    telemetry.log(
        "INFO",
        "listening",
        port=server.server_address[1],
        processor_credentials=bool(os.environ.get("PAYMENT_PROCESSOR_CREDENTIALS")),
    )
    stop.wait()
    telemetry.log("INFO", "draining", timeout_seconds=drain_seconds)
    drained = server.drain(drain_seconds)
    telemetry.log("INFO" if drained else "ERROR", "stopped", drained=drained)
    return 0 if drained else 1


if __name__ == "__main__":
    sys.exit(main())
