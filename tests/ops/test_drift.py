"""ops/drift.py against CloudFormation's drift API as botocore's Stubber answers it (moto does not implement drift
detection): a stack in sync passes, a drifted one fails naming each resource and property, a detection that does
not finish or cannot check everything is a warning, never a pass."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from ops.checks import FAIL, PASS, WARN, table
from ops.drift import DRIFTED, drift, stack_drift

STACK = "payments-prod-Compute"
DETECTION = "b78ac9b0-dec1-11e7-a451-503a3e7b9a4d"
# The preference health check after `ops failover`, as CloudFormation reports it.
THRESHOLD_CHANGED = {
    "StackId": f"arn:aws:cloudformation:us-east-1:333333333333:stack/{STACK}/1",
    "LogicalResourceId": "FailoverPreference9A1B2C3D",
    "PhysicalResourceId": "7d1c0a4e-1111-2222-3333-444455556666",
    "ResourceType": "AWS::Route53::HealthCheck",
    "StackResourceDriftStatus": "MODIFIED",
    "Timestamp": datetime(2026, 11, 29, tzinfo=UTC),
    "PropertyDifferences": [
        {"PropertyPath": "/HealthCheckConfig/HealthThreshold", "ExpectedValue": "1", "ActualValue": "2",
         "DifferenceType": "NOT_EQUAL"},
    ],
}  # fmt: skip
EGRESS_ADDED = {
    "StackId": f"arn:aws:cloudformation:us-east-1:333333333333:stack/{STACK}/1",
    "LogicalResourceId": "PaymentsSecurityGroupF90EE9C3",
    "PhysicalResourceId": "sg-0123456789abcdef0",
    "ResourceType": "AWS::EC2::SecurityGroup",
    "StackResourceDriftStatus": "MODIFIED",
    "Timestamp": datetime(2026, 11, 29, tzinfo=UTC),
    "PropertyDifferences": [
        {"PropertyPath": "/SecurityGroupEgress/3", "ExpectedValue": "",
         "ActualValue": '{"CidrIp":"0.0.0.0/0","IpProtocol":"-1"}', "DifferenceType": "ADD"},
    ],
}  # fmt: skip


def status(state: str, drift_status: str | None = None, **extra: Any) -> dict[str, Any]:
    found = {
        "StackId": f"arn:aws:cloudformation:us-east-1:333333333333:stack/{STACK}/1",
        "StackDriftDetectionId": DETECTION,
        "DetectionStatus": state,
        "Timestamp": datetime(2026, 11, 29, tzinfo=UTC),
    }
    return found | ({"StackDriftStatus": drift_status} if drift_status else {}) | extra


def stubbed(statuses: list[dict[str, Any]], drifts: list[dict[str, Any]] | None) -> tuple[Any, Stubber]:
    """A CloudFormation client answering one detection: its statuses in turn, then the drifted resources."""
    client = boto3.client("cloudformation", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    stubber = Stubber(client)
    stubber.add_response("detect_stack_drift", {"StackDriftDetectionId": DETECTION}, {"StackName": STACK})
    for answer in statuses:
        stubber.add_response("describe_stack_drift_detection_status", answer, {"StackDriftDetectionId": DETECTION})
    if drifts is not None:
        stubber.add_response(
            "describe_stack_resource_drifts",
            {"StackResourceDrifts": drifts},
            {"StackName": STACK, "StackResourceDriftStatusFilters": DRIFTED},
        )
    stubber.activate()
    return client, stubber


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def detect(statuses: list[dict[str, Any]], drifts: list[dict[str, Any]] | None, timeout: float = 600) -> Any:
    client, stubber = stubbed(statuses, drifts)
    clock = Clock()
    check = stack_drift(client, STACK, timeout=timeout, sleep=clock.sleep, clock=lambda: clock.now)
    stubber.assert_no_pending_responses()
    return check


def test_a_stack_in_sync_passes_after_the_detection_finishes() -> None:
    check = detect([status("DETECTION_IN_PROGRESS"), status("DETECTION_COMPLETE", "IN_SYNC")], [])
    assert (check.name, check.status, check.reason) == (STACK, PASS, "in sync with its template")


def test_a_drifted_stack_fails_naming_each_resource_and_property() -> None:
    check = detect(
        [status("DETECTION_COMPLETE", "DRIFTED", DriftedStackResourceCount=2)], [THRESHOLD_CHANGED, EGRESS_ADDED]
    )
    assert check.status == FAIL
    assert check.reason == (
        "2 drifted: FailoverPreference9A1B2C3D (AWS::Route53::HealthCheck) MODIFIED: "
        "/HealthCheckConfig/HealthThreshold not_equal: expected 1, actual 2 | "
        "PaymentsSecurityGroupF90EE9C3 (AWS::EC2::SecurityGroup) MODIFIED: /SecurityGroupEgress/3 add: "
        'expected (none), actual {"CidrIp":"0.0.0.0/0","IpProtocol":"-1"}'
    )


def test_a_detection_that_does_not_finish_is_a_warning_not_a_pass() -> None:
    check = detect([status("DETECTION_IN_PROGRESS")] * 4, None, timeout=30)
    assert (check.status, check.reason) == (WARN, f"detection {DETECTION} still running after 30 s; run again later")


@pytest.mark.parametrize(
    ("drift_status", "drifts", "expected"), [("IN_SYNC", None, WARN), ("DRIFTED", [EGRESS_ADDED], FAIL)]
)
def test_a_detection_that_could_not_check_everything_warns_unless_it_found_drift(
    drift_status: str, drifts: list[dict[str, Any]] | None, expected: str
) -> None:
    reason = "Failed to detect drift on resource [ProviderRole]: not authorized"
    check = detect([status("DETECTION_FAILED", drift_status, DetectionStatusReason=reason)], drifts)
    assert check.status == expected
    if expected == WARN:
        assert check.reason == f"detection incomplete: {reason}"


def test_every_stack_is_a_line_of_the_report() -> None:
    first, _ = stubbed([status("DETECTION_COMPLETE", "IN_SYNC")], [])
    second, _ = stubbed([status("DETECTION_COMPLETE", "DRIFTED", DriftedStackResourceCount=1)], [THRESHOLD_CHANGED])
    checks = drift([(first, STACK), (second, STACK)], sleep=lambda _: None)
    assert [check.status for check in checks] == [PASS, FAIL]
    print(table(checks))  # the README's example output (pytest -s shows it)


def test_drifted_resources_on_several_pages_are_all_reported() -> None:
    client, stubber = stubbed([status("DETECTION_COMPLETE", "DRIFTED", DriftedStackResourceCount=2)], None)
    request = {"StackName": STACK, "StackResourceDriftStatusFilters": DRIFTED}
    stubber.add_response(
        "describe_stack_resource_drifts", {"StackResourceDrifts": [THRESHOLD_CHANGED], "NextToken": "t"}, request
    )
    stubber.add_response(
        "describe_stack_resource_drifts", {"StackResourceDrifts": [EGRESS_ADDED]}, request | {"NextToken": "t"}
    )
    check = stack_drift(client, STACK, sleep=lambda _: None)
    assert check.reason.count("MODIFIED") == 2
