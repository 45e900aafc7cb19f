"""components/service_alarms.py (with service_metrics.py): alarm dimensions are the real ALB, target group,
cluster and service; every alarm needs several bad datapoints; only the composite pages."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk import aws_sns as sns

from components.service_alarms import (
    ABOVE,
    AT_LEAST,
    BELOW,
    BREACHING,
    BUSINESS_TRAFFIC_REQUESTS,
    QUIET,
    ServiceAlarms,
    alarm_table,
)
from components.service_metrics import ServiceMetrics
from tests.support.alarms import Scenario, expression_value, idle, in_alarm, metric_stats, not_starting, serving
from tests.support.bare import REGION, bare_stack, one, resources, template
from tests.support.builders import NAMES, load_balanced_service

MIN_TASKS, MAX_TASKS = 3, 9
# How CloudFormation spells the table's operators and missing-data treatments.
COMPARISONS = {ABOVE: "GreaterThanThreshold", AT_LEAST: "GreaterThanOrEqualToThreshold", BELOW: "LessThanThreshold"}
MISSING = {QUIET: "notBreaching", BREACHING: "breaching"}
PAGING = {
    "AlbErrorRate", "TargetErrorRate", "UnhealthyTargets", "LatencyP99", "RunningTasksBelowMinimum", "TasksNotStarting",
    "NoPayments",
}  # fmt: skip


def build(*, min_tasks: int = MIN_TASKS, idle: bool = False) -> dict[str, Any]:
    stack = bare_stack()
    service = load_balanced_service(stack)
    metrics = ServiceMetrics(
        stack, "Metrics", load_balancer=service.load_balancer, payments=service.payments, names=NAMES
    )
    ServiceAlarms(
        stack,
        "Alarms",
        metrics=metrics,
        paging_topic=sns.Topic(stack, "PagingTopic"),
        warning_topic=sns.Topic(stack, "WarningTopic"),
        min_tasks=min_tasks,
        max_tasks=MAX_TASKS,
        page_alarm_name=NAMES.page_alarm,
        idle=idle,
    )
    return template(stack)


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return build()


def alarms(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Alarm name (construct id) -> properties."""
    found = {}
    for resource in resources(document, "AWS::CloudWatch::Alarm").values():
        name = resource["Metadata"]["aws:cdk:path"].split("/")[-2]
        found[name] = resource["Properties"]
    return found


def only(document: dict[str, Any], resource_type: str) -> str:
    (logical_id,) = resources(document, resource_type)
    return logical_id


def test_alarm_dimensions_are_the_real_alb_target_group_cluster_and_service(document: dict[str, Any]) -> None:
    """The earlier version used bare ids and its ALB alarms could never fire: every dimension names a resource."""
    alb, group = (
        only(document, "AWS::ElasticLoadBalancingV2::LoadBalancer"),
        only(document, "AWS::ElasticLoadBalancingV2::TargetGroup"),
    )
    cluster, service = only(document, "AWS::ECS::Cluster"), only(document, "AWS::ECS::Service")
    (listener,) = [
        lid
        for lid, r in resources(document, "AWS::ElasticLoadBalancingV2::Listener").items()
        if r["Properties"]["Port"] == 443
    ]
    alb_by_listener = {"Fn::Select": [1, {"Fn::Split": ["/", {"Ref": listener}]}]}
    checked = 0
    for name, alarm in alarms(document).items():
        for metric in metric_stats(alarm):
            dimensions = {d["Name"]: d["Value"] for d in metric["Dimensions"]}
            namespace = metric["Namespace"]
            if namespace == "AWS/ApplicationELB":
                balancer = dimensions.pop("LoadBalancer")
                assert (
                    balancer == {"Fn::GetAtt": [alb, "LoadBalancerFullName"]}
                    or alb_by_listener in balancer["Fn::Join"][1]
                ), name
                if "TargetGroup" in dimensions:
                    assert dimensions.pop("TargetGroup") == {"Fn::GetAtt": [group, "TargetGroupFullName"]}
            elif namespace in ("AWS/ECS", "ECS/ContainerInsights"):
                assert dimensions.pop("ClusterName") == {"Ref": cluster}
                assert dimensions.pop("ServiceName") == {"Fn::GetAtt": [service, "Name"]}
            elif namespace == "AWS/WAFV2":
                assert (dimensions.pop("WebACL"), dimensions.pop("Region")) == (NAMES.web_acl, REGION)
                assert dimensions.pop("Rule") == "ALL"
            else:
                # Business metrics: exactly what the container is told to emit.
                assert namespace == NAMES.metrics_namespace, name
                assert (dimensions.pop("Service"), dimensions.pop("Environment")) == (NAMES.service, NAMES.environment)
            assert dimensions == {}, (name, dimensions)
            checked += 1
    assert checked >= len(alarms(document))  # every alarm reads at least one metric, each checked above
    text = json.dumps(document)
    assert "LoadBalancerName" not in text
    assert "TargetGroupName" not in text


