"""components/audit_alarms.py: the audit trail's own failures reach the warning topic (PCI DSS 10.7.2)."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_sns as sns

from components.audit_alarms import (
    ARCHIVE_FRESHNESS_SECONDS,
    REPLICATION_LATENCY_SECONDS,
    AuditTrail,
    AuditTrailAlarms,
    ReplicatedBucket,
)
from components.audit_bucket import REPLICATION_RULE_ID
from settings.naming import REPLICATED_BUCKETS
from tests.support.bare import bare_stack, properties, resources, template
from tests.support.synthesized import Synthesized

PAIRS = (
    ReplicatedBucket("flow-logs-source", "flow-logs-replica"),
    ReplicatedBucket("archive-source", "archive-replica"),
)


def build(*, serves: bool) -> dict[str, Any]:
    stack = bare_stack()
    health = cloudwatch.Alarm(
        stack,
        "NoHealthyTarget",
        metric=cloudwatch.Metric(namespace="AWS/ApplicationELB", metric_name="HealthyHostCount"),
        threshold=1,
        evaluation_periods=3,
    )
    trail = AuditTrail("archive-stream", PAIRS, "app-log-group", health if serves else None)
    AuditTrailAlarms(stack, "AuditTrail", trail=trail, warning_topic=sns.Topic(stack, "Warning"))
    return template(stack)


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return build(serves=True)


def metric_alarms(document: dict[str, Any], metric: str) -> list[dict[str, Any]]:
    return [a for a in properties(document, "AWS::CloudWatch::Alarm") if a.get("MetricName") == metric]


def test_every_alarm_notifies_the_warning_topic(document: dict[str, Any]) -> None:
    (topic,) = resources(document, "AWS::SNS::Topic")
    every = [*properties(document, "AWS::CloudWatch::Alarm"), *properties(document, "AWS::CloudWatch::CompositeAlarm")]
    notifying = [a for a in every if a.get("AlarmActions") == [{"Ref": topic}]]
    # All but the healthy-target alarm the test built as the health check's input.
    assert len(notifying) == len(every) - 1 == 2 + 2 * len(PAIRS) + 1 + 1


def test_the_archive_stream_failing_or_falling_behind_is_reported(document: dict[str, Any]) -> None:
    (failing,) = metric_alarms(document, "DeliveryToS3.Success")
    (behind,) = metric_alarms(document, "DeliveryToS3.DataFreshness")
    for alarm in (failing, behind):
        assert alarm["Namespace"] == "AWS/Firehose"
        assert alarm["Dimensions"] == [{"Name": "DeliveryStreamName", "Value": "archive-stream"}]
        assert alarm["TreatMissingData"] == "notBreaching"
    assert (failing["Statistic"], failing["ComparisonOperator"], failing["Threshold"]) == (
        "Minimum",
        "LessThanThreshold",
        1,
    )
    assert (behind["Statistic"], behind["Threshold"]) == ("Maximum", ARCHIVE_FRESHNESS_SECONDS)


def test_each_replicated_bucket_failing_or_lagging_its_time_control_is_reported(document: dict[str, Any]) -> None:
    for metric, statistic, threshold in (
        ("OperationsFailedReplication", "Sum", 0),
        ("ReplicationLatency", "Maximum", REPLICATION_LATENCY_SECONDS),
    ):
        alarms = metric_alarms(document, metric)
        assert sorted(
            tuple(sorted((d["Name"], d["Value"]) for d in alarm["Dimensions"])) for alarm in alarms
        ) == sorted(
            (("DestinationBucket", p.replica), ("RuleId", REPLICATION_RULE_ID), ("SourceBucket", p.source))
            for p in PAIRS
        )
        assert {(a["Namespace"], a["Statistic"], a["Threshold"]) for a in alarms} == {("AWS/S3", statistic, threshold)}


def test_a_flood_of_log_lines_is_reported_against_the_usual_volume(document: dict[str, Any]) -> None:
    (spike,) = [a for a in properties(document, "AWS::CloudWatch::Alarm") if "ThresholdMetricId" in a]
    assert spike["ComparisonOperator"] == "GreaterThanUpperThreshold"
    (watched,) = [m["MetricStat"]["Metric"] for m in spike["Metrics"] if "MetricStat" in m]
    assert watched["MetricName"] == "IncomingBytes"
    assert watched["Dimensions"] == [{"Name": "LogGroupName", "Value": "app-log-group"}]


def test_a_serving_region_taken_out_of_dns_is_reported_and_a_pilot_light_one_is_not() -> None:
    (composite,) = properties(build(serves=True), "AWS::CloudWatch::CompositeAlarm")
    assert "NoHealthyTarget" in str(composite["AlarmRule"])
    assert properties(build(serves=False), "AWS::CloudWatch::CompositeAlarm") == []


def test_the_app_wires_its_archive_and_every_replicated_bucket(each_profile: Synthesized) -> None:
    replicas = len(REPLICATED_BUCKETS) if each_profile.config.standby_region else 0
    observability = each_profile.documents["Observability"]["Resources"].values()
    alarms = [r["Properties"] for r in observability if r["Type"] == "AWS::CloudWatch::Alarm"]
    assert len([a for a in alarms if a.get("Namespace") == "AWS/S3"]) == 2 * replicas
    assert len([a for a in alarms if a.get("Namespace") == "AWS/Firehose"]) == 2
