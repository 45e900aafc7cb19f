"""Drift of the live account from the templates: CloudFormation drift detection on every stack of a profile.

`make diff` compares templates with templates; this compares each deployed resource with its template, so a
change made in the console or by a script (a security group rule, a bucket policy, an alarm action, a health
check's threshold after `ops failover`) shows. One check per stack: PASS in sync, FAIL with each drifted
resource and its property differences, WARN when CloudFormation could not finish the detection.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from ops.checks import Check, failed, passed, warned

DEFAULT_TIMEOUT_SECONDS = 600
POLL_SECONDS = 10
# What describe_stack_resource_drifts reports as a difference from the template.
DRIFTED = ["MODIFIED", "DELETED"]


def _difference(difference: dict[str, Any]) -> str:
    kind = difference.get("DifferenceType", "NOT_EQUAL")
    path = difference.get("PropertyPath", "?")
    expected, actual = difference.get("ExpectedValue", ""), difference.get("ActualValue", "")
    return f"{path} {kind.lower()}: expected {expected or '(none)'}, actual {actual or '(none)'}"


def describe_drift(drift: dict[str, Any]) -> str:
    """One drifted resource: logical id, type, status and each property difference."""
    where = f"{drift['LogicalResourceId']} ({drift['ResourceType']}) {drift['StackResourceDriftStatus']}"
    differences = [_difference(d) for d in drift.get("PropertyDifferences", [])]
    return f"{where}: {'; '.join(differences)}" if differences else where


def stack_drift(
    cloudformation: Any,
    stack: str,
    *,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    poll: float = POLL_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Check:
    """Detect the drift of one stack and report it (the check is named after the stack)."""
    detection = cloudformation.detect_stack_drift(StackName=stack)["StackDriftDetectionId"]
    deadline = clock() + timeout
    status = cloudformation.describe_stack_drift_detection_status(StackDriftDetectionId=detection)
    while status["DetectionStatus"] == "DETECTION_IN_PROGRESS" and clock() < deadline:
        sleep(poll)
        status = cloudformation.describe_stack_drift_detection_status(StackDriftDetectionId=detection)
    if status["DetectionStatus"] == "DETECTION_IN_PROGRESS":
        return warned(stack, f"detection {detection} still running after {timeout:.0f} s; run again later")
    if status["DetectionStatus"] == "DETECTION_FAILED":
        # CloudFormation could not check some resources (a type without drift support, a permission): say which.
        reason = status.get("DetectionStatusReason", "no reason given")
        if status.get("StackDriftStatus") != "DRIFTED":
            return warned(stack, f"detection incomplete: {reason}")
    drifts: list[dict[str, Any]] = []
    request: dict[str, Any] = {"StackName": stack, "StackResourceDriftStatusFilters": DRIFTED}
    while True:  # botocore has no paginator for it
        page = cloudformation.describe_stack_resource_drifts(**request)
        drifts += page["StackResourceDrifts"]
        if not page.get("NextToken"):
            break
        request["NextToken"] = page["NextToken"]
    if drifts or status.get("StackDriftStatus") == "DRIFTED":
        count = status.get("DriftedStackResourceCount", len(drifts))
        return failed(stack, f"{count} drifted: " + " | ".join(describe_drift(d) for d in drifts))
    return passed(stack, "in sync with its template")


def drift(stacks: list[tuple[Any, str]], **waits: Any) -> list[Check]:
    """`stacks`: (CloudFormation client of the stack's region, stack name) for each stack of the profile."""
    return [stack_drift(cloudformation, stack, **waits) for cloudformation, stack in stacks]
