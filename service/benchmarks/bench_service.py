"""`make bench-service`: the service pinned to one CPU core, Locust driving it from the other.

Reports, for `GET /health` and `POST /payments` (a new idempotency key per request) at 16 and 512
connections: accepted requests per second and their p50/p90/p99, how many were shed with 503 `overloaded`
and how fast, any other answer, and the service's peak RSS; the 512-connection payments again with the
in-flight limit off, to show what shedding prevents; the RSS while 200,000 distinct keys are paid; and
`POST /payments` at 16 connections against DynamoDB (a moto server on the load's core) instead of the
in-process SQLite ledger.

Every user opens its connection before measuring starts, as the load balancer keeps its connections open,
and sends its next request as soon as the answer arrives (503s included: the worst case for shedding).
Locust records every request's status and time, so accepted and shed requests are measured apart (wrk and
hey report one latency distribution for all answers).

    python service/benchmarks/bench_service.py --service-python .venv/bin/python [--seconds 15]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import gevent
from locust import FastHttpUser, constant, events, task
from locust.env import Environment

SERVICE_ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Samples:
    accepted: list[float] = field(default_factory=list)
    shed: list[float] = field(default_factory=list)
    other: dict[str, int] = field(default_factory=dict)


SAMPLES = Samples()


@events.request.add_listener
def record(request_type: str, name: str, response_time: float, response: Any, exception: Any, **_: Any) -> None:
    if name == "connect":
        return
    status = getattr(response, "status_code", 0) if response is not None else 0
    if status in (200, 201):
        SAMPLES.accepted.append(response_time)
        return
    code = error_code(response)
    if status == 503 and code == "overloaded":
        SAMPLES.shed.append(response_time)
    else:
        key = f"{status} {code}" if status else type(exception).__name__
        SAMPLES.other[key] = SAMPLES.other.get(key, 0) + 1


def error_code(response: Any) -> str:
    """The service's error code (`{"error": {"code": ...}}`), or "-" for any other answer."""
    try:
        return str(json.loads(response.content)["error"]["code"])
    except (AttributeError, TypeError, ValueError, KeyError):
        return "-"


class Connected:
    """Users whose connection is open: each opens it with one request before the measured loop."""

    count = 0


class BenchUser(FastHttpUser):
    abstract = True
    wait_time = constant(0)
    insecure = True

    def on_start(self) -> None:
        self.client.get("/health", name="connect")
        Connected.count += 1


class HealthUser(BenchUser):
    @task
    def health(self) -> None:
        self.client.get("/health", name="/health")


class PaymentUser(BenchUser):
    @task
    def pay(self) -> None:
        body = {"amount": "12.34", "currency": "EUR", "idempotency_key": uuid.uuid4().hex}
        self.client.post("/payments", json=body, name="/payments")


# (user, scenario, connections, service settings beyond the task definition's)
SCENARIOS: list[tuple[type[FastHttpUser], str, int, dict[str, str]]] = [
    (HealthUser, "GET /health", 16, {}),
    (PaymentUser, "POST /payments", 16, {}),
    (HealthUser, "GET /health", 512, {}),
    (PaymentUser, "POST /payments", 512, {}),
    # What the in-flight limit prevents: the same load queued instead of shed.
    (PaymentUser, "POST /payments, in-flight limit off", 512, {"MAX_IN_FLIGHT": "10000"}),
]


def percentile(values: list[float], fraction: float) -> float | None:
    """The `fraction` quantile in milliseconds, rounded to 0.1; None without samples (JSON has no NaN)."""
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))], 1) if ordered else None


@dataclass
class Result:
    scenario: str
    connections: int
    seconds: float
    accepted_per_second: float
    p50_ms: float | None
    p90_ms: float | None
    p99_ms: float | None
    shed_per_second: float
    shed_p50_ms: float | None
    shed_p99_ms: float | None
    errors: dict[str, int]
    peak_rss_mib: float
    connect_seconds: float


def rss_mib(pid: int, field_name: str = "VmHWM") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field_name}:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field_name} for {pid}")


