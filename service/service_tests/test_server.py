"""The running service over HTTPS: health, payments, answers, logs, metrics, the drain on SIGTERM."""

from __future__ import annotations

import http.client
import json
import signal
import socket
import ssl
import subprocess
import time
from pathlib import Path

import pytest

from .conftest import ServiceProcess, call, client_context, open_tls, payment, start_process


def test_health_answers_200_over_https(service_process: ServiceProcess) -> None:
    reply = call(service_process.port, "GET", "/health")
    assert (reply.status, reply.body["status"]) == (200, "ok")


def test_server_refuses_plain_http(service_process: ServiceProcess) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", service_process.port, timeout=5)
    connection.request("GET", "/health")  # sent as plain text; the TLS server reads it as a bad handshake
    with pytest.raises((http.client.HTTPException, ConnectionError)):
        connection.getresponse()


@pytest.mark.filterwarnings("ignore:ssl.TLSVersion:DeprecationWarning")
def test_server_refuses_tls_older_than_1_2(service_process: ServiceProcess) -> None:
    context = client_context()
    context.maximum_version = ssl.TLSVersion.TLSv1_1
    context.minimum_version = ssl.TLSVersion.TLSv1
    with pytest.raises((ssl.SSLError, ConnectionError, OSError)):
        context.wrap_socket(socket.create_connection(("127.0.0.1", service_process.port), timeout=5))


def test_valid_payment_is_accepted_with_201(service_process: ServiceProcess) -> None:
    reply = call(service_process.port, "POST", "/payments", payment("order-000001", amount="12.34"))
    assert reply.status == 201
    assert (reply.body["status"], reply.body["amount"], reply.body["currency"]) == ("accepted", "12.34", "EUR")
    assert reply.body["payment_id"]
    assert reply.headers["x-request-id"] == reply.body["request_id"]
    assert reply.headers["cache-control"] == "no-store"


def test_same_key_and_payment_twice_gives_the_first_answer_and_a_different_payment_is_a_conflict(
    service_process: ServiceProcess,
) -> None:
    first = call(service_process.port, "POST", "/payments", payment("order-000002"))
    again = call(service_process.port, "POST", "/payments", payment("order-000002"))
    other = call(service_process.port, "POST", "/payments", payment("order-000002", amount="99.99"))
    assert (first.status, again.status) == (201, 201)
    assert again.body["payment_id"] == first.body["payment_id"]
    assert (again.headers["idempotent-replay"], "idempotent-replay" in first.headers) == ("true", False)
    assert (other.status, other.body["error"]["code"]) == (409, "idempotency_conflict")


@pytest.mark.parametrize(
    ("headers", "body", "status", "code"),
    [
        ({"Content-Type": "text/plain"}, b"{}", 415, "unsupported_media_type"),
        ({}, b"x" * (16 * 1024 + 1), 413, "body_too_large"),
        ({}, b"{oops", 400, "invalid_json"),
        ({}, json.dumps(payment("order-000003", currency="XXX")).encode(), 400, "invalid_currency"),
    ],
)
def test_malformed_requests_are_refused_with_a_json_error(
    service_process: ServiceProcess, headers: dict[str, str], body: bytes, status: int, code: str
) -> None:
    reply = call(service_process.port, "POST", "/payments", body, headers)
    assert (reply.status, reply.body["error"]["code"]) == (status, code)


def test_unknown_path_is_a_json_404(service_process: ServiceProcess) -> None:
    reply = call(service_process.port, "GET", "/admin")
    assert (reply.status, reply.body["error"]["code"]) == (404, "not_found")


def test_one_structured_log_line_per_request_with_its_request_id(service_process: ServiceProcess) -> None:
    call(service_process.port, "GET", "/health", headers={"X-Request-Id": "req-123"})
    call(service_process.port, "POST", "/payments", payment("order-000004"))
    call(service_process.port, "GET", "/nowhere")
    requests = service_process.requests_from("req-123", 3)
    assert [(line["method"], line["path"], line["status"]) for line in requests] == [
        ("GET", "/health", 200),
        ("POST", "/payments", 201),
        ("GET", "(unknown)", 404),
    ]
    assert requests[0]["request_id"] == "req-123"
    assert len({line["request_id"] for line in requests}) == 3
    assert all(line["duration_ms"] >= 0 for line in requests)


def test_an_alb_trace_id_is_used_when_no_request_id_is_given(service_process: ServiceProcess) -> None:
    trace = "Root=1-67891233-abcdef012345678912345678;Parent=53995c3f42cd8ad8"
    reply = call(service_process.port, "GET", "/health", headers={"X-Amzn-Trace-Id": trace})
    assert reply.headers["x-request-id"] == "1-67891233-abcdef012345678912345678"


