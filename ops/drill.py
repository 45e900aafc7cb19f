"""Failure drill: stop one running task and time its replacement until it is running and healthy."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from ops.checks import Check, failed, passed

# How long the drill waits for a healthy replacement before it fails.
DEFAULT_TIMEOUT_SECONDS = 600


def drill(
    ecs: Any,
    elbv2: Any,
    cluster: str,
    service_name: str,
    *,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    poll: float = 10,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> list[Check]:
    """Stop one task; pass once as many tasks as desired run without it and every target is healthy."""
    (service,) = ecs.describe_services(cluster=cluster, services=[service_name])["services"]
    desired = service["desiredCount"]
    group = service["loadBalancers"][0]["targetGroupArn"]
    running = ecs.list_tasks(cluster=cluster, serviceName=service_name, desiredStatus="RUNNING")["taskArns"]
    if not running:
        return [failed("stop one task", "no running task to stop")]
    victim = running[0]
    ecs.stop_task(cluster=cluster, task=victim, reason="ops drill: verify that ECS replaces a stopped task")
    checks = [passed("stop one task", victim.rsplit("/", 1)[-1])]
    started = clock()
    while clock() - started < timeout:
        sleep(poll)
        others = [
            t
            for t in ecs.list_tasks(cluster=cluster, serviceName=service_name, desiredStatus="RUNNING")["taskArns"]
            if t != victim
        ]
        states = [
            d["TargetHealth"]["State"]
            for d in elbv2.describe_target_health(TargetGroupArn=group)["TargetHealthDescriptions"]
        ]
        if len(others) >= desired and states.count("healthy") >= desired and all(s == "healthy" for s in states):
            return [
                *checks,
                passed("replacement", f"{len(others)} tasks running and healthy after {clock() - started:.0f} s"),
            ]
    return [*checks, failed("replacement", f"not running and healthy within {timeout:.0f} s")]