class Service:
    """`python -m payments_service` on loopback, pinned to one core, as a task runs it."""

    def __init__(self, python: str, core: int, workdir: Path, ledger: str, extra: dict[str, str] | None = None) -> None:
        log = workdir / f"service-{uuid.uuid4().hex[:6]}.log"
        environment = os.environ | {
            "BIND_ADDRESS": "127.0.0.1",
            "PORT": "0",
            "TLS_DIR": str(workdir / "tls"),
            "ENVIRONMENT": "bench",
            "LEDGER": ledger,
            "CLIENT_AUTH": "off",
            "PYTHONPATH": str(SERVICE_ROOT),
            **(extra or {}),
        }
        with log.open("wb") as output:
            self.process = subprocess.Popen(
                [python, "-m", "payments_service"],
                env=environment,
                stdout=output,
                stderr=subprocess.STDOUT,
                preexec_fn=lambda: os.sched_setaffinity(0, {core}),
            )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            for line in log.read_text().splitlines():
                if '"listening"' in line:
                    self.port = int(json.loads(line)["port"])
                    self.log = log
                    return
            time.sleep(0.05)
        raise RuntimeError(f"service did not start:\n{log.read_text()[-2000:]}")

    def stop(self) -> None:
        for _ in range(2):
            if self.process.poll() is None:
                self.process.send_signal(signal.SIGTERM)
                time.sleep(0.05)
        self.process.wait(30)


def run(user: type[FastHttpUser], service: Service, connections: int, seconds: float, scenario: str) -> Result:
    user.host = f"https://127.0.0.1:{service.port}"
    SAMPLES.accepted.clear()
    SAMPLES.shed.clear()
    SAMPLES.other.clear()
    environment = Environment(user_classes=[user], events=events)
    runner = environment.create_local_runner()
    Connected.count = 0
    opening = time.monotonic()
    runner.start(connections, spawn_rate=connections)
    # The load balancer keeps its connections open: measure once every one is open and has been used.
    while Connected.count < connections:
        if time.monotonic() - opening > 120:
            raise RuntimeError(f"only {Connected.count} of {connections} connections opened in 120 s")
        gevent.sleep(0.1)
    opened = time.monotonic() - opening
    gevent.sleep(1)
    SAMPLES.accepted.clear()
    SAMPLES.shed.clear()
    SAMPLES.other.clear()
    started = time.monotonic()
    gevent.sleep(seconds)
    elapsed = time.monotonic() - started
    accepted, shed = list(SAMPLES.accepted), list(SAMPLES.shed)
    runner.quit()
    return Result(
        scenario=scenario,
        connections=connections,
        seconds=round(elapsed, 1),
        accepted_per_second=round(len(accepted) / elapsed, 1),
        p50_ms=percentile(accepted, 0.50),
        p90_ms=percentile(accepted, 0.90),
        p99_ms=percentile(accepted, 0.99),
        shed_per_second=round(len(shed) / elapsed, 1),
        shed_p50_ms=percentile(shed, 0.50),
        shed_p99_ms=percentile(shed, 0.99),
        errors=dict(SAMPLES.other),
        peak_rss_mib=round(rss_mib(service.process.pid), 1),
        connect_seconds=round(opened, 1),
    )


