"""One test per defect a payments engineer found in the first service, each against the running process.

Each of these failed on the first service (its commit message lists how); they stay so that none comes back.
"""

from __future__ import annotations

import json
import signal
import socket
import sqlite3
import struct
import threading
import time
from pathlib import Path

import pytest

from .conftest import (
    PAN,
    ServiceProcess,
    call,
    fifty_at_once,
    open_tls,
    payment,
    raw_exchange,
    start_process,
)

# The head of a payment request, up to its Content-Length.
JSON_POST = b"POST /payments HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"

# --- double charge -----------------------------------------------------------------------------------------


def test_a_key_is_remembered_across_a_restart(tmp_path: Path) -> None:
    """Keys lived in the task's memory: a retry after a task replacement charged again."""
    ledger = tmp_path / "ledger.db"
    first = start_process(tmp_path / "a", ledger=ledger)
    before = call(first.port, "POST", "/payments", payment("retry-after-restart"))
    first.stop()
    second = start_process(tmp_path / "b", ledger=ledger)
    after = call(second.port, "POST", "/payments", payment("retry-after-restart"))
    second.stop()
    assert (before.status, after.status) == (201, 201)
    assert after.body["payment_id"] == before.body["payment_id"]
    assert after.headers["idempotent-replay"] == "true"


def test_a_key_is_shared_by_every_task(tmp_path: Path) -> None:
    """Keys were per task: the same retry landing on another task charged again."""
    ledger = tmp_path / "ledger.db"
    one, two = start_process(tmp_path / "a", ledger=ledger), start_process(tmp_path / "b", ledger=ledger)
    try:
        first = call(one.port, "POST", "/payments", payment("two-tasks"))
        second = call(two.port, "POST", "/payments", payment("two-tasks"))
    finally:
        one.stop()
        two.stop()
    assert second.body["payment_id"] == first.body["payment_id"]


def test_keys_belong_to_the_client_that_sent_them(mutual_tls: ServiceProcess) -> None:
    """Keys were global: another client's payment with the same key got a 409 (or, same body, its payment)."""
    alice = call(mutual_tls.port, "POST", "/payments", payment("shared-key"), client="CN=alice,O=Example")
    bob = call(mutual_tls.port, "POST", "/payments", payment("shared-key"), client="CN=bob,O=Example")
    assert (alice.status, bob.status) == (201, 201)
    assert alice.body["payment_id"] != bob.body["payment_id"]


def test_amounts_are_compared_as_numbers(service_process: ServiceProcess) -> None:
    """`10` after `10.00` with the same key was a 409: the same payment written two ways is the same payment."""
    first = call(service_process.port, "POST", "/payments", payment("same-amount", amount="10.00"))
    second = call(service_process.port, "POST", "/payments", payment("same-amount", amount="10"))
    assert (first.status, second.status) == (201, 201)
    assert second.body["payment_id"] == first.body["payment_id"]


# --- lost audit trail, wrong request ids ---------------------------------------------------------------------


