"""`python -m ops load`: a bounded load run against a deployed profile, and what the service did under it.

Locust (the bench virtualenv's, `make load`) posts payments at `rps` for `duration` seconds; meanwhile the ECS
service's desired and running counts are sampled, and afterwards its scaling activities read. One check reports
the load (requests, rate, p50, p99, error rate: FAIL above 1 %), one what scaling did. The seed's load-test
recommendations can be run with it; prod is refused unless asked.
"""

from __future__ import annotations

import csv
import math
import os
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ops.checks import Check, failed, passed

LOADFILE = Path(__file__).with_name("loadfile.py")
# What one Locust user sends a second: the users are the rate divided by it, rounded up.
RPS_PER_USER = 5.0
RPS_RANGE, DURATION_RANGE = (1, 1000), (10, 3600)
ERROR_RATE_LIMIT_PERCENT = 1.0
SAMPLE_SECONDS = 15


@dataclass(frozen=True)
class LoadResult:
    requests: int
    failures: int
    rps: float
    p50_ms: float
    p99_ms: float

    @property
    def error_percent(self) -> float:
        return 100 * self.failures / self.requests if self.requests else 100.0


def locust_command(python: str, url: str, rps: int, duration: int, prefix: Path) -> tuple[list[str], dict[str, str]]:
    """The Locust run and its environment: enough users to hold `rps`, each at an even share of it."""
    users = max(1, math.ceil(rps / RPS_PER_USER))
    command = [
        python, "-m", "locust", "-f", str(LOADFILE), "--headless", "--host", url, "--users", str(users),
        "--spawn-rate", str(users), "--run-time", f"{duration}s", "--csv", str(prefix), "--only-summary",
    ]  # fmt: skip
    return command, {"LOAD_RPS_PER_USER": f"{rps / users:.4f}"}


def read_stats(prefix: Path) -> LoadResult:
    """The aggregated row of Locust's `<prefix>_stats.csv`."""
    with Path(f"{prefix}_stats.csv").open(newline="") as stats:
        (row,) = [r for r in csv.DictReader(stats) if r["Name"] == "Aggregated"]
    return LoadResult(
        requests=int(row["Request Count"]),
        failures=int(row["Failure Count"]),
        rps=float(row["Requests/s"]),
        p50_ms=float(row["50%"]),
        p99_ms=float(row["99%"]),
    )


def load_check(result: LoadResult, rps: int, duration: int) -> Check:
    reason = (
        f"{result.requests} requests in {duration} s at {result.rps:.1f}/s (asked {rps}/s), p50 {result.p50_ms:.0f} "
        f"ms, p99 {result.p99_ms:.0f} ms, errors {result.error_percent:.2f} %"
    )
    if result.error_percent > ERROR_RATE_LIMIT_PERCENT:
        return failed("load", f"{reason}: above {ERROR_RATE_LIMIT_PERCENT:g} %")
    return passed("load", reason)


def scaling_check(samples: Sequence[tuple[int, int]], activities: Sequence[dict[str, Any]]) -> Check:
    """What the service did: desired and running tasks first and last sampled, peak desired, and the scaling
    activities Application Auto Scaling recorded during the run."""
    if not samples:
        return failed("scaling", "no sample of the service's task counts")
    (first_desired, first_running), (last_desired, last_running) = samples[0], samples[-1]
    peak = max(desired for desired, _ in samples)
    described = "; ".join(a.get("Description", "?") for a in activities) or "none"
    return passed(
        "scaling",
        f"desired {first_desired} -> {last_desired} (peak {peak}), running {first_running} -> {last_running}; "
        f"{len(activities)} scaling activities: {described}",
    )


def run_load(
    *,
    ecs: Any,
    autoscaling: Any,
    cluster: str,
    service: str,
    command: list[str],
    environment: dict[str, str],
    prefix: Path,
    rps: int,
    duration: int,
    start: Callable[..., Any] = subprocess.Popen,
    sleep: Callable[[float], None] = time.sleep,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> list[Check]:
    """Run Locust, sampling the service every SAMPLE_SECONDS until it ends; then read the results."""
    began = now()
    samples: list[tuple[int, int]] = []

    def sample() -> None:
        (found,) = ecs.describe_services(cluster=cluster, services=[service])["services"]
        samples.append((found["desiredCount"], found["runningCount"]))

    sample()
    process = start(command, env=os.environ | environment)
    while process.poll() is None:
        sleep(SAMPLE_SECONDS)
        sample()
    activities = [
        a
        for a in autoscaling.describe_scaling_activities(
            ServiceNamespace="ecs", ResourceId=f"service/{cluster}/{service}"
        )["ScalingActivities"]
        if a["StartTime"] >= began
    ]
    if process.returncode not in (0, 1):  # Locust exits 1 when any request failed: the stats say how many
        return [failed("load", f"Locust exited {process.returncode}"), scaling_check(samples, activities)]
    return [load_check(read_stats(prefix), rps, duration), scaling_check(samples, activities)]
