"""Start the real service, `python -m payments_service`, on loopback, and talk to it as the ALB does."""

from __future__ import annotations

import contextlib
import dataclasses
import http.client
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

SERVICE_ROOT = Path(__file__).resolve().parents[1]
# A test card number (Visa's), never a real one: it must appear in no log line and no answer.
PAN = "4111111111111111"
CLIENT_HEADER = "X-Amzn-Mtls-Clientcert-Subject"


def client_context() -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the service's certificate is self-signed, like behind the ALB
    return context


def open_tls(port: int, timeout: float = 10) -> ssl.SSLSocket:
    return client_context().wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=timeout))


def raw_exchange(port: int, request: bytes, timeout: float = 5) -> bytes:
    """Send raw bytes on a new TLS connection; everything the service answers until it closes or goes quiet."""
    tls = open_tls(port, timeout)
    answer = b""
    try:
        tls.sendall(request)
        tls.settimeout(timeout)
        while True:
            chunk = tls.recv(65536)
            if not chunk:
                break
            answer += chunk
            if b"\r\n\r\n" in answer and answer.endswith((b"}", b"\r\n\r\n")):
                tls.settimeout(0.3)
    except (TimeoutError, ssl.SSLError, ConnectionResetError):
        pass
    finally:
        tls.close()
    return answer


def payment(key: str, *, amount: Any = "12.34", currency: str = "EUR") -> dict[str, Any]:
    return {"amount": amount, "currency": currency, "idempotency_key": key}


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: dict[str, Any]


def call(
    port: int,
    method: str,
    path: str,
    body: dict[str, Any] | bytes | None = None,
    headers: dict[str, str] | None = None,
    connection: http.client.HTTPSConnection | None = None,
    client: str | None = None,
) -> Reply:
    """One request; `client` is the subject the ALB forwards after verifying a client certificate."""
    own = connection is None
    connection = connection or http.client.HTTPSConnection("127.0.0.1", port, timeout=10, context=client_context())
    payload = json.dumps(body).encode() if isinstance(body, dict) else body
    sent = {"Content-Type": "application/json"} if payload is not None else {}
    if client is not None:
        sent[CLIENT_HEADER] = client
    connection.request(method, path, body=payload, headers=sent | (headers or {}))
    response = connection.getresponse()
    raw = response.read()
    if own:
        connection.close()
    return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, json.loads(raw) if raw else {})


