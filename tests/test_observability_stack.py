"""Observability guarantees. The central test follows every alarm dimension back to the resource it names,
so an alarm that watches a metric no resource of this app publishes (the earlier bare-id bug) fails here."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.service_alarms import (
    BUSINESS_TRAFFIC_REQUESTS,
    CPU_PERCENT,
    ERROR_RATE_PERCENT,
    MEMORY_PERCENT,
    REJECTION_RATE_PERCENT,
    WAF_BLOCKED_PER_5_MINUTES,
)
from settings.naming import WAF_RULES
from tests.conftest import Synthesized, synthesize

OBSERVABILITY = "Observability"
PAGING = {"AlbErrorRate", "TargetErrorRate", "UnhealthyTargets", "LatencyP99", "RunningTasksBelowMinimum", "NoPayments"}
WARNING = {"CpuHigh", "MemoryHigh", "PinnedAtMaxCapacity", "WafBlockedSpike", "PaymentRejectionRate"}


def alarms(synthesized: Synthesized) -> dict[str, dict[str, Any]]:
    """Alarm name (construct id) -> properties."""
    found = {}
    for construct in synthesized.stacks.observability.alarms.alarms.values():
        found[construct.node.id] = synthesized.resource_of(construct)["Properties"]
    return found


def metric_stats(alarm: dict[str, Any]) -> list[dict[str, Any]]:
    """Every metric an alarm reads: the single metric, or each metric of its math expression."""
    if "MetricName" in alarm:
        return [{"Namespace": alarm["Namespace"], "MetricName": alarm["MetricName"], "Dimensions": alarm["Dimensions"]}]
    return [query["MetricStat"]["Metric"] for query in alarm["Metrics"] if "MetricStat" in query]


class Exports:
    """Resolves `Fn::ImportValue` to the producing stack's resource, the way CloudFormation will."""

    def __init__(self, synthesized: Synthesized) -> None:
        self.synthesized = synthesized
        self.values: dict[str, tuple[str, Any]] = {}
        for stack, document in synthesized.documents.items():
            for output in document.get("Outputs", {}).values():
                if "Export" in output:
                    self.values[output["Export"]["Name"]] = (stack, output["Value"])

    def resolve(self, value: Any) -> tuple[str, Any]:
        assert isinstance(value, dict), value
        assert "Fn::ImportValue" in value, value
        return self.values[value["Fn::ImportValue"]]

    def resource(self, stack: str, logical_id: str) -> dict[str, Any]:
        resource: dict[str, Any] = self.synthesized.documents[stack]["Resources"][logical_id]
        return resource

    def attribute(self, value: Any, resource_type: str, attribute: str) -> str:
        """The logical id of the `resource_type` whose `attribute` (or Ref) `value` imports."""
        stack, produced = self.resolve(value)
        if attribute == "Ref":
            logical_id = produced["Ref"]
        else:
            logical_id, produced_attribute = produced["Fn::GetAtt"]
            assert produced_attribute == attribute, (produced_attribute, attribute)
        assert self.resource(stack, logical_id)["Type"] == resource_type
        return str(logical_id)

    def load_balancer_of(self, value: Any) -> str:
        """The ALB a LoadBalancer dimension names: its full-name attribute, or `app/<name>/<id>` cut from a
        listener ARN of that ALB (how CDK's target group metric helpers build it)."""
        if "Fn::ImportValue" in value:
            return self.attribute(value, "AWS::ElasticLoadBalancingV2::LoadBalancer", "LoadBalancerFullName")
        parts = value["Fn::Join"][1]
        assert parts[1::2] == ["/", "/"]
        selects = [part["Fn::Select"] for part in parts[0::2]]
        assert [index for index, _ in selects] == [1, 2, 3]
        (listener_import,) = {json.dumps(split["Fn::Split"][1]) for _, split in selects}
        listener = self.attribute(json.loads(listener_import), "AWS::ElasticLoadBalancingV2::Listener", "Ref")
        return str(self.resource("Compute", listener)["Properties"]["LoadBalancerArn"]["Ref"])


