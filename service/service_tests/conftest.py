"""Start the real service on loopback: in this process (for inspection) or as `python -m payments_service`."""

from __future__ import annotations

import http.client
import io
import json
import os
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from payments_service.payments import PaymentLedger
from payments_service.server import PaymentServer
from payments_service.telemetry import Telemetry
from payments_service.tls import self_signed_context

SERVICE_ROOT = Path(__file__).resolve().parents[1]


def client_context() -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the service's certificate is self-signed, like behind the ALB
    return context


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
) -> Reply:
    own = connection is None
    connection = connection or http.client.HTTPSConnection("127.0.0.1", port, timeout=10, context=client_context())
    payload = json.dumps(body).encode() if isinstance(body, dict) else body
    sent = {"Content-Type": "application/json"} if payload is not None else {}
    connection.request(method, path, body=payload, headers=sent | (headers or {}))
    response = connection.getresponse()
    raw = response.read()
    if own:
        connection.close()
    return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, json.loads(raw))


@dataclass
class InProcessService:
    port: int
    server: PaymentServer
    output: io.StringIO

    def lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.output.getvalue().splitlines()]


@pytest.fixture
def service(tmp_path: Path) -> Iterator[InProcessService]:
    output = io.StringIO()
    telemetry = Telemetry(service="payments", environment="test", namespace="PaymentService/test", stream=output)
    server = PaymentServer(
        ("127.0.0.1", 0), ssl_context=self_signed_context(tmp_path), ledger=PaymentLedger(), telemetry=telemetry
    )
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield InProcessService(port=server.server_address[1], server=server, output=output)
    if not server.draining.is_set():
        server.drain(5)


@dataclass
class ServiceProcess:
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    def lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.log.read_text().splitlines()]


def start_process(tmp_path: Path, *, cpu: int | None = None, drain_seconds: float = 10) -> ServiceProcess:
    """`python -m payments_service` on a free loopback port, optionally pinned to one CPU core."""
    environment = os.environ | {
        "BIND_ADDRESS": "127.0.0.1",
        "PORT": "0",
        "TLS_DIR": str(tmp_path / "tls"),
        "ENVIRONMENT": "test",
        "DRAIN_SECONDS": str(drain_seconds),
        "PYTHONPATH": str(SERVICE_ROOT),
    }
    log = tmp_path / "service.log"
    with log.open("wb") as stdout:
        process = subprocess.Popen(
            [sys.executable, "-m", "payments_service"],
            env=environment,
            stdout=stdout,
            preexec_fn=(lambda: os.sched_setaffinity(0, {cpu})) if cpu is not None else None,
        )
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        lines = log.read_text().splitlines()
        if lines:
            first = json.loads(lines[0])
            assert first["message"] == "listening", first
            return ServiceProcess(process=process, port=int(first["port"]), log=log)
        if process.poll() is not None:
            break
        time.sleep(0.05)
    process.kill()
    raise AssertionError(f"service did not start: exit code {process.poll()}")


@pytest.fixture
def service_process(tmp_path: Path) -> Iterator[ServiceProcess]:
    started = start_process(tmp_path)
    yield started
    if started.process.poll() is None:
        started.process.kill()
    started.process.wait(10)
