"""The real server on loopback over HTTPS: health, payments, logs, metrics, SIGTERM drain."""

from __future__ import annotations

import http.client
import json
import signal
import socket
import ssl
import time

import pytest

from .conftest import InProcessService, ServiceProcess, call, client_context

PAYMENT = {"amount": "12.34", "currency": "USD", "idempotency_key": "order-000001"}


def test_health_answers_200_over_https(service: InProcessService) -> None:
    reply = call(service.port, "GET", "/health")
    assert reply.status == 200
    assert reply.body["status"] == "ok"


def plain_http_get(port: int) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    connection.request("GET", "/health")
    return connection.getresponse().status


def test_server_refuses_plain_http(service: InProcessService) -> None:
    with pytest.raises((http.client.HTTPException, ConnectionError)):
        plain_http_get(service.port)


@pytest.mark.filterwarnings("ignore:ssl.TLSVersion:DeprecationWarning")
def test_server_refuses_tls_older_than_1_2(service: InProcessService) -> None:
    context = client_context()
    context.maximum_version = ssl.TLSVersion.TLSv1_1
    context.minimum_version = ssl.TLSVersion.TLSv1
    with pytest.raises((ssl.SSLError, ConnectionError, OSError)):
        call(
            service.port,
            "GET",
            "/health",
            connection=http.client.HTTPSConnection("127.0.0.1", service.port, timeout=5, context=context),
        )


def test_valid_payment_is_accepted_with_201(service: InProcessService) -> None:
    reply = call(service.port, "POST", "/payments", PAYMENT)
    assert reply.status == 201
    assert reply.body["status"] == "accepted"
    assert reply.body["amount"] == "12.34"
    assert reply.body["payment_id"]


def test_invalid_payment_gets_4xx_with_a_clear_error(service: InProcessService) -> None:
    reply = call(service.port, "POST", "/payments", PAYMENT | {"currency": "XXX"})
    assert reply.status == 400
    assert reply.body["error"]["code"] == "invalid_currency"
    assert "USD" in reply.body["error"]["message"]


@pytest.mark.parametrize(
    ("headers", "body", "status", "code"),
    [
        ({"Content-Type": "text/plain"}, b"{}", 415, "unsupported_media_type"),
        ({}, b"x" * (16 * 1024 + 1), 413, "body_too_large"),
        ({}, b"{oops", 400, "invalid_json"),
    ],
)
def test_malformed_requests_are_refused(
    service: InProcessService, headers: dict[str, str], body: bytes, status: int, code: str
) -> None:
    reply = call(service.port, "POST", "/payments", body, headers)
    assert (reply.status, reply.body["error"]["code"]) == (status, code)


def test_unknown_path_is_404(service: InProcessService) -> None:
    assert call(service.port, "GET", "/admin").status == 404


def test_same_idempotency_key_twice_gives_the_same_answer(service: InProcessService) -> None:
    first = call(service.port, "POST", "/payments", PAYMENT)
    second = call(service.port, "POST", "/payments", PAYMENT)
    assert second.status == first.status == 201
    assert second.body["payment_id"] == first.body["payment_id"]
    assert second.headers["idempotent-replay"] == "true"


def test_one_structured_log_line_per_request_with_its_request_id(service: InProcessService) -> None:
    call(service.port, "GET", "/health", headers={"X-Request-Id": "req-123"})
    call(service.port, "POST", "/payments", PAYMENT)
    requests = [line for line in service.lines() if line.get("message") == "request"]
    assert len(requests) == 2
    assert requests[0]["request_id"] == "req-123"
    assert requests[0]["status"] == 200
    assert requests[1]["path"] == "/payments"
    assert requests[1]["status"] == 201
    assert requests[1]["duration_ms"] >= 0
    assert len({line["request_id"] for line in requests}) == 2


def test_business_metrics_are_embedded_metric_format(service: InProcessService) -> None:
    call(service.port, "POST", "/payments", PAYMENT)
    call(service.port, "POST", "/payments", PAYMENT | {"amount": "-1", "idempotency_key": "order-000002"})
    metrics = [line for line in service.lines() if "_aws" in line]
    assert len(metrics) == 2
    accepted, rejected = metrics
    (directive,) = accepted["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "PaymentService/test"
    assert directive["Dimensions"] == [["Service", "Environment"]]
    names = {metric["Name"] for metric in directive["Metrics"]}
    assert names == {"PaymentsAccepted", "PaymentsRejected", "PaymentLatency", "PaymentAmount"}
    for name in names:
        assert name in accepted  # EMF: every declared metric has a value at the top level
    assert (accepted["PaymentsAccepted"], accepted["PaymentAmount"]) == (1, 12.34)
    assert (rejected["PaymentsRejected"], rejected["RejectionReason"]) == (1, "invalid_amount")
    assert isinstance(accepted["_aws"]["Timestamp"], int)


def test_health_reports_draining_and_connections_close_during_drain(service: InProcessService) -> None:
    service.server.draining.set()
    reply = call(service.port, "GET", "/health")
    assert reply.status == 503
    assert reply.headers["connection"] == "close"


def test_sigterm_finishes_the_request_in_flight_then_exits_0(service_process: ServiceProcess) -> None:
    body = json.dumps(PAYMENT).encode()
    raw = socket.create_connection(("127.0.0.1", service_process.port), timeout=10)
    tls = client_context().wrap_socket(raw)
    head = (
        f"POST /payments HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    tls.sendall(head + body[:10])  # the request is now in flight
    time.sleep(0.3)
    started = time.monotonic()
    service_process.process.send_signal(signal.SIGTERM)
    time.sleep(0.3)
    tls.sendall(body[10:])
    response = http.client.HTTPResponse(tls)
    response.begin()
    assert response.status == 201
    assert json.loads(response.read())["status"] == "accepted"
    tls.close()
    assert service_process.process.wait(15) == 0
    assert time.monotonic() - started < 10
    messages = [line["message"] for line in service_process.lines() if "message" in line]
    assert messages == ["listening", "draining", "request", "stopped"]
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", service_process.port), timeout=2).close()