def test_every_alarm_dimension_resolves_to_a_resource_of_this_app(each_profile: Synthesized) -> None:
    exports = Exports(each_profile)
    compute = each_profile.stacks.compute
    alb = each_profile.logical_id(compute.load_balancer.load_balancer)
    target_group = each_profile.logical_id(compute.load_balancer.target_group)
    cluster = each_profile.logical_id(compute.payments.cluster)
    service = each_profile.logical_id(compute.payments.service)
    (acl,) = each_profile.properties("Security", "AWS::WAFv2::WebACL")
    (container,) = each_profile.properties("Compute", "AWS::ECS::TaskDefinition")[0]["ContainerDefinitions"]
    environment = {variable["Name"]: variable["Value"] for variable in container["Environment"]}
    checked = 0
    for name, alarm in alarms(each_profile).items():
        for metric in metric_stats(alarm):
            dimensions = {d["Name"]: d["Value"] for d in metric["Dimensions"]}
            namespace = metric["Namespace"]
            if namespace == "AWS/ApplicationELB":
                assert exports.load_balancer_of(dimensions.pop("LoadBalancer")) == alb, name
                if "TargetGroup" in dimensions:
                    resolved = exports.attribute(
                        dimensions.pop("TargetGroup"), "AWS::ElasticLoadBalancingV2::TargetGroup", "TargetGroupFullName"
                    )
                    assert resolved == target_group
            elif namespace in ("AWS/ECS", "ECS/ContainerInsights"):
                assert exports.attribute(dimensions.pop("ClusterName"), "AWS::ECS::Cluster", "Ref") == cluster
                assert exports.attribute(dimensions.pop("ServiceName"), "AWS::ECS::Service", "Name") == service
            elif namespace == "AWS/WAFV2":
                assert dimensions.pop("WebACL") == acl["Name"]
                assert dimensions.pop("Region") == each_profile.config.region
                assert dimensions.pop("Rule") in ("ALL", *(r["VisibilityConfig"]["MetricName"] for r in acl["Rules"]))
            else:
                # Business metrics: exactly the namespace and dimensions the container is told to emit.
                assert namespace == environment["METRICS_NAMESPACE"], name
                assert dimensions.pop("Service") == environment["SERVICE_NAME"]
                assert dimensions.pop("Environment") == environment["ENVIRONMENT"]
            assert dimensions == {}, (name, dimensions)
            checked += 1
    assert checked >= 15


def test_no_alb_dimension_is_a_bare_id_or_name(dev: Synthesized) -> None:
    text = json.dumps(dev.documents[OBSERVABILITY])
    assert "LoadBalancerName" not in text
    assert "TargetGroupName" not in text


