"""components/service_dns.py: the service name answers with this region's ALB, by alias or by failover that
follows the region's healthy targets."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticloadbalancingv2 as elbv2

from components.service_dns import SERVES, STEPS_ASIDE, UNHEALTHY_PERIODS, ServiceDnsRecord
from settings.sections import TlsSettings
from tests.support.bare import bare_stack, one, resources, template

TLS = TlsSettings(
    domain_name="pay.test.example.com", hosted_zone_id="Z0TESTZONE0000001", hosted_zone_name="test.example.com"
)


def build(*, failover: bool, primary: bool = True) -> tuple[dict[str, Any], str]:
    stack = bare_stack()
    vpc = ec2.Vpc(stack, "Vpc", availability_zones=["us-east-1a", "us-east-1b"])
    alb = elbv2.ApplicationLoadBalancer(stack, "Alb", vpc=vpc, internet_facing=True)
    group = elbv2.ApplicationTargetGroup(stack, "Targets", vpc=vpc, port=8443, target_type=elbv2.TargetType.IP)
    alb.add_listener("Listener", port=80, default_target_groups=[group])
    ServiceDnsRecord(
        stack,
        ServiceDnsRecord.id_for(failover),
        tls=TLS,
        load_balancer=alb,
        target_group=group,
        failover=failover,
        primary=primary,
    )
    document = template(stack)
    (alb_id,) = resources(document, "AWS::ElasticLoadBalancingV2::LoadBalancer")
    return document, alb_id


def test_without_a_standby_the_name_is_an_alias_of_the_alb() -> None:
    document, alb_id = build(failover=False)
    record = one(document, "AWS::Route53::RecordSet")
    assert (record["Name"], record["Type"], record["HostedZoneId"]) == (f"{TLS.domain_name}.", "A", TLS.hosted_zone_id)
    assert record["AliasTarget"]["HostedZoneId"] == {"Fn::GetAtt": [alb_id, "CanonicalHostedZoneID"]}
    assert resources(document, "AWS::Route53::HealthCheck") == {}
    assert resources(document, "AWS::CloudWatch::Alarm") == {}


@pytest.mark.parametrize(("primary", "role"), [(True, "PRIMARY"), (False, "SECONDARY")])
def test_with_a_standby_the_record_fails_over_when_the_region_has_no_healthy_target(primary: bool, role: str) -> None:
    document, alb_id = build(failover=True, primary=primary)
    record = one(document, "AWS::Route53::RecordSet")
    assert (record["Name"], record["Type"], record["Failover"]) == (TLS.domain_name, "A", role)
    assert record["SetIdentifier"] == "us-east-1"
    assert record["AliasTarget"]["EvaluateTargetHealth"] is True
    checks = {
        lid: r["Properties"]["HealthCheckConfig"] for lid, r in resources(document, "AWS::Route53::HealthCheck").items()
    }
    (check_id,) = [lid for lid, c in checks.items() if c["Type"] == "CLOUDWATCH_METRIC"]
    followed = record["HealthCheckId"]["Fn::GetAtt"][0]
    if primary:
        # A CALCULATED check over the region's: `ops failover` raises its threshold to step the primary aside.
        assert checks[followed] == {
            "Type": "CALCULATED",
            "ChildHealthChecks": [{"Fn::GetAtt": [check_id, "HealthCheckId"]}],
            "HealthThreshold": SERVES,
        }
        assert len(checks[followed]["ChildHealthChecks"]) < STEPS_ASIDE  # always unhealthy, as Route 53 documents
    else:
        assert followed == check_id
    config = checks[check_id]
    (alarm_id,) = resources(document, "AWS::CloudWatch::Alarm")
    assert config == {
        "Type": "CLOUDWATCH_METRIC",
        "AlarmIdentifier": {"Name": {"Ref": alarm_id}, "Region": "us-east-1"},
        "InsufficientDataHealthStatus": "Unhealthy",
    }
    alarm = one(document, "AWS::CloudWatch::Alarm")
    assert (alarm["Namespace"], alarm["MetricName"], alarm["Statistic"]) == (
        "AWS/ApplicationELB",
        "HealthyHostCount",
        "Minimum",
    )
    (target_group,) = resources(document, "AWS::ElasticLoadBalancingV2::TargetGroup")
    dimensions = {d["Name"]: d["Value"] for d in alarm["Dimensions"]}
    assert dimensions["TargetGroup"] == {"Fn::GetAtt": [target_group, "TargetGroupFullName"]}
    # This region's ALB: CDK derives its full name from the ARN of the listener that forwards to the group.
    (listener,) = [
        logical_id
        for logical_id, listener in resources(document, "AWS::ElasticLoadBalancingV2::Listener").items()
        if listener["Properties"]["LoadBalancerArn"] == {"Ref": alb_id}
    ]
    assert json.dumps({"Ref": listener}) in json.dumps(dimensions["LoadBalancer"])
    assert (alarm["ComparisonOperator"], alarm["Threshold"]) == ("LessThanThreshold", 1)
    assert (alarm["EvaluationPeriods"], alarm["DatapointsToAlarm"]) == (UNHEALTHY_PERIODS, UNHEALTHY_PERIODS)
    assert alarm["TreatMissingData"] == "breaching"  # no target at all: unhealthy


@pytest.mark.parametrize(
    ("failover", "paths"),
    [(False, {"ServiceAlias/Resource"}), (True, {"Failover/HealthCheck", "Failover/Preference", "Failover/Record"})],
)
def test_records_keep_the_construct_paths_they_were_deployed_with(failover: bool, paths: set[str]) -> None:
    """A replaced record of the same name cannot be created beside the old one: the logical ids must not move."""
    document, _ = build(failover=failover)
    found = {
        r["Metadata"]["aws:cdk:path"].removeprefix("Bare/")
        for r in document["Resources"].values()
        if r["Type"].startswith("AWS::Route53::")
    }
    assert found == paths