# What each alarm must be, written out independently of the table that builds them:
# name: (metric, threshold, evaluation periods, datapoints to alarm, comparison, missing data)
EXPECTED = {
    "AlbErrorRate": ("HTTPCode_ELB_5XX_Count", 1, 5, 3, "GreaterThanThreshold", "notBreaching"),
    "TargetErrorRate": ("HTTPCode_Target_5XX_Count", 1, 5, 3, "GreaterThanThreshold", "notBreaching"),
    # The ALB reports host counts every minute: silence means the target group is gone.
    "UnhealthyTargets": ("UnHealthyHostCount", 1, 3, 3, "GreaterThanOrEqualToThreshold", "breaching"),
    "LatencyP99": ("TargetResponseTime", 0.2, 5, 3, "GreaterThanThreshold", "notBreaching"),
    # Container Insights reports every minute while the service exists: silence means no tasks.
    "RunningTasksBelowMinimum": ("RunningTaskCount", MIN_TASKS, 3, 3, "LessThanThreshold", "breaching"),
    # Asked for and not running for longer than a start takes; no datapoint while the service reports nothing.
    "TasksNotStarting": ("DesiredTaskCount", 1, 5, 5, "GreaterThanOrEqualToThreshold", "notBreaching"),
    "NoPayments": ("PaymentsAccepted", 1, 3, 3, "GreaterThanOrEqualToThreshold", "notBreaching"),
    "CpuHigh": ("CPUUtilization", 85, 5, 4, "GreaterThanThreshold", "notBreaching"),
    "MemoryHigh": ("MemoryUtilization", 85, 5, 4, "GreaterThanThreshold", "notBreaching"),
    "PinnedAtMaxCapacity": ("RunningTaskCount", MAX_TASKS, 12, 12, "GreaterThanOrEqualToThreshold", "notBreaching"),
    "WafBlockedSpike": ("BlockedRequests", 1000, 3, 2, "GreaterThanThreshold", "notBreaching"),
    "PaymentRejectionRate": ("PaymentsRejected", 20, 4, 3, "GreaterThanThreshold", "notBreaching"),
}


def test_the_table_is_the_alarms_expected() -> None:
    table = {spec.name: spec for spec in alarm_table(min_tasks=MIN_TASKS, max_tasks=MAX_TASKS)}
    assert set(table) == set(EXPECTED)
    for name, (_, threshold, periods, datapoints, comparison, missing) in EXPECTED.items():
        spec = table[name]
        assert (spec.threshold, spec.periods, spec.datapoints) == (threshold, periods, datapoints), name
        assert (COMPARISONS[spec.comparison], MISSING[spec.missing]) == (comparison, missing), name


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_alarm_needs_several_bad_datapoints_and_treats_missing_data_on_purpose(
    document: dict[str, Any], name: str
) -> None:
    alarm = alarms(document)[name]
    metric, threshold, periods, datapoints, comparison, missing = EXPECTED[name]
    assert metric in {m["MetricName"] for m in metric_stats(alarm)}
    assert alarm["Threshold"] == threshold
    assert (alarm["EvaluationPeriods"], alarm["DatapointsToAlarm"]) == (periods, datapoints)
    assert datapoints > 1  # never one noisy datapoint
    assert alarm["ComparisonOperator"] == comparison
    assert alarm["TreatMissingData"] == missing


def test_thresholds_follow_the_task_range(document: dict[str, Any]) -> None:
    found = alarms(document)
    assert found["RunningTasksBelowMinimum"]["Threshold"] == MIN_TASKS
    assert found["PinnedAtMaxCapacity"]["Threshold"] == MAX_TASKS
    assert found["PinnedAtMaxCapacity"]["Period"] * found["PinnedAtMaxCapacity"]["EvaluationPeriods"] == 3600