def distinct_keys(service: Service, keys: int) -> dict[str, Any]:
    """RSS while `keys` payments with distinct keys are made: the service keeps nothing per key."""
    PaymentUser.host = f"https://127.0.0.1:{service.port}"
    SAMPLES.accepted.clear()
    environment = Environment(user_classes=[PaymentUser], events=events)
    runner = environment.create_local_runner()
    runner.start(16, spawn_rate=16)
    samples = []
    started = time.monotonic()
    while len(SAMPLES.accepted) < keys:
        gevent.sleep(1)
        samples.append((len(SAMPLES.accepted), round(rss_mib(service.process.pid, "VmRSS"), 1)))
    runner.quit()
    after_warmup = [rss for made, rss in samples if made >= keys // 10]
    return {
        "keys": len(SAMPLES.accepted),
        "seconds": round(time.monotonic() - started, 1),
        "rss_mib_after_first_tenth": after_warmup[0] if after_warmup else None,
        "rss_mib_at_end": samples[-1][1],
        "rss_mib_max": max(rss for _, rss in samples),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--service-python", required=True, help="the interpreter with the service's packages")
    parser.add_argument("--seconds", type=float, default=15, help="measured seconds per scenario")
    parser.add_argument("--keys", type=int, default=200_000, help="distinct keys for the memory run")
    parser.add_argument("--output", type=Path, default=Path("cdk.out/bench-service.json"))
    arguments = parser.parse_args()
    cores = sorted(os.sched_getaffinity(0))
    if len(cores) < 2:
        print("error: needs two cores: one for the service, one for the load", file=sys.stderr)
        return 2
    os.sched_setaffinity(0, set(cores[1:]))
    results: list[Result] = []
    with tempfile.TemporaryDirectory() as directory:
        workdir = Path(directory)
        for user, scenario, connections, limits in SCENARIOS:
            ledger = f"sqlite:{workdir / uuid.uuid4().hex}.db"
            service = Service(arguments.service_python, cores[0], workdir, ledger, limits)
            try:
                results.append(run(user, service, connections, arguments.seconds, scenario))
            finally:
                service.stop()
            print(json.dumps(asdict(results[-1])), file=sys.stderr)
        service = Service(arguments.service_python, cores[0], workdir, f"sqlite:{workdir / 'keys.db'}")
        try:
            memory = distinct_keys(service, arguments.keys)
        finally:
            service.stop()
        print(json.dumps(memory), file=sys.stderr)
        results.append(against_moto(arguments.service_python, cores, workdir, arguments.seconds))
        print(json.dumps(asdict(results[-1])), file=sys.stderr)
    report = {"results": [asdict(r) for r in results], "distinct_keys": memory, "cores": cores[:2]}
    arguments.output.parent.mkdir(exist_ok=True)
    arguments.output.write_text(json.dumps(report, indent=2))
    print(table(results, memory))
    return 0


def against_moto(python: str, cores: list[int], workdir: Path, seconds: float) -> Result:
    """`POST /payments` at 16 connections with the DynamoDB ledger, against a moto server on the load's core."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    endpoint = f"http://127.0.0.1:{port}"
    moto = subprocess.Popen(
        [python, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=lambda: os.sched_setaffinity(0, set(cores[1:])),
    )
    try:
        create_table(python, endpoint)
        aws = {"AWS_ENDPOINT_URL_DYNAMODB": endpoint, "AWS_REGION": "us-east-1",
               "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench"}  # fmt: skip
        service = Service(python, cores[0], workdir, "dynamodb:ledger", aws)
        try:
            return run(PaymentUser, service, 16, seconds, "POST /payments, DynamoDB ledger (moto)")
        finally:
            service.stop()
    finally:
        moto.kill()  # werkzeug's threaded server waits on its keep-alive connections after SIGTERM
        moto.wait(10)


def create_table(python: str, endpoint: str) -> None:
    script = (
        "import boto3, sys, time\n"
        "c = boto3.client('dynamodb', endpoint_url=sys.argv[1], region_name='us-east-1',"
        " aws_access_key_id='x', aws_secret_access_key='x')\n"
        "for _ in range(100):\n"
        "    try:\n        c.list_tables(); break\n"
        "    except Exception:\n        time.sleep(0.1)\n"
        "c.create_table(TableName='ledger', KeySchema=[{'AttributeName': 'pk', 'KeyType': 'HASH'}],"
        " AttributeDefinitions=[{'AttributeName': 'pk', 'AttributeType': 'S'}], BillingMode='PAY_PER_REQUEST')\n"
    )
    subprocess.run([python, "-c", script, endpoint], check=True)


def table(results: list[Result], memory: dict[str, Any]) -> str:
    lines = [
        "| Scenario | Connections | Accepted req/s | p50 | p90 | p99 | Shed 503/s | Shed p50 / p99 | Other answers "
        "| Peak RSS |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|---:|",
    ]
    for r in results:
        shed = "—" if not r.shed_per_second else f"{r.shed_p50_ms:g} / {r.shed_p99_ms:g} ms"
        other = ", ".join(f"{kind}: {count:,}" for kind, count in sorted(r.errors.items())) or "none"
        lines.append(
            f"| {r.scenario} | {r.connections} | {r.accepted_per_second:,.0f} | {r.p50_ms:g} ms | {r.p90_ms:g} ms | "
            f"{r.p99_ms:g} ms | {r.shed_per_second:,.0f} | {shed} | {other} | {r.peak_rss_mib:g} MiB |"
        )
    lines.append("")
    lines.append(
        f"RSS over {memory['keys']:,} distinct keys: {memory['rss_mib_after_first_tenth']} MiB after the first "
        f"tenth, {memory['rss_mib_at_end']} MiB at the end (max {memory['rss_mib_max']} MiB)."
    )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
