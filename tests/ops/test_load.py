"""ops/load.py: Locust sized to the asked rate, its aggregated statistics read, the service's task counts sampled
while it runs and its scaling activities read afterwards (moto); usage mistakes and prod refused in one line."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import boto3
import pytest

from ops.__main__ import main
from ops.checks import FAIL, PASS, table
from ops.load import LOADFILE, LoadResult, load_check, locust_command, read_stats, run_load
from settings import PROFILES

# Locust's `--csv` statistics, as version 2.x writes them: only the columns read here are filled meaningfully.
HEADER = (
    "Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,Min Response Time,"
    "Max Response Time,Average Content Size,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%"
)


def stats(prefix: Path, requests: int, failures: int, rps: float, p50: float, p99: float) -> None:
    row = f",Aggregated,{requests},{failures},{p50},30,5,400,120,{rps},0.0,{p50},40,45,50,60,70,90,{p99},300,400,400"
    Path(f"{prefix}_stats.csv").write_text(f"{HEADER}\nPOST,POST /payments,{requests},{failures}" + ",0" * 18
                                           + f"\n{row}\n")  # fmt: skip


def test_enough_users_hold_the_rate_each_at_an_even_share(tmp_path: Path) -> None:
    command, environment = locust_command("/bench/python", "https://payments.example.com", 23, 60, tmp_path / "l")
    assert command[:5] == ["/bench/python", "-m", "locust", "-f", str(LOADFILE)]
    assert command[command.index("--users") + 1] == "5"  # 23/s at 5 per user
    assert environment == {"LOAD_RPS_PER_USER": "4.6000"}
    assert command[command.index("--run-time") + 1] == "60s"


def test_the_aggregated_row_is_read_and_an_error_rate_above_one_percent_fails(tmp_path: Path) -> None:
    stats(tmp_path / "l", requests=3000, failures=3, rps=49.8, p50=24.0, p99=180.0)
    result = read_stats(tmp_path / "l")
    assert result == LoadResult(requests=3000, failures=3, rps=49.8, p50_ms=24.0, p99_ms=180.0)
    assert load_check(result, 50, 60).status == PASS
    assert load_check(LoadResult(1000, 20, 16.0, 30.0, 900.0), 50, 60).status == FAIL


class Locust:
    """A Locust process that runs for three samples and exits 0, its statistics written."""

    def __init__(self, prefix: Path) -> None:
        self.polls, self.returncode, self.prefix = 0, 0, prefix

    def __call__(self, command: list[str], env: dict[str, str]) -> Locust:
        assert env["LOAD_RPS_PER_USER"] == "5.0000"
        stats(self.prefix, requests=6000, failures=0, rps=49.9, p50=22.0, p99=140.0)
        return self

    def poll(self) -> int | None:
        self.polls += 1
        return None if self.polls < 3 else 0


def test_a_run_reports_the_load_and_what_scaling_did(session: boto3.Session, tmp_path: Path) -> None:
    ecs = session.client("ecs")
    ecs.create_cluster(clusterName="payments")
    ecs.register_task_definition(family="payments", containerDefinitions=[{"name": "App", "image": "a", "memory": 512}])
    ecs.create_service(cluster="payments", serviceName="payments", taskDefinition="payments", desiredCount=2)
    autoscaling = session.client("application-autoscaling")
    autoscaling.register_scalable_target(
        ServiceNamespace="ecs", ResourceId="service/payments/payments", ScalableDimension="ecs:service:DesiredCount",
        MinCapacity=2, MaxCapacity=4,
    )  # fmt: skip
    prefix = tmp_path / "l"
    command, environment = locust_command("/bench/python", "https://payments.example.com", 50, 120, prefix)
    before = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    checks = run_load(
        ecs=ecs, autoscaling=WithActivities(autoscaling, before), cluster="payments", service="payments",
        command=command, environment=environment, prefix=prefix, rps=50, duration=120, start=Locust(prefix),
        sleep=lambda _: None, now=lambda: before,
    )  # fmt: skip
    load, scaling = checks
    assert (load.status, load.reason) == (
        PASS, "6000 requests in 120 s at 49.9/s (asked 50/s), p50 22 ms, p99 140 ms, errors 0.00 %"
    )  # fmt: skip
    assert scaling.status == PASS
    assert scaling.reason == (
        "desired 2 -> 2 (peak 2), running 2 -> 2; 1 scaling activities: Setting desired count to 3."
    )
    print(table(checks))  # the README's example output (pytest -s shows it)


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        (["--rps", "0", "--duration", "60"], "error: --rps: 0 is outside 1..1000"),
        (["--rps", "10", "--duration", "5"], "error: --duration: 5 is outside 10..3600"),
    ],
)
def test_a_bound_outside_its_range_is_refused_in_one_line(
    arguments: list[str], error: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["load", "--env", "dev", *arguments]) == 2
    assert capsys.readouterr().err.strip() == error


@pytest.mark.parametrize(
    ("arguments", "refused"),
    [
        # dev's waf_payment_rate_limit is 300 payments per 5 minutes from one address.
        (["--rps", "20", "--duration", "120"], True),
        (["--rps", "1", "--duration", "300"], False),
        (["--rps", "2", "--duration", "3600"], True),
        (["--rps", "20", "--duration", "120", "-c", "config.waf_payment_rate_limit=3000"], False),
    ],
)
def test_a_run_the_wafs_payment_limit_would_block_is_refused(
    arguments: list[str], refused: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    """The load comes from one address: past the payment rule's count in 5 minutes, WAF blocks it and the run
    fails on an error rate that is the WAF's, not the service's."""
    main(["load", "--env", "dev", "--locust-python", "/nonexistent/python", *arguments])
    error = capsys.readouterr().err
    assert ("the WAF would block the run" in error) == refused


@pytest.mark.parametrize("name", [name for name, config in PROFILES.items() if config.termination_protection])
def test_load_refuses_a_protected_profile_unless_told(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["load", "--env", name, "--rps", "10", "--duration", "60"]) == 2
    assert "--allow-prod" in capsys.readouterr().err


class WithActivities:
    """moto's Application Auto Scaling, which does not implement DescribeScalingActivities: answered with one
    activity before the run (not reported) and one during it."""

    def __init__(self, client: Any, run_began: dt.datetime) -> None:
        self.client, self.began = client, run_began

    def describe_scaling_activities(self, **_: Any) -> dict[str, Any]:
        return {"ScalingActivities": [
            {"Description": "Setting desired count to 3.", "StartTime": self.began + dt.timedelta(seconds=40)},
            {"Description": "Setting desired count to 2.", "StartTime": self.began - dt.timedelta(hours=2)},
        ]}  # fmt: skip

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)
