"""components/service_dns.py: the service name answers with this region's ALB, by alias or by failover."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticloadbalancingv2 as elbv2

from components.service_dns import CHECK_INTERVAL_SECONDS, FAILURE_THRESHOLD, ServiceDnsRecord
from settings.sections import TlsSettings
from tests.support.bare import bare_stack, one, resources, template

TLS = TlsSettings(
    domain_name="pay.test.example.com", hosted_zone_id="Z0TESTZONE0000001", hosted_zone_name="test.example.com"
)


def build(*, failover: bool, primary: bool = True) -> tuple[dict[str, Any], str]:
    stack = bare_stack()
    vpc = ec2.Vpc(stack, "Vpc", availability_zones=["us-east-1a", "us-east-1b"])
    alb = elbv2.ApplicationLoadBalancer(stack, "Alb", vpc=vpc, internet_facing=True)
    ServiceDnsRecord(
        stack, ServiceDnsRecord.id_for(failover), tls=TLS, load_balancer=alb, failover=failover, primary=primary
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


@pytest.mark.parametrize(("primary", "role"), [(True, "PRIMARY"), (False, "SECONDARY")])
def test_with_a_standby_the_record_fails_over_on_an_https_health_check(primary: bool, role: str) -> None:
    document, alb_id = build(failover=True, primary=primary)
    record = one(document, "AWS::Route53::RecordSet")
    assert (record["Name"], record["Type"], record["Failover"]) == (TLS.domain_name, "A", role)
    assert record["SetIdentifier"] == "us-east-1"
    assert record["AliasTarget"]["EvaluateTargetHealth"] is True
    (check_id,) = resources(document, "AWS::Route53::HealthCheck")
    assert record["HealthCheckId"] == {"Fn::GetAtt": [check_id, "HealthCheckId"]}
    config = one(document, "AWS::Route53::HealthCheck")["HealthCheckConfig"]
    assert (config["Type"], config["Port"], config["ResourcePath"]) == ("HTTPS", 443, "/health")
    assert config["FullyQualifiedDomainName"] == {"Fn::GetAtt": [alb_id, "DNSName"]}
    assert (config["RequestInterval"], config["FailureThreshold"]) == (CHECK_INTERVAL_SECONDS, FAILURE_THRESHOLD)


@pytest.mark.parametrize(
    ("failover", "paths"), [(False, {"ServiceAlias/Resource"}), (True, {"Failover/HealthCheck", "Failover/Record"})]
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