def test_business_metrics_are_embedded_metric_format(service_process: ServiceProcess) -> None:
    call(service_process.port, "POST", "/payments", payment("order-000005"))
    call(service_process.port, "POST", "/payments", payment("order-000006", amount="-1"))
    metrics = service_process.matching(lambda line: "_aws" in line, 2)
    assert len(metrics) == 2
    accepted, rejected = metrics
    (directive,) = accepted["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "payments/test"
    assert directive["Dimensions"] == [["Service", "Environment"]]
    names = {metric["Name"] for metric in directive["Metrics"]}
    assert names == {"PaymentsAccepted", "PaymentsRejected", "PaymentLatency", "PaymentAmount"}
    for name in names:
        assert name in accepted  # EMF: every declared metric has a value at the top level
    assert (accepted["PaymentsAccepted"], accepted["PaymentAmount"]) == (1, 12.34)
    assert (rejected["PaymentsRejected"], rejected["RejectionReason"]) == (1, "invalid_amount")
    assert isinstance(accepted["_aws"]["Timestamp"], int)


def test_sigterm_finishes_the_request_in_flight_then_exits_0(tmp_path: Path) -> None:
    service = start_process(tmp_path, drain_seconds=6)
    body = json.dumps(payment("in-flight")).encode()
    tls = open_tls(service.port)
    tls.sendall(
        b"POST /payments HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body[:10]
    )  # the request is now in flight
    time.sleep(0.3)
    started = time.monotonic()
    service.process.send_signal(signal.SIGTERM)
    time.sleep(0.3)
    tls.sendall(body[10:])
    response = http.client.HTTPResponse(tls)
    response.begin()
    assert response.status == 201
    assert response.getheader("Connection") == "close"
    assert json.loads(response.read())["status"] == "accepted"
    tls.close()
    assert service.process.wait(10) == 0
    assert time.monotonic() - started < 6
    messages = [line["message"] for line in service.lines() if "message" in line]
    assert messages[0] == "listening"
    assert messages[-1] == "stopped"
    assert "draining" in messages
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", service.port), timeout=2).close()


def test_an_idle_connection_that_ignores_the_tls_close_does_not_hold_the_shutdown(tmp_path: Path) -> None:
    """uvicorn waited for every connection's TLS close: a silent peer held it to its timeout, then exit 1."""
    service = start_process(tmp_path, drain_seconds=6)
    idle = open_tls(service.port)
    idle.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
    assert idle.recv(4096).startswith(b"HTTP/1.1 200 ")  # the connection is kept alive, and never read again
    started = time.monotonic()
    service.process.send_signal(signal.SIGTERM)
    try:
        assert service.process.wait(10) == 0
        assert time.monotonic() - started < 1.5  # the quiet period, then straight out
    finally:
        idle.close()
    assert service.lines()[-1] == service.lines()[-1] | {"message": "stopped", "drained": True}


# The service as `python -m payments_service` runs it, except that stdout sends the process SIGTERM while
# the first request's log line is being written: the signal lands while the log lock is held.
SIGNAL_DURING_A_LOG_WRITE = """
import os, signal, sys

class SignalDuringWrite:
    def __init__(self, stream):
        self.stream, self.sent = stream, False
    def write(self, text):
        if '"message":"request"' in text and not self.sent:
            self.sent = True
            os.kill(os.getpid(), signal.SIGTERM)
        return self.stream.write(text)
    def flush(self):
        self.stream.flush()

sys.stdout = SignalDuringWrite(sys.stdout)
from payments_service.__main__ import main
sys.exit(main())
"""


def test_sigterm_during_a_log_write_still_drains_and_exits_0(tmp_path: Path) -> None:
    """The signal handler logged under the lock it had interrupted: the task hung until ECS killed it."""
    import sys

    service = start_process(tmp_path, drain_seconds=3, command=[sys.executable, "-c", SIGNAL_DURING_A_LOG_WRITE])
    started = time.monotonic()
    assert call(service.port, "GET", "/health").status == 200
    try:
        code = service.process.wait(6)
    except subprocess.TimeoutExpired:
        service.process.kill()
        raise AssertionError(f"no exit 6 s after SIGTERM:\n{service.text()[-2000:]}") from None
    assert code == 0
    assert time.monotonic() - started < 3.5
    assert [line["message"] for line in service.lines() if "message" in line][-2:] == ["draining", "stopped"]


def test_a_bad_setting_is_one_line_and_exit_2(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    from .conftest import SERVICE_ROOT, service_environment

    environment = service_environment(tmp_path, extra={"CLIENT_AUTH": "sometimes", "DRAIN_SECONDS": "soon"})
    result = subprocess.run(
        [sys.executable, "-m", "payments_service"], env=environment | {"PYTHONPATH": str(SERVICE_ROOT)},
        capture_output=True, text=True, timeout=30, check=False, cwd=os.getcwd(),
    )  # fmt: skip
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert "DRAIN_SECONDS: 'soon' is not a number" in line
    assert "CLIENT_AUTH: 'sometimes' is not one of ['mutual-tls', 'off']" in line
