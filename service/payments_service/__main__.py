"""Run the service: `python -m payments_service`. Configuration comes from the task definition's environment."""

from __future__ import annotations

import logging
import os
import sys

from payments_service.app import ServiceState, build_app
from payments_service.config import ConfigError, from_environment
from payments_service.ledger import LedgerUnavailableError, open_ledger
from payments_service.server import serve
from payments_service.telemetry import Telemetry, TelemetryHandler


def main() -> int:
    try:
        config = from_environment(os.environ)
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    telemetry = Telemetry(service=config.service, environment=config.environment, namespace=config.metrics_namespace)
    logging.basicConfig(level=logging.WARNING, handlers=[TelemetryHandler(telemetry)], force=True)
    try:
        # One ledger call per payment in flight, each in a worker thread with its own connection.
        ledger = open_ledger(config.ledger, config.idempotency_ttl_seconds, config.aws_region, config.max_in_flight)
    except LedgerUnavailableError as error:
        print(f"error: LEDGER: {config.ledger!r} cannot be opened: {error}", file=sys.stderr)
        return 2
    state = ServiceState()
    app = build_app(config=config, ledger=ledger, telemetry=telemetry, state=state)
    try:
        drained = serve(config, app, state, telemetry)
    finally:
        ledger.close()
    telemetry.log("INFO" if drained else "ERROR", "stopped", drained=drained)
    return 0 if drained else 1


if __name__ == "__main__":
    sys.exit(main())