EXPECTED = {
    # name: (metric, threshold, evaluation periods, datapoints to alarm, comparison, missing data)
    "AlbErrorRate": ("HTTPCode_ELB_5XX_Count", ERROR_RATE_PERCENT, 5, 3, "GreaterThanThreshold", "notBreaching"),
    "TargetErrorRate": ("HTTPCode_Target_5XX_Count", ERROR_RATE_PERCENT, 5, 3, "GreaterThanThreshold", "notBreaching"),
    "UnhealthyTargets": ("UnHealthyHostCount", 1, 3, 3, "GreaterThanOrEqualToThreshold", "breaching"),
    "LatencyP99": ("TargetResponseTime", 0.2, 5, 3, "GreaterThanThreshold", "notBreaching"),
    "RunningTasksBelowMinimum": ("RunningTaskCount", "min_tasks", 3, 3, "LessThanThreshold", "breaching"),
    "NoPayments": ("PaymentsAccepted", 1, 3, 3, "GreaterThanOrEqualToThreshold", "notBreaching"),
    "CpuHigh": ("CPUUtilization", CPU_PERCENT, 5, 4, "GreaterThanThreshold", "notBreaching"),
    "MemoryHigh": ("MemoryUtilization", MEMORY_PERCENT, 5, 4, "GreaterThanThreshold", "notBreaching"),
    "PinnedAtMaxCapacity": ("RunningTaskCount", "max_tasks", 12, 12, "GreaterThanOrEqualToThreshold", "notBreaching"),
    "WafBlockedSpike": ("BlockedRequests", WAF_BLOCKED_PER_5_MINUTES, 3, 2, "GreaterThanThreshold", "notBreaching"),
    "PaymentRejectionRate": ("PaymentsRejected", REJECTION_RATE_PERCENT, 4, 3, "GreaterThanThreshold", "notBreaching"),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_alarm_needs_several_bad_datapoints_and_treats_missing_data_on_purpose(
    each_profile: Synthesized, name: str
) -> None:
    alarm = alarms(each_profile)[name]
    metric, threshold, periods, datapoints, comparison, missing = EXPECTED[name]
    if isinstance(threshold, str):
        threshold = getattr(each_profile.config, threshold)
    assert metric in {m["MetricName"] for m in metric_stats(alarm)}
    assert alarm["Threshold"] == threshold
    assert (alarm["EvaluationPeriods"], alarm["DatapointsToAlarm"]) == (periods, datapoints)
    assert datapoints > 1  # never one noisy datapoint
    assert alarm["ComparisonOperator"] == comparison
    assert alarm["TreatMissingData"] == missing


def test_latency_alarm_watches_p99_per_minute(dev: Synthesized) -> None:
    alarm = alarms(dev)["LatencyP99"]
    assert (alarm["ExtendedStatistic"], alarm["Period"]) == ("p99", 60)


def test_no_payments_alarm_only_fires_during_business_traffic(dev: Synthesized) -> None:
    (expression,) = [q["Expression"] for q in alarms(dev)["NoPayments"]["Metrics"] if "Expression" in q]
    assert expression == f"IF(requests > {BUSINESS_TRAFFIC_REQUESTS} AND FILL(accepted, 0) == 0, 1, 0)"


def test_pinned_at_max_watches_a_full_hour(dev: Synthesized) -> None:
    alarm = alarms(dev)["PinnedAtMaxCapacity"]
    assert alarm["Period"] * alarm["EvaluationPeriods"] == 3600


def test_only_the_composite_alarm_pages(dev: Synthesized) -> None:
    assert set(alarms(dev)) == PAGING | WARNING
    topics = dev.stacks.observability.topics
    paging, warning = dev.logical_id(topics.paging), dev.logical_id(topics.warning)
    for name, alarm in alarms(dev).items():
        assert alarm["AlarmActions"] == [{"Ref": warning}], name
    (composite,) = dev.properties(OBSERVABILITY, "AWS::CloudWatch::CompositeAlarm")
    assert composite["AlarmActions"] == [{"Ref": paging}]
    assert composite["OKActions"] == [{"Ref": paging}]
    rule = json.dumps(composite["AlarmRule"])
    signals = {alarm.node.id: dev.logical_id(alarm) for alarm in dev.stacks.observability.alarms.paging_signals}
    assert set(signals) == PAGING
    for name in alarms(dev):
        logical_id = dev.logical_id(dev.stacks.observability.alarms.alarms[name])
        assert (logical_id in rule) == (name in PAGING), name


def test_alarm_topics_are_kms_encrypted_and_tls_only(dev: Synthesized) -> None:
    data_key = dev.logical_id(dev.stacks.security.data_key)
    topics = dev.properties(OBSERVABILITY, "AWS::SNS::Topic")
    assert len(topics) == 2
    for topic in topics:
        assert topic["KmsMasterKeyId"]["Fn::ImportValue"].startswith(
            f"payments-dev-Security:ExportsOutputFnGetAtt{data_key}Arn"
        )
    for policy in dev.properties(OBSERVABILITY, "AWS::SNS::TopicPolicy"):
        denies = [s for s in policy["PolicyDocument"]["Statement"] if s["Effect"] == "Deny"]
        assert [s["Condition"] for s in denies] == [{"Bool": {"aws:SecureTransport": "false"}}]


def test_email_subscriptions_come_from_config(dev: Synthesized) -> None:
    assert dev.resources(OBSERVABILITY, "AWS::SNS::Subscription") == {}
    subscribed = synthesize(
        "dev", {"config.paging_emails": "oncall@example.com", "config.warning_emails": "team@example.com"}
    )
    subscriptions = subscribed.properties(OBSERVABILITY, "AWS::SNS::Subscription")
    assert sorted(s["Endpoint"] for s in subscriptions) == ["oncall@example.com", "team@example.com"]
    assert {s["Protocol"] for s in subscriptions} == {"email"}


def test_dashboard_shows_every_view_the_issue_asks_for(dev: Synthesized) -> None:
    (dashboard,) = dev.properties(OBSERVABILITY, "AWS::CloudWatch::Dashboard")
    body = json.dumps(dashboard["DashboardBody"])
    for title in (
        "CPU and memory",
        "Latency (s): p50 and p99 against the objective",
        "Requests, 4xx and 5xx",
        "Tasks: desired and running",
        "Targets: healthy and unhealthy",
        "WAF: allowed and blocked",
        "Payments: accepted and rejected",
    ):
        assert title in body
    assert "200 ms objective" in body
    assert '\\"region\\":\\"us-east-1\\"' in body or "AWS::Region" in body
    for rule in WAF_RULES:
        assert f"payments-dev-{rule}" in body


def test_saved_queries_cover_the_common_investigations(dev: Synthesized) -> None:
    queries = {q["Name"]: q for q in dev.properties(OBSERVABILITY, "AWS::Logs::QueryDefinition")}
    assert set(queries) == {
        "payments-dev/ErrorsByRequestId",
        "payments-dev/SlowestRequests",
        "payments-dev/RejectedPaymentsByReason",
        "payments-dev/WafBlocksByRule",
    }
    assert "sort duration_ms desc" in queries["payments-dev/SlowestRequests"]["QueryString"]
    assert "by RejectionReason" in queries["payments-dev/RejectedPaymentsByReason"]["QueryString"]
    assert "terminatingRuleId" in queries["payments-dev/WafBlocksByRule"]["QueryString"]
    waf_group = queries["payments-dev/WafBlocksByRule"]["LogGroupNames"][0]
    assert waf_group["Fn::ImportValue"].startswith("payments-dev-Security:ExportsOutputRefWafLogGroup")


def test_server_errors_are_counted_from_the_json_request_log(dev: Synthesized) -> None:
    (metric_filter,) = dev.properties(OBSERVABILITY, "AWS::Logs::MetricFilter")
    assert metric_filter["FilterPattern"] == '{ ($.message = "request") && ($.status >= 500) }'
    (transformation,) = metric_filter["MetricTransformations"]
    assert (transformation["MetricNamespace"], transformation["MetricName"]) == ("payments/dev", "ServerErrors")


def test_monthly_cost_budget_alerts_at_the_configured_thresholds(each_profile: Synthesized) -> None:
    (budget,) = each_profile.properties(OBSERVABILITY, "AWS::Budgets::Budget")
    data = budget["Budget"]
    assert (data["BudgetType"], data["TimeUnit"]) == ("COST", "MONTHLY")
    assert data["BudgetLimit"] == {"Amount": each_profile.config.monthly_budget_usd, "Unit": "USD"}
    tags = {e["Tags"]["Key"]: e["Tags"]["Values"] for e in data["FilterExpression"]["And"]}
    assert tags == {"Environment": [each_profile.config.name], "Service": ["payments"]}
    actual = sorted(
        n["Notification"]["Threshold"]
        for n in budget["NotificationsWithSubscribers"]
        if n["Notification"]["NotificationType"] == "ACTUAL"
    )
    assert actual == sorted(each_profile.config.budget_alert_percentages)
    forecast = [
        n for n in budget["NotificationsWithSubscribers"] if n["Notification"]["NotificationType"] == "FORECASTED"
    ]
    assert len(forecast) == 1


def test_outputs_give_dashboard_url_and_topic_arns(dev: Synthesized) -> None:
    outputs = dev.documents[OBSERVABILITY]["Outputs"]
    assert {"DashboardUrl", "PagingTopicArn", "WarningTopicArn"} <= set(outputs)
    url = json.dumps(outputs["DashboardUrl"]["Value"])
    assert "#dashboards:name=" in url


def test_fis_experiment_stops_one_payment_task_and_halts_on_the_page(dev: Synthesized) -> None:
    (template,) = dev.properties(OBSERVABILITY, "AWS::FIS::ExperimentTemplate")
    (target,) = template["Targets"].values()
    assert (target["ResourceType"], target["SelectionMode"]) == ("aws:ecs:task", "COUNT(1)")
    assert set(target["Parameters"]) == {"cluster", "service"}
    (action,) = template["Actions"].values()
    assert action["ActionId"] == "aws:ecs:stop-task"
    (stop,) = template["StopConditions"]
    composite = dev.logical_id(dev.stacks.observability.alarms.composite)
    assert stop == {"Source": "aws:cloudwatch:alarm", "Value": {"Fn::GetAtt": [composite, "Arn"]}}
    policies = dev.properties(OBSERVABILITY, "AWS::IAM::ManagedPolicy")
    (statement,) = policies[0]["PolicyDocument"]["Statement"]
    assert statement["Action"] == ["ecs:DescribeTasks", "ecs:ListTasks", "ecs:StopTask"]
    assert "ecs:cluster" in statement["Condition"]["ArnEquals"]
