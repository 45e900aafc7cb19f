"""Structured JSON request logs and CloudWatch Embedded Metric Format business metrics, both on stdout.

The awslogs driver ships stdout to CloudWatch Logs, which turns EMF lines into metrics: no agent needed.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import time
from typing import Any, TextIO


class Telemetry:
    def __init__(self, *, service: str, environment: str, namespace: str, stream: TextIO = sys.stdout) -> None:
        self.service = service
        self.environment = environment
        self.namespace = namespace
        self._stream = stream
        self._lock = threading.Lock()

    def _write(self, document: dict[str, Any]) -> None:
        line = json.dumps(document, separators=(",", ":"), default=str)
        with self._lock:
            self._stream.write(line + "\n")
            self._stream.flush()

    def log(self, level: str, message: str, **fields: Any) -> None:
        self._write(
            {
                "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + "Z",
                "level": level,
                "message": message,
                "service": self.service,
                "environment": self.environment,
                **fields,
            }
        )

    def payment_metrics(
        self, *, accepted: bool, amount: float | None, latency_ms: float, reason: str | None, request_id: str
    ) -> None:
        metrics: list[dict[str, str]] = [
            {"Name": "PaymentsAccepted", "Unit": "Count"},
            {"Name": "PaymentsRejected", "Unit": "Count"},
            {"Name": "PaymentLatency", "Unit": "Milliseconds"},
        ]
        values: dict[str, Any] = {
            "PaymentsAccepted": 1 if accepted else 0,
            "PaymentsRejected": 0 if accepted else 1,
            "PaymentLatency": round(latency_ms, 3),
        }
        if accepted and amount is not None:
            metrics.append({"Name": "PaymentAmount", "Unit": "None"})
            values["PaymentAmount"] = amount
        self._write(
            {
                "_aws": {
                    "Timestamp": int(time.time() * 1000),
                    "CloudWatchMetrics": [
                        {"Namespace": self.namespace, "Dimensions": [["Service", "Environment"]], "Metrics": metrics}
                    ],
                },
                "Service": self.service,
                "Environment": self.environment,
                "RejectionReason": reason,
                "request_id": request_id,
                **values,
            }
        )


class TelemetryHandler(logging.Handler):
    """Library log records (uvicorn's) as the service's own JSON lines, without tracebacks' local values."""

    def __init__(self, telemetry: Telemetry) -> None:
        super().__init__()
        self.telemetry = telemetry

    def emit(self, record: logging.LogRecord) -> None:
        fields: dict[str, Any] = {"logger": record.name}
        if record.exc_info and record.exc_info[0] is not None:
            fields["error"] = record.exc_info[0].__name__
        self.telemetry.log(record.levelname, record.getMessage(), **fields)
