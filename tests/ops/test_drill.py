"""ops/drill.py against moto's in-process AWS: a stopped task is replaced and healthy in time, or it fails."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from ops.checks import FAIL, PASS
from ops.drill import drill
from tests.support.aws import (
    DeployedAlarms,
    deployed,
    dev_config,
    status,
)


def task_starter(ecs: Any) -> Any:
    """Starts a task in the cluster, as the ECS scheduler would for the service.

    moto 5.2.5 fails to start awsvpc tasks (its network interface lacks a DNS name), so these tasks use
    bridge networking; the drill only counts tasks and target health.
    """
    ecs.register_task_definition(
        family="drill", networkMode="bridge",
        containerDefinitions=[{"name": "App", "image": "app", "cpu": 512, "memory": 1024}],
    )  # fmt: skip

    def start() -> None:
        ecs.run_task(cluster="payments", taskDefinition="drill", launchType="FARGATE")

    return start


@pytest.fixture
def two_tasks(session: boto3.Session, alarms: DeployedAlarms) -> tuple[Any, Any, Any]:
    """A deployed service with its two tasks running: (ecs, elbv2, start another task)."""
    deployed(session, dev_config(), alarms)
    ecs, elbv2 = session.client("ecs"), session.client("elbv2")
    start_task = task_starter(ecs)
    for _ in range(2):
        start_task()
    return ecs, elbv2, start_task


def test_drill_stops_a_task_and_times_its_healthy_replacement(two_tasks: tuple[Any, Any, Any]) -> None:
    ecs, elbv2, start_task = two_tasks
    now = [0.0]

    def scheduler(seconds: float) -> None:
        """Stands in for ECS: the first poll finds the replacement started."""
        now[0] += seconds
        if now[0] == seconds:
            start_task()

    checks = drill(ecs, elbv2, "payments", "payments", timeout=60, poll=5, sleep=scheduler, clock=lambda: now[0])
    assert status(checks) == {"stop one task": PASS, "replacement": PASS}
    assert checks[-1].reason == "2 tasks running and healthy after 5 s"
    stopped = ecs.list_tasks(cluster="payments", desiredStatus="STOPPED")["taskArns"]
    assert len(stopped) == 1


def test_drill_fails_when_no_replacement_arrives_in_time(two_tasks: tuple[Any, Any, Any]) -> None:
    ecs, elbv2, _ = two_tasks
    now = [0.0]

    def tick(seconds: float) -> None:
        now[0] += seconds

    checks = drill(ecs, elbv2, "payments", "payments", timeout=30, poll=10, sleep=tick, clock=lambda: now[0])
    assert status(checks)["replacement"] == FAIL