def test_a_payment_is_logged_and_counted_when_the_client_is_gone(tmp_path: Path) -> None:
    """A committed payment whose answer could not be written left only an anonymous "connection error"."""
    ledger = tmp_path / "ledger.db"
    service = start_process(tmp_path / "service", ledger=ledger)
    held = sqlite3.connect(ledger, isolation_level=None)
    try:
        held.execute("BEGIN IMMEDIATE")  # the ledger is busy: the payment waits until the client has gone
        body = json.dumps(payment("client-resets")).encode()
        tls = open_tls(service.port)
        tls.sendall(
            b"POST /payments HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        time.sleep(0.2)
        tls.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        tls.close()  # reset before the answer
        time.sleep(0.1)
        held.execute("COMMIT")
        lines = service.wait_for(lambda line: line.get("message") == "request")
    finally:
        held.close()
        service.stop()
    committed = [line for line in lines if line.get("message") == "payment committed"]
    assert [line["idempotency_key"] for line in committed] == ["client-resets"]
    assert [line["PaymentsAccepted"] for line in lines if "_aws" in line] == [1]
    (request,) = [line for line in lines if line.get("message") == "request"]
    assert request["request_id"] == committed[0]["request_id"]


def test_each_request_on_a_kept_alive_connection_has_its_own_id(service_process: ServiceProcess) -> None:
    """The id was cached per connection: the ALB reuses connections, so requests were logged under one id."""
    with service_process.connection() as connection:
        call(service_process.port, "GET", "/health", headers={"X-Request-Id": "first-1"}, connection=connection)
        call(service_process.port, "GET", "/health", headers={"X-Request-Id": "second-2"}, connection=connection)
        call(service_process.port, "GET", "/health", connection=connection)
    ids = [line["request_id"] for line in service_process.requests(3)]
    assert ids[:2] == ["first-1", "second-2"]
    assert ids[2] not in ("first-1", "second-2")


# --- silent 5xx and unlogged errors ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b'{"amount": ' + b"9" * 5000 + b', "currency": "EUR", "idempotency_key": "huge-amount"}', "invalid_amount"),
        (b"[" * 8000 + b"]" * 8000, "invalid_json"),
    ],
    ids=["5000-digit amount", "nested 8000 deep"],
)
def test_hostile_bodies_get_a_400_not_a_dropped_connection(
    service_process: ServiceProcess, body: bytes, code: str
) -> None:
    reply = call(service_process.port, "POST", "/payments", body)
    assert (reply.status, reply.body["error"]["code"]) == (400, code)
    assert service_process.requests(1)[-1]["status"] == 400


@pytest.mark.parametrize("method", ["HEAD", "PUT", "DELETE", "TRACE", "PATCH"])
def test_other_methods_get_a_logged_json_405(service_process: ServiceProcess, method: str) -> None:
    reply = call(service_process.port, method, "/payments")
    assert reply.status == 405
    assert reply.headers["allow"] == "POST"
    if method != "HEAD":
        assert reply.body["error"]["code"] == "method_not_allowed"
    assert service_process.requests(1)[-1]["status"] == 405


@pytest.mark.parametrize(
    ("head", "status"),
    [
        (JSON_POST + b"Content-Length: \xc2\xb2\r\n\r\n", 400),
        (b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20_000 + b"\r\n\r\n", 431),
        (b"GET /health HTTP/1.1\r\nHost: x\r\nX-Folded: a\r\n b\r\n\r\n", 400),
    ],
    ids=["non-ASCII Content-Length", "oversized header", "folded header"],
)
def test_requests_the_parser_refuses_get_a_logged_json_answer(
    service_process: ServiceProcess, head: bytes, status: int
) -> None:
    answer = raw_exchange(service_process.port, head)
    assert answer.startswith(f"HTTP/1.1 {status} ".encode()), answer[:80]
    assert b"application/json" in answer.split(b"\r\n\r\n", 1)[0]
    assert b"X-Folded" not in answer
    logged = service_process.wait_for(lambda line: line.get("message") == "request" and line["status"] == status)
    assert logged


# --- unbounded ----------------------------------------------------------------------------------------------


def test_a_slow_body_is_cut_off_at_the_request_deadline(bounded: ServiceProcess) -> None:
    """A body sent one byte every few seconds held a thread indefinitely."""
    tls = open_tls(bounded.port)
    tls.sendall(JSON_POST + b"Content-Length: 80\r\n\r\n{")
    started = time.monotonic()
    answer = b""
    tls.settimeout(5)
    while b"\r\n\r\n" not in answer:
        chunk = tls.recv(4096)
        if not chunk:
            break
        answer += chunk
    elapsed = time.monotonic() - started
    tls.close()
    assert answer.startswith(b"HTTP/1.1 408 "), answer[:80]
    assert elapsed < 2


