"""components/load_balancer.py: an internet-facing ALB that only redirects on port 80, speaks a current TLS
policy on 443, reaches its targets over HTTPS, drops malformed requests, logs access and sits behind the WAF."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_s3 as s3

from components.container_contract import CONTRACT
from components.load_balancer import HttpsLoadBalancer
from tests.support.bare import bare_stack, one, properties, resources, template

CERTIFICATE = "arn:aws:acm:us-east-1:111111111111:certificate/00000000-0000-4000-8000-000000000000"
WEB_ACL = "arn:aws:wafv2:us-east-1:111111111111:regional/webacl/test/abc"


def build(*, deletion_protection: bool, region: str = "us-east-1") -> dict[str, Any]:
    stack = bare_stack(region=region)
    vpc = ec2.Vpc(stack, "Vpc", availability_zones=[f"{region}a", f"{region}b"])
    HttpsLoadBalancer(
        stack,
        "Ingress",
        vpc=vpc,
        certificate=acm.Certificate.from_certificate_arn(stack, "Certificate", CERTIFICATE),
        web_acl_arn=WEB_ACL,
        access_log_bucket=s3.Bucket(stack, "AlbAccessLogBucket"),
        target_port=CONTRACT.port,
        deletion_protection=deletion_protection,
    )
    return template(stack)


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return build(deletion_protection=False)


def listeners(document: dict[str, Any]) -> dict[int, dict[str, Any]]:
    return {listener["Port"]: listener for listener in properties(document, "AWS::ElasticLoadBalancingV2::Listener")}


def attributes(resource: dict[str, Any], key: str) -> dict[str, Any]:
    return {a["Key"]: a["Value"] for a in resource[key]}


def test_port_80_only_redirects_to_https(document: dict[str, Any]) -> None:
    by_port = listeners(document)
    assert set(by_port) == {80, 443}
    assert by_port[80]["DefaultActions"] == [
        {"RedirectConfig": {"Port": "443", "Protocol": "HTTPS", "StatusCode": "HTTP_301"}, "Type": "redirect"}
    ]
    assert resources(document, "AWS::ElasticLoadBalancingV2::ListenerRule") == {}


def test_https_listener_uses_a_current_tls13_policy_and_the_certificate(document: dict[str, Any]) -> None:
    https = listeners(document)[443]
    assert https["Protocol"] == "HTTPS"
    assert https["SslPolicy"] == "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09"
    assert https["Certificates"] == [{"CertificateArn": CERTIFICATE}]


def test_alb_is_internet_facing_drops_invalid_headers_with_strictest_desync_and_logs_access(
    document: dict[str, Any],
) -> None:
    alb = one(document, "AWS::ElasticLoadBalancingV2::LoadBalancer")
    assert alb["Scheme"] == "internet-facing"
    attrs = attributes(alb, "LoadBalancerAttributes")
    assert attrs["routing.http.drop_invalid_header_fields.enabled"] == "true"
    assert attrs["routing.http.desync_mitigation_mode"] == "strictest"
    assert attrs["access_logs.s3.enabled"] == "true"
    assert attrs["access_logs.s3.prefix"] == "alb"
    (bucket_id,) = resources(document, "AWS::S3::Bucket")
    assert attrs["access_logs.s3.bucket"] == {"Ref": bucket_id}
    (policy_id,) = resources(document, "AWS::S3::BucketPolicy")
    assert bucket_id in resources(document, "AWS::ElasticLoadBalancingV2::LoadBalancer").popitem()[1]["DependsOn"]
    assert policy_id in resources(document, "AWS::ElasticLoadBalancingV2::LoadBalancer").popitem()[1]["DependsOn"]


@pytest.mark.parametrize(
    ("region", "principal", "conditions"),
    [
        ("us-east-1", {"AWS": "arn:aws:iam::127311923021:root"}, None),
        (
            "ap-southeast-7",
            {"Service": "logdelivery.elasticloadbalancing.amazonaws.com"},
            {"StringEquals": {"aws:SourceAccount": "111111111111"}},
        ),
    ],
)
def test_only_elastic_load_balancing_writes_the_access_logs_for_this_account(
    region: str, principal: dict[str, str], conditions: dict[str, Any] | None
) -> None:
    """Not `delivery.logs.amazonaws.com`, which CDK's `log_access_logs` would also allow, for any account."""
    (policy,) = properties(build(deletion_protection=False, region=region), "AWS::S3::BucketPolicy")
    allows = [s for s in policy["PolicyDocument"]["Statement"] if s["Effect"] == "Allow"]
    (write,) = allows
    assert (write["Principal"], write["Action"], write.get("Condition")) == (principal, "s3:PutObject", conditions)
    assert write["Resource"]["Fn::Join"][1][1] == "/alb/AWSLogs/111111111111/*"


@pytest.mark.parametrize("protected", [True, False])
def test_deletion_protection_follows_the_setting(protected: bool) -> None:
    alb = one(build(deletion_protection=protected), "AWS::ElasticLoadBalancingV2::LoadBalancer")
    assert attributes(alb, "LoadBalancerAttributes")["deletion_protection.enabled"] == str(protected).lower()


def test_the_web_acl_is_associated_in_the_albs_own_stack(document: dict[str, Any]) -> None:
    association = one(document, "AWS::WAFv2::WebACLAssociation")
    (alb_id,) = resources(document, "AWS::ElasticLoadBalancingV2::LoadBalancer")
    assert association == {"ResourceArn": {"Ref": alb_id}, "WebACLArn": WEB_ACL}


def test_targets_are_reached_over_https_and_checked_on_health(document: dict[str, Any]) -> None:
    group = one(document, "AWS::ElasticLoadBalancingV2::TargetGroup")
    assert (group["Protocol"], group["Port"], group["TargetType"]) == ("HTTPS", CONTRACT.port, "ip")
    assert (group["HealthCheckProtocol"], group["HealthCheckPath"]) == ("HTTPS", CONTRACT.health_path)
    assert group["Matcher"] == {"HttpCode": "200"}
    # A new task is in service after 2 checks 10 s apart; a failing one is out after 3.
    assert (group["HealthCheckIntervalSeconds"], group["HealthyThresholdCount"]) == (10, 2)
    assert (group["UnhealthyThresholdCount"], group["HealthCheckTimeoutSeconds"]) == (3, 5)
    attrs = attributes(group, "TargetGroupAttributes")
    assert int(attrs["deregistration_delay.timeout_seconds"]) < CONTRACT.stop_timeout_seconds
    assert attrs["slow_start.duration_seconds"] == "30"


def test_alb_admits_443_and_80_from_the_internet_and_nothing_out_by_itself(document: dict[str, Any]) -> None:
    (group,) = properties(document, "AWS::EC2::SecurityGroup")
    assert sorted((rule["FromPort"], rule["CidrIp"]) for rule in group["SecurityGroupIngress"]) == [
        (80, "0.0.0.0/0"),
        (443, "0.0.0.0/0"),
    ]
    assert group["SecurityGroupEgress"][0]["CidrIp"] == "255.255.255.255/32"