def test_latency_alarm_watches_p99_per_minute(document: dict[str, Any]) -> None:
    alarm = alarms(document)["LatencyP99"]
    assert (alarm["ExtendedStatistic"], alarm["Period"]) == ("p99", 60)


def test_no_payments_alarm_only_fires_during_business_traffic(document: dict[str, Any]) -> None:
    (expression,) = [q["Expression"] for q in alarms(document)["NoPayments"]["Metrics"] if "Expression" in q]
    assert expression == f"IF(requests > {BUSINESS_TRAFFIC_REQUESTS} AND FILL(accepted, 0) == 0, 1, 0)"


def test_only_the_named_composite_pages_and_every_alarm_warns(document: dict[str, Any]) -> None:
    paging, warning = only_topic(document, "PagingTopic"), only_topic(document, "WarningTopic")
    found = alarms(document)
    assert {spec.name for spec in alarm_table(min_tasks=1, max_tasks=2) if spec.pages} == PAGING
    for name, alarm in found.items():
        assert alarm["AlarmActions"] == [{"Ref": warning}], name
    composite = one(document, "AWS::CloudWatch::CompositeAlarm")
    assert composite["AlarmName"] == NAMES.page_alarm
    assert (composite["AlarmActions"], composite["OKActions"]) == ([{"Ref": paging}], [{"Ref": paging}])
    rule = json.dumps(composite["AlarmRule"])
    for lid, resource in resources(document, "AWS::CloudWatch::Alarm").items():
        name = resource["Metadata"]["aws:cdk:path"].split("/")[-2]
        assert (lid in rule) == (name in PAGING), name


def only_topic(document: dict[str, Any], prefix: str) -> str:
    (logical_id,) = [lid for lid in resources(document, "AWS::SNS::Topic") if lid.startswith(prefix)]
    return logical_id


# -- both states of a standby: quiet while idle by design, paging once it serves and fails --------------------

IDLE, SERVING, FAILED_OVER_NOT_STARTING = idle(), serving(MIN_TASKS), not_starting(MIN_TASKS)


def paging_state(document: dict[str, Any], scenario: Scenario) -> set[str]:
    """The paging signals in ALARM: the composite pages when any is."""
    return {name for name, alarm in alarms(document).items() if name in PAGING and in_alarm(alarm, scenario)}


def test_an_idle_standby_pages_nobody_and_pages_once_it_serves_and_its_tasks_do_not_start() -> None:
    idle_standby = build(min_tasks=0, idle=True)
    assert "RunningTasksBelowMinimum" not in alarms(idle_standby)  # a minimum of 0 could never be missed
    assert paging_state(idle_standby, IDLE) == set()
    assert paging_state(idle_standby, SERVING) == set()
    assert paging_state(idle_standby, FAILED_OVER_NOT_STARTING) == {"TasksNotStarting"}


def test_a_serving_region_pages_on_lost_tasks_and_silence_and_is_quiet_when_healthy(document: dict[str, Any]) -> None:
    assert paging_state(document, SERVING) == set()
    assert paging_state(document, FAILED_OVER_NOT_STARTING) == {
        "RunningTasksBelowMinimum", "TasksNotStarting", "UnhealthyTargets"
    }  # fmt: skip
    # A target group that reports nothing (gone) pages in a region that should serve.
    assert "UnhealthyTargets" in paging_state(document, SERVING | {"UnHealthyHostCount": None})


def test_the_evaluator_reads_metric_math_as_cloudwatch_does() -> None:
    assert expression_value("100 * FILL(errors, 0) / requests", {"errors": None, "requests": 200}) == 0
    assert expression_value("100 * FILL(errors, 0) / requests", {"errors": 5, "requests": None}) is None
    assert (
        expression_value("IF(requests > 100 AND FILL(accepted, 0) == 0, 1, 0)", {"requests": 500, "accepted": None})
        == 1
    )
    assert (
        expression_value("IF(requests > 100 AND FILL(accepted, 0) == 0, 1, 0)", {"requests": None, "accepted": 3})
        is None
    )
    assert expression_value("desired - FILL(running, 0)", {"desired": 3, "running": None}) == 3