def test_connections_beyond_the_limit_are_refused_while_the_others_are_served(bounded: ServiceProcess) -> None:
    """One thread per connection and no cap: 2,000 connections made 1,869 threads."""
    service = bounded
    held = [open_tls(service.port) for _ in range(8)]
    try:
        extra = raw_exchange(service.port, b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        assert extra.startswith(b"HTTP/1.1 503 "), extra[:80]
        held[0].sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        assert held[0].recv(4096).startswith(b"HTTP/1.1 200 ")
    finally:
        for tls in held:
            tls.close()


def test_work_beyond_the_in_flight_limit_gets_a_fast_503(bounded: ServiceProcess) -> None:
    """Requests queued without bound; shedding keeps the accepted ones fast."""
    service = bounded
    slow = open_tls(service.port)
    try:
        # In flight until its body arrives.
        slow.sendall(JSON_POST + b"Content-Length: 90\r\n\r\n{")
        time.sleep(0.1)
        started = time.monotonic()
        reply = call(service.port, "POST", "/payments", payment("shed-while-full"))
        assert reply.status == 503
        assert reply.body["error"]["code"] == "overloaded"
        assert reply.headers["retry-after"] == "1"
        assert time.monotonic() - started < 0.3
        # The load balancer's health check is never shed: a loaded target must not be taken out of service.
        assert call(service.port, "GET", "/health").status == 200
    finally:
        slow.close()
    logged = service.wait_for(lambda line: line.get("status") == 503 and line.get("message") == "request")
    assert [line["path"] for line in logged if line.get("status") == 503] == ["/payments"]


def test_shutdown_ends_within_the_drain_time_with_exit_0_despite_a_slow_client(tmp_path: Path) -> None:
    """With one slow client the process exited 41.9 s after SIGTERM with exit code 1, past ECS's 30 s."""
    service = start_process(tmp_path, drain_seconds=3, extra={"REQUEST_TIMEOUT_SECONDS": "1"})
    slow = open_tls(service.port)
    slow.sendall(b"POST /payments HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 90\r\n\r\n{")
    keep_sending = threading.Event()

    def trickle() -> None:
        while not keep_sending.wait(0.5):
            try:
                slow.sendall(b" ")
            except OSError:
                return

    threading.Thread(target=trickle, daemon=True).start()
    started = time.monotonic()
    service.process.send_signal(signal.SIGTERM)
    code = service.process.wait(10)
    keep_sending.set()
    slow.close()
    assert code == 0
    assert time.monotonic() - started <= 3.5


def test_new_connections_are_served_while_draining(tmp_path: Path) -> None:
    """New connections were refused at once after SIGTERM; the ALB may still send some until it deregisters."""
    service = start_process(tmp_path, drain_seconds=6, extra={"DRAIN_QUIET_SECONDS": "0.8"})
    with service.connection() as connection:
        call(service.port, "GET", "/health", connection=connection)
        service.process.send_signal(signal.SIGTERM)
        time.sleep(0.1)
        reply = call(service.port, "GET", "/health")
        accepted = call(service.port, "POST", "/payments", payment("during-drain"))
    assert reply.status == 503  # the ALB takes the task out of service
    assert accepted.status == 201  # and what still arrives is served
    assert accepted.headers["connection"] == "close"
    assert service.process.wait(10) == 0


# --- lenient parsing and request smuggling ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "amount",
    ["1E+6", "1_000", " 12 ", "\u0661\u0662\u0663", "12.340", "12.3", "+12", "012", "0", "-1", "12.", ".5", "1e2"],
)
def test_only_canonical_decimal_amounts_are_accepted(service_process: ServiceProcess, amount: str) -> None:
    key = "amount-" + amount.encode().hex()
    reply = call(service_process.port, "POST", "/payments", payment(key, amount=amount))
    assert (reply.status, reply.body["error"]["code"]) == (400, "invalid_amount")


def test_integer_json_amounts_are_refused(service_process: ServiceProcess) -> None:
    reply = call(service_process.port, "POST", "/payments", payment("integer-amount", amount=12))
    assert (reply.status, reply.body["error"]["code"]) == (400, "invalid_amount")


def test_duplicate_json_keys_are_refused(service_process: ServiceProcess) -> None:
    body = b'{"amount": "1.00", "amount": "1000.00", "currency": "EUR", "idempotency_key": "duplicate-keys"}'
    reply = call(service_process.port, "POST", "/payments", body)
    assert (reply.status, reply.body["error"]["code"]) == (400, "invalid_json")


def test_an_idempotency_key_with_a_trailing_newline_is_refused(service_process: ServiceProcess) -> None:
    reply = call(service_process.port, "POST", "/payments", payment("trailing-newline\n"))
    assert (reply.status, reply.body["error"]["code"]) == (400, "invalid_idempotency_key")