@dataclass(frozen=True)
class ServiceProcess:
    process: subprocess.Popen[bytes]
    port: int
    log: Path
    # Where this view of the log starts: a test sharing a process sees only its own lines.
    offset: int = 0

    def text(self) -> str:
        with self.log.open("rb") as log:
            log.seek(self.offset)
            return log.read().decode()

    def lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.text().splitlines() if line.startswith("{")]

    def view(self) -> ServiceProcess:
        """This process, with the log read from after a marker request of its own. The previous test's last
        line may still be on its way when this test begins; the process logs requests in the order it finishes
        them, so every earlier line is written before the marker's."""
        marker = f"view-{uuid.uuid4().hex}"
        call(self.port, "GET", "/health", headers={"X-Request-Id": marker})
        deadline = time.monotonic() + 5
        while (at := (content := self.log.read_bytes()).find(marker.encode())) < 0 or b"\n" not in content[at:]:
            if time.monotonic() > deadline:
                raise AssertionError(f"the marker request {marker} was not logged")
            time.sleep(0.01)
        return dataclasses.replace(self, offset=content.index(b"\n", at) + 1)

    def wait_for(self, found: Callable[[dict[str, Any]], bool], timeout: float = 5) -> list[dict[str, Any]]:
        """The log lines, once one of them satisfies `found`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            lines = self.lines()
            if any(found(line) for line in lines):
                return lines
            time.sleep(0.05)
        raise AssertionError(f"no such log line within {timeout} s:\n{self.text()[-3000:]}")

    def matching(self, found: Callable[[dict[str, Any]], bool], count: int, timeout: float = 5) -> list[dict[str, Any]]:
        """The log lines satisfying `found`, once there are `count` (a request's line follows its answer)."""
        deadline = time.monotonic() + timeout
        while len(matched := [line for line in self.lines() if found(line)]) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(matched)} of {count} such log lines in {timeout} s:\n{self.text()[-3000:]}")
            time.sleep(0.05)
        return matched

    def requests(self, count: int) -> list[dict[str, Any]]:
        """The per-request log lines, once there are `count`."""
        return self.matching(lambda line: line.get("message") == "request", count)

    def requests_from(self, request_id: str, count: int, timeout: float = 5) -> list[dict[str, Any]]:
        """`count` per-request log lines, starting at the one of `request_id`: a shared process may still be
        writing the previous test's last line when this test's view of the log begins."""
        deadline = time.monotonic() + timeout
        while True:
            lines = [line for line in self.lines() if line.get("message") == "request"]
            first = next((i for i, line in enumerate(lines) if line.get("request_id") == request_id), None)
            if first is not None and len(lines) - first >= count:
                return lines[first : first + count]
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"no {count} request lines from {request_id} in {timeout} s:\n{self.text()[-3000:]}"
                )
            time.sleep(0.05)

    @contextlib.contextmanager
    def connection(self) -> Iterator[http.client.HTTPSConnection]:
        connection = http.client.HTTPSConnection("127.0.0.1", self.port, timeout=10, context=client_context())
        try:
            yield connection
        finally:
            connection.close()

    def stop(self) -> int:
        """Shut down without the drain's quiet period: a second signal goes straight to the last phase."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            time.sleep(0.05)
            if self.process.poll() is None:
                self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait(5)


def service_environment(
    directory: Path,
    *,
    ledger: Path | str | None = None,
    drain_seconds: float = 10,
    client_auth: str = "off",
    extra: dict[str, str] | None = None,
) -> dict[str, str]:
    if ledger is None:
        ledger = directory / "ledger.db"
    return os.environ | {
        "BIND_ADDRESS": "127.0.0.1",
        "PORT": "0",
        "TLS_DIR": str(directory / "tls"),
        "SERVICE_NAME": "payments",
        "ENVIRONMENT": "test",
        "METRICS_NAMESPACE": "payments/test",
        "DRAIN_SECONDS": str(drain_seconds),
        "LEDGER": ledger if isinstance(ledger, str) else f"sqlite:{ledger}",
        "CLIENT_AUTH": client_auth,
        "REQUEST_TIMEOUT_SECONDS": "2",
        "DRAIN_QUIET_SECONDS": "0.3",
        "PYTHONPATH": str(SERVICE_ROOT),
        **(extra or {}),
    }


def start_process(
    directory: Path,
    *,
    ledger: Path | str | None = None,
    drain_seconds: float = 10,
    client_auth: str = "off",
    cpu: int | None = None,
    extra: dict[str, str] | None = None,
    command: list[str] | None = None,
) -> ServiceProcess:
    """`python -m payments_service` on a free loopback port, optionally pinned to one CPU core.

    `ledger`: a SQLite file (shared by every process given the same one) or `dynamodb:TABLE`;
    `command`: another way to start it, e.g. with a test double around it.
    """
    directory.mkdir(parents=True, exist_ok=True)
    environment = service_environment(
        directory, ledger=ledger, drain_seconds=drain_seconds, client_auth=client_auth, extra=extra
    )
    log = directory / "service.log"
    with log.open("wb") as stdout:
        process = subprocess.Popen(
            command or [sys.executable, "-m", "payments_service"],
            env=environment,
            stdout=stdout,
            stderr=subprocess.STDOUT,
            preexec_fn=(lambda: os.sched_setaffinity(0, {cpu})) if cpu is not None else None,
        )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        for line in log.read_text().splitlines():
            if line.startswith("{") and json.loads(line).get("message") == "listening":
                return ServiceProcess(process=process, port=int(json.loads(line)["port"]), log=log)
        if process.poll() is not None:
            break
        time.sleep(0.05)
    process.kill()
    raise AssertionError(f"service did not start: exit code {process.poll()}\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="session")
def shared_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcess]:
    started = start_process(tmp_path_factory.mktemp("shared"))
    yield started
    started.stop()


@pytest.fixture
def service_process(shared_service: ServiceProcess) -> ServiceProcess:
    """The session's service process, with a log view of this test's lines (keys are unique per test)."""
    return shared_service.view()


@pytest.fixture(scope="session")
def shared_mutual_tls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcess]:
    started = start_process(tmp_path_factory.mktemp("mutual-tls"), client_auth="mutual-tls")
    yield started
    started.stop()


@pytest.fixture
def mutual_tls(shared_mutual_tls: ServiceProcess) -> ServiceProcess:
    """The service as it runs behind a load balancer that verifies client certificates."""
    return shared_mutual_tls.view()


@pytest.fixture(scope="session")
def shared_bounded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcess]:
    limits = {"MAX_CONNECTIONS": "8", "MAX_IN_FLIGHT": "1", "REQUEST_TIMEOUT_SECONDS": "0.5"}
    started = start_process(tmp_path_factory.mktemp("bounded"), extra=limits)
    yield started
    started.stop()


@pytest.fixture
def bounded(shared_bounded: ServiceProcess) -> ServiceProcess:
    """A process with small limits: 8 connections, 1 request in flight, 0.5 s for a request to arrive."""
    return shared_bounded.view()


def fifty_at_once(tasks: list[ServiceProcess]) -> list[Reply]:
    """Fifty payments with one key, sent at once, alternately to each task; then the tasks are stopped."""
    try:
        with ThreadPoolExecutor(50) as pool:
            return list(
                pool.map(lambda n: call(tasks[n % 2].port, "POST", "/payments", payment("fifty-at-once")), range(50))
            )
    finally:
        for task in tasks:
            task.stop()
