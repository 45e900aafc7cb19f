"""The service's settings, all from the task definition's environment, checked before anything starts.

The infrastructure derives these from one place (`components/container_contract.py`), so that the
relations below hold in every deployed task: the request deadline and the keep-alive outlast the load
balancer's own timeouts where they must, and the whole shutdown fits inside ECS's stop timeout.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum


class ClientAuth(StrEnum):
    # The load balancer verifies each client certificate and forwards its subject; required on every payment.
    MUTUAL_TLS = "mutual-tls"
    # No client identity (a development profile that holds no card data): every caller is one client.
    OFF = "off"


class ConfigError(Exception):
    """A setting is missing or wrong; the message names it, its value and what is allowed."""


@dataclass(frozen=True)
class ServiceConfig:
    service: str
    environment: str
    metrics_namespace: str
    bind_address: str
    port: int
    tls_dir: str
    ledger: str
    # The task's region (ECS sets AWS_REGION); where the ledger table is.
    aws_region: str
    client_auth: ClientAuth
    idempotency_ttl_seconds: int
    # SIGTERM to exit, at most: ECS kills the container at its stop timeout, which is longer.
    drain_seconds: float
    # While draining, no request (other than health checks) for this long means the load balancer has let go.
    drain_quiet_seconds: float
    # A request's headers and body must arrive within this; also the longest a request may take to finish.
    request_timeout_seconds: float
    # Idle keep-alive connections live this long; longer than the load balancer's idle timeout, so that the
    # load balancer, not the task, closes them (otherwise a request can race the close and get a 502).
    keep_alive_seconds: float
    max_connections: int
    max_in_flight: int
    max_header_bytes: int
    max_body_bytes: int

    @property
    def finish_seconds(self) -> float:
        """How long the last phase of a shutdown may take: requests already started finish or are cut."""
        return self.request_timeout_seconds + 0.5

    @property
    def accept_seconds(self) -> float:
        """How long a draining task keeps accepting new requests (the load balancer may still send some)."""
        return self.drain_seconds - self.finish_seconds


LEDGER_PATTERN = re.compile(r"^(dynamodb:[A-Za-z0-9_.-]{3,255}|sqlite:/.+)$")


def from_environment(environ: Mapping[str, str]) -> ServiceConfig:
    """The configuration, or a ConfigError naming every setting that is wrong."""
    problems: list[str] = []

    def text(name: str, default: str | None = None) -> str:
        value = environ.get(name, default)
        if value is None or value == "":
            problems.append(f"{name}: not set")
            return ""
        return value

    def number(name: str, default: str, low: float, high: float) -> float:
        raw = environ.get(name, default)
        try:
            value = float(raw)
        except ValueError:
            problems.append(f"{name}: {raw!r} is not a number")
            return low
        if not low <= value <= high:
            problems.append(f"{name}: {raw} is outside {low:g}..{high:g}")
        return value

    ledger = text("LEDGER")
    if ledger and not LEDGER_PATTERN.match(ledger):
        problems.append(f"LEDGER: {ledger!r} is neither dynamodb:TABLE nor sqlite:/ABSOLUTE/PATH")
    aws_region = environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION") or ""
    if ledger.startswith("dynamodb:") and not aws_region:
        problems.append("AWS_REGION: not set, and the ledger is a DynamoDB table")
    client_auth = environ.get("CLIENT_AUTH", ClientAuth.MUTUAL_TLS.value)
    if client_auth not in set(ClientAuth):
        problems.append(f"CLIENT_AUTH: {client_auth!r} is not one of {[mode.value for mode in ClientAuth]}")
    config = ServiceConfig(
        service=text("SERVICE_NAME", "payments"),
        environment=text("ENVIRONMENT", "local"),
        metrics_namespace=text("METRICS_NAMESPACE", "payments/local"),
        bind_address=text("BIND_ADDRESS", "0.0.0.0"),  # the task's only interface, behind its security group
        port=int(number("PORT", "8443", 0, 65535)),
        tls_dir=text("TLS_DIR", "/tmp/tls"),
        ledger=ledger,
        aws_region=aws_region,
        client_auth=ClientAuth(client_auth) if client_auth in set(ClientAuth) else ClientAuth.MUTUAL_TLS,
        idempotency_ttl_seconds=int(number("IDEMPOTENCY_TTL_SECONDS", "86400", 60, 366 * 86400)),
        drain_seconds=number("DRAIN_SECONDS", "25", 1, 3600),
        drain_quiet_seconds=number("DRAIN_QUIET_SECONDS", "1", 0.1, 60),
        request_timeout_seconds=number("REQUEST_TIMEOUT_SECONDS", "10", 0.1, 300),
        keep_alive_seconds=number("KEEP_ALIVE_SECONDS", "65", 1, 4000),
        max_connections=int(number("MAX_CONNECTIONS", "1000", 1, 100_000)),
        max_in_flight=int(number("MAX_IN_FLIGHT", "32", 1, 10_000)),
        max_header_bytes=int(number("MAX_HEADER_BYTES", "8192", 1024, 65536)),
        max_body_bytes=int(number("MAX_BODY_BYTES", "16384", 256, 1_048_576)),
    )
    if not problems and config.accept_seconds < 0:
        problems.append(
            f"DRAIN_SECONDS: {config.drain_seconds:g} leaves no time to finish requests; it must exceed "
            f"REQUEST_TIMEOUT_SECONDS + 0.5 ({config.finish_seconds:g})"
        )
    if problems:
        raise ConfigError("; ".join(problems))
    return config
