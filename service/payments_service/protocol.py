"""uvicorn's HTTP/1.1 protocol (httptools, i.e. llhttp) with the bounds a payment API needs.

llhttp is strict: it refuses a message with both Transfer-Encoding and Content-Length, a duplicate or
non-numeric Content-Length, folded headers and bare line feeds, which closes the request-smuggling and
header-injection holes of a hand-written parser. What uvicorn leaves open, this subclass bounds:

- the header block's size (431), so no single header grows without limit;
- the time a request may take to arrive, headers and body (408), so a client that trickles a byte at a time
  holds nothing for long;
- the number of open connections (a new one over the limit gets 503 and is closed);
- the number of requests in flight (over the limit, an immediate 503 instead of a queue), counting tasks
  only: idle keep-alive connections from the load balancer cost nothing and are not refused. `GET /health`
  is never shed: it does no work, and a target that failed its health checks under load would be taken out
  of the load balancer and push the load onto the others;
- and every request the parser refuses gets a JSON answer and a log line, like any other.
"""

from __future__ import annotations

import json
import socket
import time
from typing import Any

import httptools
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from payments_service.app import DEADLINE_KEY, HEALTH_PATH, KNOWN_METHODS, ROUTES, STARTED_KEY, request_id
from payments_service.config import ServiceConfig
from payments_service.telemetry import Telemetry

STATUS_TEXT = {400: "Bad Request", 408: "Request Timeout", 431: "Request Header Fields Too Large",
               503: "Service Unavailable"}  # fmt: skip


class HeadersTooLargeError(Exception):
    pass


def protocol_class(config: ServiceConfig, telemetry: Telemetry) -> type[HttpToolsProtocol]:
    """The protocol class uvicorn instantiates per connection, bound to this service's limits."""

    class BoundedProtocol(HttpToolsProtocol):
        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            raw = transport.get_extra_info("socket")
            if raw is not None:
                # Headers and body leave as separate TLS records; with Nagle on, the client's delayed ACK holds
                # the second one back ~40 ms.
                raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._head_bytes = 0
            self._headers_done = True
            self._deadline: Any = None
            if len(self.connections) > config.max_connections:
                self._refuse(503, "too_many_connections", "the service is at its connection limit")

        def connection_lost(self, exc: Exception | None) -> None:
            self._cancel_deadline()
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            if not self._headers_done:
                self._head_bytes += len(data)
                # Coarse guard before parsing: a header block must fit, with at most one body beside it.
                if self._head_bytes > config.max_header_bytes + config.max_body_bytes + 4096:
                    self._refuse(431, "headers_too_large", f"headers exceed {config.max_header_bytes} bytes")
                    return
            self._unset_keepalive_if_required()
            try:
                self.parser.feed_data(data)
            except httptools.HttpParserCallbackError as error:
                if isinstance(error.__context__, HeadersTooLargeError):
                    self._refuse(431, "headers_too_large", f"headers exceed {config.max_header_bytes} bytes")
                else:
                    self._refuse(400, "bad_request", "malformed HTTP request")
            except (httptools.HttpParserError, httptools.HttpParserUpgrade):
                self._refuse(400, "bad_request", "malformed HTTP request")

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._headers_done = False
            self._header_size = 0
            now = time.monotonic()
            self.scope[STARTED_KEY] = now  # type: ignore[literal-required]
            self.scope[DEADLINE_KEY] = now + config.request_timeout_seconds  # type: ignore[literal-required]
            self._cancel_deadline()
            # A backstop a little after the app's own deadline (which answers 408 itself once it has the request).
            self._deadline = self.loop.call_later(config.request_timeout_seconds + 0.5, self._request_timed_out)

        def on_url(self, url: bytes) -> None:
            self._count_header_bytes(len(url))
            super().on_url(url)

        def on_header(self, name: bytes, value: bytes) -> None:
            self._count_header_bytes(len(name) + len(value) + 4)
            super().on_header(name, value)

        def on_headers_complete(self) -> None:
            self._headers_done = True
            if len(self.tasks) >= config.max_in_flight and self.url.partition(b"?")[0] != HEALTH_PATH.encode():
                app, self.app = self.app, shed  # only this request; the connection stays usable
                try:
                    super().on_headers_complete()
                finally:
                    self.app = app
                return
            super().on_headers_complete()

        def on_message_complete(self) -> None:
            self._cancel_deadline()
            super().on_message_complete()

        def _count_header_bytes(self, size: int) -> None:
            self._header_size += size
            if self._header_size > config.max_header_bytes:
                raise HeadersTooLargeError

        def _cancel_deadline(self) -> None:
            if getattr(self, "_deadline", None) is not None:
                self._deadline.cancel()
                self._deadline = None

        def _request_timed_out(self) -> None:
            self._deadline = None
            if self.cycle is None or not self.cycle.response_started:
                self._refuse(408, "request_timeout", "the request did not arrive in time")
            elif not self.transport.is_closing():
                self.transport.close()

        def _refuse(self, status: int, code: str, message: str) -> None:
            """Answer a request the app never saw, log it like any other, and close the connection."""
            if self.transport.is_closing():
                return
            self._cancel_deadline()
            body = json.dumps({"error": {"code": code, "message": message}}).encode()
            head = (
                f"HTTP/1.1 {status} {STATUS_TEXT[status]}\r\ncontent-type: application/json\r\n"
                f"content-length: {len(body)}\r\ncache-control: no-store\r\nconnection: close\r\n\r\n"
            ).encode()
            self.transport.write(head + body)
            self.transport.close()
            telemetry.log(
                "WARN" if status < 500 else "ERROR",
                "request",
                request_id="-",
                method="-",
                path="(unparsed)",
                status=status,
                reason=code,
                peer=(self.client or ("-",))[0],
            )

    async def shed(scope: Any, receive: Any, send: Any) -> None:
        """The answer when the in-flight limit is reached: immediate, so the caller can retry elsewhere."""
        body = json.dumps({"error": {"code": "overloaded", "message": "too many requests in flight; retry"}}).encode()
        await send({"type": "http.response.start", "status": 503, "headers": [
            (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
            (b"retry-after", b"1"), (b"cache-control", b"no-store")]})  # fmt: skip
        await send({"type": "http.response.body", "body": body})
        telemetry.log(
            "ERROR",
            "request",
            request_id=request_id({k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}),
            method=scope["method"] if scope["method"] in KNOWN_METHODS else "OTHER",
            path=scope["path"] if scope["path"] in ROUTES else "(unknown)",
            status=503,
            reason="overloaded",
            duration_ms=round((time.monotonic() - scope[STARTED_KEY]) * 1000, 3),
            peer=(scope.get("client") or ("-",))[0],
        )

    return BoundedProtocol
