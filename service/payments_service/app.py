"""The HTTP API on Starlette: `GET /health`, `POST /payments`, one JSON log line per request.

Every answer is JSON and every request is logged once, from a request-scoped context: refused methods and
paths, bodies the parser refuses (`protocol.py` logs those the HTTP parser refuses), and payments whose
client is gone by the time the answer is written. A log line never holds the query string, the body or a
client-supplied value that was not validated. A payment is logged and counted when it is committed,
whatever happens to the client's connection afterwards.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

import anyio
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from payments_service.card_data import contains_pan
from payments_service.config import ClientAuth, ServiceConfig
from payments_service.ledger import IdempotencyConflictError, Ledger, LedgerUnavailableError
from payments_service.payment_request import PaymentError, PaymentRequest, parse_payment
from payments_service.telemetry import Telemetry

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

REQUEST_ID_PATTERN = re.compile(r"[A-Za-z0-9._:-]{1,128}", re.ASCII)
TRACE_ID_PATTERN = re.compile(r"Root=(1-[0-9a-f]{8}-[0-9a-f]{24})(?:;.*)?", re.ASCII)
# The subject the load balancer forwards after verifying a client certificate (RFC 2253 text).
CLIENT_SUBJECT_HEADER = "x-amzn-mtls-clientcert-subject"
CLIENT_SUBJECT_PATTERN = re.compile(r"[\x20-\x7e]{1,1024}", re.ASCII)
ANONYMOUS = "anonymous"
HEALTH_PATH = "/health"
ROUTES = (HEALTH_PATH, "/payments")
# The status logged for a request whose client left before it arrived whole (no answer is sent).
CLIENT_CLOSED = 499
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT"})
# Scope keys shared with protocol.py.
STARTED_KEY = "payments.started"
DEADLINE_KEY = "payments.deadline"


@dataclass
class ServiceState:
    """What the drain needs to know: whether the task is draining, and when real work last arrived."""

    draining: bool = False
    drain_started: float = 0.0
    last_request: float = field(default_factory=time.monotonic)

    def start_draining(self) -> None:
        self.draining = True
        self.drain_started = time.monotonic()


def request_id(headers: Any) -> str:
    """The caller's request id if it is well formed and holds no card number, else the ALB's trace id, else a
    new one: it is logged."""
    given = headers.get("x-request-id", "")
    if REQUEST_ID_PATTERN.fullmatch(given) and not contains_pan(given):
        return str(given)
    trace = TRACE_ID_PATTERN.fullmatch(headers.get("x-amzn-trace-id", ""))
    return trace[1] if trace else str(uuid.uuid4())


def error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status, headers=headers)


class RequestContext:
    """Pure ASGI middleware (it never cancels the request when the client goes away): gives each request its
    id and deadline, marks answers `Connection: close` while draining, and writes the request's log line."""

    def __init__(self, app: Any, *, telemetry: Telemetry, state: ServiceState, config: ServiceConfig) -> None:
        self.app, self.telemetry, self.state, self.config = app, telemetry, state, config

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = scope.get(STARTED_KEY, time.monotonic())
        scope.setdefault(DEADLINE_KEY, started + self.config.request_timeout_seconds)
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        scope["payments.request_id"] = rid = request_id(headers)
        if scope["path"] != HEALTH_PATH:
            self.state.last_request = time.monotonic()
        status = {"code": 500}

        async def send_with_context(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                extra = [(b"x-request-id", rid.encode()), (b"cache-control", b"no-store")]
                if self.state.draining:
                    extra.append((b"connection", b"close"))
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        try:
            await self.app(scope, receive, send_with_context)
        finally:
            method = scope["method"] if scope["method"] in KNOWN_METHODS else "OTHER"
            route = scope["path"] if scope["path"] in ROUTES else "(unknown)"
            self.telemetry.log(
                "INFO" if status["code"] < 500 else "ERROR",
                "request",
                request_id=rid,
                method=method,
                path=route,
                status=status["code"],
                duration_ms=round((time.monotonic() - started) * 1000, 3),
                client=scope.get("payments.client", "-"),
                peer=(scope.get("client") or ("-",))[0],
            )


async def read_body(request: Request, limit: int, deadline: float) -> bytes:
    """The body, up to `limit` bytes, before the request's deadline (HTTPException 413 or 408 otherwise)."""
    chunks: list[bytes] = []
    size = 0
    with anyio.move_on_after(max(0.0, deadline - time.monotonic())) as timer:
        try:
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise HTTPException(413, f"body is larger than {limit} bytes")
                chunks.append(chunk)
        except ClientDisconnect:
            # Logged as 499 (the client closed the request); nothing was recorded.
            raise HTTPException(CLIENT_CLOSED, "the client closed the connection") from None
    if timer.cancelled_caught:
        raise HTTPException(408, "the request did not arrive in time")
    return b"".join(chunks)


def build_app(*, config: ServiceConfig, ledger: Ledger, telemetry: Telemetry, state: ServiceState) -> Any:
    # A worker thread for every payment in flight (anyio's default is 40, whatever the limit).
    calls = anyio.CapacityLimiter(config.max_in_flight)

    async def health(request: Request) -> Response:
        if state.draining:
            return JSONResponse({"status": "draining"}, status_code=503)
        return JSONResponse({"status": "ok"})

    async def payments(request: Request) -> Response:
        started = time.monotonic()
        client = ANONYMOUS
        if config.client_auth is ClientAuth.MUTUAL_TLS:
            subject = request.headers.get(CLIENT_SUBJECT_HEADER, "")
            if not CLIENT_SUBJECT_PATTERN.fullmatch(subject):
                return error(401, "client_certificate_required", "a verified client certificate is required")
            client = subject
        request.scope["payments.client"] = client
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != "application/json":
            return error(415, "unsupported_media_type", "Content-Type must be application/json")
        body = await read_body(request, config.max_body_bytes, request.scope[DEADLINE_KEY])
        rid = request.scope["payments.request_id"]
        try:
            payment = parse_payment(body)
        except PaymentError as refused:
            telemetry.payment_metrics(accepted=False, amount=None, latency_ms=_since(started), reason=refused.code,
                                      request_id=rid)  # fmt: skip
            return error(refused.status, refused.code, refused.message)
        # Shielded: once the write starts, it completes and is logged even if the client is gone.
        with anyio.CancelScope(shield=True):
            answer = await _commit(payment, client, rid, started)
        return answer

    async def _commit(payment: PaymentRequest, client: str, rid: str, started: float) -> Response:
        try:
            recorded = await anyio.to_thread.run_sync(ledger.record, client, payment, time.time(), limiter=calls)
        except IdempotencyConflictError:
            telemetry.payment_metrics(accepted=False, amount=None, latency_ms=_since(started),
                                      reason="idempotency_conflict", request_id=rid)  # fmt: skip
            return error(409, "idempotency_conflict", "idempotency_key was already used for a different payment")
        except LedgerUnavailableError as unavailable:
            telemetry.log("ERROR", "ledger unavailable", request_id=rid, reason=str(unavailable))
            return error(503, "ledger_unavailable", "the payment was not recorded; retry", {"Retry-After": "1"})
        answer = recorded.body
        if recorded.replayed:
            telemetry.log("INFO", "payment replayed", request_id=rid, payment_id=answer["payment_id"], client=client)
        else:
            telemetry.log("INFO", "payment committed", request_id=rid, payment_id=answer["payment_id"],
                          amount=answer["amount"], currency=answer["currency"],
                          idempotency_key=answer["idempotency_key"], client=client)  # fmt: skip
            telemetry.payment_metrics(accepted=True, amount=float(answer["amount"]), latency_ms=_since(started),
                                      reason=None, request_id=rid)  # fmt: skip
        headers = {"Idempotent-Replay": "true"} if recorded.replayed else None
        return JSONResponse({**answer, "request_id": rid}, status_code=201, headers=headers)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        codes = {404: "not_found", 405: "method_not_allowed", 408: "request_timeout", 413: "body_too_large",
                 CLIENT_CLOSED: "client_closed"}  # fmt: skip
        code = codes.get(exc.status_code, "bad_request")
        # Never the path or the query string: they are the client's, and could hold anything.
        message = {404: "no such resource", 405: f"allowed: {(exc.headers or {}).get('Allow', '')}"}.get(
            exc.status_code, str(exc.detail)
        )
        headers = dict(exc.headers or {})
        if exc.status_code in (408, 413, CLIENT_CLOSED):
            headers["Connection"] = "close"  # the rest of the body was not read
        return error(exc.status_code, code, message, headers)

    async def server_error(request: Request, exc: Exception) -> Response:
        telemetry.log("ERROR", "unhandled error", request_id=request.scope.get("payments.request_id"),
                      error=type(exc).__name__)  # fmt: skip
        return error(500, "internal_error", "internal error")

    app = Starlette(
        routes=[Route(HEALTH_PATH, health, methods=["GET"]), Route("/payments", payments, methods=["POST"])],
        exception_handlers={HTTPException: http_error, Exception: server_error},
    )
    return RequestContext(app, telemetry=telemetry, state=state, config=config)


def _since(started: float) -> float:
    return (time.monotonic() - started) * 1000
