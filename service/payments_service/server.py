"""HTTPS server: /health and /payments, one JSON log line per request, graceful drain on SIGTERM."""

from __future__ import annotations

import json
import ssl
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from payments_service.payments import PaymentLedger
from payments_service.telemetry import Telemetry

MAX_BODY_BYTES = 16 * 1024
MAX_DISCARD_BYTES = 1024 * 1024
# Idle keep-alive connections close after this, so a drain never waits on a silent client.
IDLE_TIMEOUT_SECONDS = 5.0


class PaymentServer(ThreadingHTTPServer):
    """Threaded HTTPS server whose `drain` stops accepting work and waits for requests in flight."""

    daemon_threads = False
    block_on_close = True
    allow_reuse_address = True

    def __init__(
        self, address: tuple[str, int], *, ssl_context: ssl.SSLContext, ledger: PaymentLedger, telemetry: Telemetry
    ) -> None:
        super().__init__(address, PaymentHandler)
        # The TLS handshake runs in the request thread (see PaymentHandler.setup), not in the accept loop.
        self.socket = ssl_context.wrap_socket(self.socket, server_side=True, do_handshake_on_connect=False)
        self.ledger = ledger
        self.telemetry = telemetry
        self.draining = threading.Event()

    def drain(self, timeout: float) -> bool:
        """Stop accepting, let requests in flight finish; True if all finished within `timeout` seconds."""
        self.draining.set()
        self.shutdown()
        closer = threading.Thread(target=self.server_close, name="drain")
        closer.start()
        closer.join(timeout)
        return not closer.is_alive()

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that drops mid-handshake is not a server error; log it as one line, not a traceback.
        self.telemetry.log("WARN", "connection error", client=str(client_address[0]))


class PaymentHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "payments"
    sys_version = ""
    timeout = IDLE_TIMEOUT_SECONDS
    # Headers and body go out as separate writes; with Nagle on, delayed ACKs add ~40 ms to every answer.
    disable_nagle_algorithm = True
    server: PaymentServer

    def setup(self) -> None:
        self.request.settimeout(self.timeout)
        try:
            self.request.do_handshake()
        except (ssl.SSLError, OSError):
            self.close_connection = True
            raise
        super().setup()

    def log_message(self, format: str, *args: Any) -> None:
        """Replaced by the structured line written in `_respond`."""

    def do_GET(self) -> None:
        started = time.perf_counter()
        if self.path == "/health":
            if self.server.draining.is_set():
                self._respond(503, {"status": "draining"}, started)
            else:
                self._respond(200, {"status": "ok"}, started)
            return
        self._respond(404, {"error": {"code": "not_found", "message": f"no resource at {self.path}"}}, started)

    def do_POST(self) -> None:
        started = time.perf_counter()
        if self.path != "/payments":
            self._respond(404, {"error": {"code": "not_found", "message": f"no resource at {self.path}"}}, started)
            return
        problem = self._body_problem()
        if problem is not None:
            status, code, message = problem
            self._discard_body()
            self.close_connection = True
            self._payment_metrics(accepted=False, amount=None, reason=code, started=started)
            self._respond(status, {"error": {"code": code, "message": message}}, started)
            return
        outcome = self.server.ledger.submit(self.rfile.read(int(self.headers["Content-Length"])))
        # Counted when decided, before the answer is written: a client that drops the connection does not
        # erase the payment from the metrics, and the metric line is out before the client sees the answer.
        self._payment_metrics(
            accepted=outcome.accepted,
            amount=float(outcome.amount) if outcome.amount is not None else None,
            reason=outcome.reason,
            started=started,
        )
        headers = {"Idempotent-Replay": "true"} if outcome.replayed else {}
        self._respond(outcome.status, outcome.body, started, headers)

    def _body_problem(self) -> tuple[int, str, str] | None:
        content_type = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if content_type != "application/json":
            return 415, "unsupported_media_type", "Content-Type must be application/json"
        length = self.headers.get("Content-Length")
        if length is None or not length.isdigit():
            return 411, "length_required", "Content-Length is required"
        if int(length) > MAX_BODY_BYTES:
            return 413, "body_too_large", f"body is larger than {MAX_BODY_BYTES} bytes"
        return None

    def _discard_body(self) -> None:
        """Read a refused body (up to a bound) so the client sees the answer, not a reset connection."""
        length = self.headers.get("Content-Length", "")
        if length.isdigit() and int(length) <= MAX_DISCARD_BYTES:
            self.rfile.read(int(length))

    @property
    def request_id(self) -> str:
        if not hasattr(self, "_request_id"):
            given = self.headers.get("X-Request-Id") or self.headers.get("X-Amzn-Trace-Id")
            self._request_id = given[:128] if given else str(uuid.uuid4())
        return self._request_id

    def _respond(
        self, status: int, body: dict[str, Any], started: float, headers: dict[str, str] | None = None
    ) -> None:
        payload = json.dumps({**body, "request_id": self.request_id}).encode()
        if self.server.draining.is_set():
            self.close_connection = True
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("X-Request-Id", self.request_id)
        self.send_header("Cache-Control", "no-store")
        self.send_header("Strict-Transport-Security", "max-age=31536000")
        if self.close_connection:
            self.send_header("Connection", "close")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)
        self.server.telemetry.log(
            "INFO" if status < 500 else "ERROR",
            "request",
            request_id=self.request_id,
            method=self.command,
            path=self.path,
            status=status,
            duration_ms=round((time.perf_counter() - started) * 1000, 3),
            client=self.client_address[0],
        )

    def _payment_metrics(self, *, accepted: bool, amount: float | None, reason: str | None, started: float) -> None:
        self.server.telemetry.payment_metrics(
            accepted=accepted,
            amount=amount,
            latency_ms=(time.perf_counter() - started) * 1000,
            reason=reason,
            request_id=self.request_id,
        )