def test_a_request_with_both_transfer_encoding_and_content_length_is_refused(service_process: ServiceProcess) -> None:
    """A body framed by Content-Length despite `Transfer-Encoding: chunked`, followed in the same write by a
    second request, produced two 201s: a smuggled second payment."""
    first = json.dumps(payment("framed-by-length")).encode()
    smuggled = json.dumps(payment("smuggled")).encode()
    request = (
        b"POST /payments HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
        + f"Content-Length: {len(first)}\r\n\r\n".encode()
        + first
        + b"POST /payments HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {len(smuggled)}\r\n\r\n".encode()
        + smuggled
    )
    answer = raw_exchange(service_process.port, request)
    assert answer.startswith(b"HTTP/1.1 400 "), answer[:80]
    assert b" 201 " not in answer
    service_process.requests(1)
    assert not [line for line in service_process.lines() if line.get("message") == "payment committed"]


def test_duplicate_content_length_is_refused(service_process: ServiceProcess) -> None:
    body = json.dumps(payment("double-length")).encode()
    head = f"POST /payments HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
    answer = raw_exchange(service_process.port, (head + f"Content-Length: {len(body)}\r\n\r\n").encode() + body)
    assert answer.startswith(b"HTTP/1.1 400 ")


# --- card data in logs --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path"), [("POST", f"/payments?pan={PAN}"), ("GET", f"/nowhere?pan={PAN}")])
def test_the_query_string_is_neither_logged_nor_echoed(service_process: ServiceProcess, method: str, path: str) -> None:
    reply = call(service_process.port, method, path, payment("query-string") if method == "POST" else None)
    assert PAN not in json.dumps(reply.body)
    service_process.wait_for(lambda line: line.get("message") == "request")
    assert PAN not in service_process.text()


@pytest.mark.parametrize("given", [f"{PAN} injected", PAN, "4111-1111-1111-1111", f"order:{PAN}"])
def test_client_supplied_ids_are_logged_only_when_well_formed_and_free_of_card_numbers(
    service_process: ServiceProcess, given: str
) -> None:
    reply = call(service_process.port, "GET", "/health", headers={"X-Request-Id": given})
    (line,) = service_process.requests(1)
    assert line["request_id"] == reply.headers["x-request-id"] != given
    assert "1111" not in service_process.text()


@pytest.mark.parametrize("key", [PAN, "4111-1111-1111-1111", "5500005555555559", f"ref-{PAN}"])
def test_a_card_number_as_idempotency_key_is_refused_and_never_stored_or_logged(
    service_process: ServiceProcess, key: str
) -> None:
    """The key is logged with the payment and kept in the ledger: a card number there is card data at rest."""
    reply = call(service_process.port, "POST", "/payments", payment(key))
    assert (reply.status, reply.body["error"]["code"]) == (400, "invalid_idempotency_key")
    service_process.requests(1)
    assert key not in service_process.text()
    assert "1111" not in json.dumps(reply.body)


def test_a_card_number_in_any_other_field_is_refused_unseen(service_process: ServiceProcess) -> None:
    reply = call(service_process.port, "POST", "/payments", payment("card-field") | {"card_number": PAN})
    assert (reply.status, reply.body["error"]["code"]) == (400, "unknown_field")
    service_process.requests(1)
    assert PAN not in service_process.text() + json.dumps(reply.body)


def test_requests_without_a_verified_client_are_refused_when_mutual_tls_is_on(mutual_tls: ServiceProcess) -> None:
    reply = call(mutual_tls.port, "POST", "/payments", payment("no-client"))
    assert (reply.status, reply.body["error"]["code"]) == (401, "client_certificate_required")


# --- concurrency --------------------------------------------------------------------------------------------


def test_fifty_parallel_requests_with_one_key_on_two_tasks_make_one_payment(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.db"
    tasks = [start_process(tmp_path / name, ledger=ledger) for name in ("a", "b")]
    replies = fifty_at_once(tasks)
    assert {reply.status for reply in replies} == {201}
    assert len({reply.body["payment_id"] for reply in replies}) == 1
