"""The PCI DSS v4.0.1 pack: each rule fails on a bad construct and passes on a good one."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from aws_cdk import App, Duration, Stack, Validations
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_wafv2 as wafv2

from components.break_glass import deny_all_but
from rules.acknowledge import acknowledge_wildcards
from rules.findings import unacknowledged_findings
from rules.pci_dss_401 import ERASING_ACTIONS, PACK_NAME, RULES, UNPROTECTING_ACTIONS, PCIDSS401Checks
from tests.support.bare import CUSTODIANS

Builder = Callable[[Stack], object]
RETENTION, UNERASABLE, LOCKED = "10.5.1-AuditLogRetention", "10.3.2-AuditLogsUnerasable", "10.3.3-AuditLogsLocked"


def findings_of(build: Builder) -> set[str]:
    app = App()
    build(Stack(app, "Case"))
    return {finding.rule for finding in unacknowledged_findings(PCIDSS401Checks(app), app)}


def rule_id(suffix: str) -> str:
    return f"{PACK_NAME}-{suffix}"


def alb(stack: Stack, *, scheme: str = "internet-facing") -> elbv2.CfnLoadBalancer:
    return elbv2.CfnLoadBalancer(stack, "Alb", scheme=scheme, type="application", subnets=["subnet-1", "subnet-2"])


def waf_association(stack: Stack, target: elbv2.CfnLoadBalancer) -> None:
    wafv2.CfnWebACLAssociation(
        stack, "Association", resource_arn=target.ref, web_acl_arn="arn:aws:wafv2:us-east-1:1:regional/webacl/x/y"
    )


def listener(stack: Stack, **props: object) -> None:
    target = alb(stack, scheme="internal")
    elbv2.CfnListener(stack, "Listener", load_balancer_arn=target.ref, **props)  # type: ignore[arg-type]


FORWARD = [elbv2.CfnListener.ActionProperty(type="forward", target_group_arn="arn:tg")]
REDIRECT = [
    elbv2.CfnListener.ActionProperty(
        type="redirect",
        redirect_config=elbv2.CfnListener.RedirectConfigProperty(protocol="HTTPS", port="443", status_code="HTTP_301"),
    )
]
CERTIFICATE = [elbv2.CfnListener.CertificateProperty(certificate_arn="arn:aws:acm:us-east-1:1:certificate/x")]


def log_group(stack: Stack, days: int, *, subscribed: bool = False) -> None:
    group = logs.CfnLogGroup(stack, "Group", retention_in_days=days)
    if subscribed:
        logs.CfnSubscriptionFilter(
            stack, "Archive", log_group_name=group.ref, filter_pattern="", destination_arn="arn:aws:firehose:x"
        )


def bucket_expiring_after(stack: Stack, days: int) -> None:
    s3.Bucket(stack, "Bucket", lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(days))])


def audit_bucket(
    *,
    versioned: bool = True,
    noncurrent_days: int = 400,
    guarded: tuple[str, ...] = (*ERASING_ACTIONS, *UNPROTECTING_ACTIONS),
    locked_days: int | None = None,
) -> Builder:
    """A bucket keeping records 400 days; `guarded`: what its policy denies to all but the break-glass role."""

    def build(stack: Stack) -> None:
        bucket = s3.Bucket(
            stack,
            "Bucket",
            versioned=versioned,
            object_lock_enabled=locked_days is not None or None,
            object_lock_default_retention=s3.ObjectLockRetention.compliance(Duration.days(locked_days))
            if locked_days
            else None,
            lifecycle_rules=[
                s3.LifecycleRule(
                    expiration=Duration.days(400), noncurrent_version_expiration=Duration.days(noncurrent_days)
                )
            ],
        )
        if guarded:
            bucket.add_to_resource_policy(
                deny_all_but("Guard", guarded, bucket.arn_for_objects("*"), CUSTODIANS.break_glass_role_arn)
            )

    return build


def vpc_with_flow_log(stack: Stack, traffic: str | None) -> None:
    vpc = ec2.CfnVPC(stack, "Vpc", cidr_block="10.0.0.0/16")
    if traffic:
        ec2.CfnFlowLog(
            stack,
            "FlowLog",
            resource_id=vpc.ref,
            resource_type="VPC",
            traffic_type=traffic,
            log_destination_type="s3",
            log_destination="arn:aws:s3:::b",
        )


def ingress(port: int, cidr: str = "0.0.0.0/0") -> Builder:
    def build(stack: Stack) -> None:
        ec2.CfnSecurityGroup(
            stack,
            "Group",
            group_description="case",
            security_group_ingress=[
                ec2.CfnSecurityGroup.IngressProperty(ip_protocol="tcp", from_port=port, to_port=port, cidr_ip=cidr)
            ],
        )

    return build


def task_definition(*, capabilities: list[str]) -> Builder:
    def build(stack: Stack) -> None:
        ecs.CfnTaskDefinition(
            stack,
            "Task",
            container_definitions=[
                ecs.CfnTaskDefinition.ContainerDefinitionProperty(
                    name="app",
                    image="example",
                    memory=512,
                    readonly_root_filesystem=True,
                    linux_parameters=ecs.CfnTaskDefinition.LinuxParametersProperty(
                        capabilities=ecs.CfnTaskDefinition.KernelCapabilitiesProperty(drop=capabilities)
                    ),
                )
            ],
        )

    return build


def egress(cidr: str) -> Builder:
    def build(stack: Stack) -> None:
        ec2.CfnSecurityGroup(
            stack,
            "Group",
            group_description="case",
            security_group_egress=[
                ec2.CfnSecurityGroup.EgressProperty(ip_protocol="tcp", from_port=443, to_port=443, cidr_ip=cidr)
            ],
        )

    return build


def wildcard_policy(*, justified: bool) -> Builder:
    def build(stack: Stack) -> None:
        login = iam.PolicyStatement(sid="EcrLogin", actions=["ecr:GetAuthorizationToken"], resources=["*"])
        policy = iam.ManagedPolicy(stack, "Policy", statements=[login])
        if justified:
            acknowledge_wildcards(policy, granular="Resource::*", statements=[login], reason="no resource ARN")

    return build


CASES: dict[str, tuple[Builder, Builder]] = {
    # rule suffix: (bad, good)
    "6.4.2-WafOnPublicAlb": (lambda s: alb(s), lambda s: waf_association(s, alb(s))),
    "4.2.1-StrongTlsListener": (
        lambda s: listener(
            s,
            port=443,
            protocol="HTTPS",
            certificates=CERTIFICATE,
            default_actions=FORWARD,
            ssl_policy="ELBSecurityPolicy-2016-08",
        ),
        lambda s: listener(
            s,
            port=443,
            protocol="HTTPS",
            certificates=CERTIFICATE,
            default_actions=FORWARD,
            ssl_policy="ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09",
        ),
    ),
    "10.5.1-AuditLogRetention": (lambda s: log_group(s, 90), lambda s: log_group(s, 90, subscribed=True)),
    "3.7-KeyRotation": (
        lambda s: kms.CfnKey(s, "Key", key_policy={}),
        lambda s: kms.CfnKey(s, "Key", key_policy={}, enable_key_rotation=True),
    ),
    "10.2-NetworkTrafficLogged": (lambda s: vpc_with_flow_log(s, "REJECT"), lambda s: vpc_with_flow_log(s, "ALL")),
    "1.3-RestrictedInbound": (ingress(22), ingress(443)),
    "1.3.2-RestrictedOutbound": (egress("0.0.0.0/0"), egress("198.51.100.0/24")),
    "7.2-JustifiedWildcards": (wildcard_policy(justified=False), wildcard_policy(justified=True)),
    "2.2-HardenedContainers": (task_definition(capabilities=["NET_RAW"]), task_definition(capabilities=["ALL"])),
    "10.3.2-AuditLogsUnerasable": (audit_bucket(guarded=()), audit_bucket()),
    "10.3.3-AuditLogsLocked": (audit_bucket(), audit_bucket(locked_days=400)),
}


def test_every_rule_has_a_case() -> None:
    assert set(CASES) == {rule.suffix for rule in RULES}


@pytest.mark.parametrize("suffix", sorted(CASES))
def test_rule_fails_on_a_bad_construct(suffix: str) -> None:
    assert rule_id(suffix) in findings_of(CASES[suffix][0])


@pytest.mark.parametrize("suffix", sorted(CASES))
def test_rule_passes_on_a_good_construct(suffix: str) -> None:
    assert rule_id(suffix) not in findings_of(CASES[suffix][1])


@pytest.mark.parametrize(
    ("name", "suffix", "build", "compliant"),
    [
        ("internal ALB needs no WAF", "6.4.2-WafOnPublicAlb", lambda s: alb(s, scheme="internal"), True),
        (
            "HTTP listener that forwards",
            "4.2.1-StrongTlsListener",
            lambda s: listener(s, port=80, protocol="HTTP", default_actions=FORWARD),
            False,
        ),
        (
            "HTTP listener that redirects",
            "4.2.1-StrongTlsListener",
            lambda s: listener(s, port=80, protocol="HTTP", default_actions=REDIRECT),
            True,
        ),
        ("log group kept 30 days even if archived", RETENTION, lambda s: log_group(s, 30, subscribed=True), False),
        ("log group kept 400 days", RETENTION, lambda s: log_group(s, 400), True),
        ("bucket expiring after 30 days", RETENTION, lambda s: bucket_expiring_after(s, 30), False),
        ("bucket expiring after 400 days", RETENTION, lambda s: bucket_expiring_after(s, 400), True),
        ("SSH open to IPv6 internet", "1.3-RestrictedInbound", ingress(22, "::/0"), False),
        ("SSH from a private range", "1.3-RestrictedInbound", ingress(22, "10.0.0.0/8"), True),
        ("HTTP open to the internet", "1.3-RestrictedInbound", ingress(80), True),
        ("unversioned audit bucket", UNERASABLE, audit_bucket(versioned=False), False),
        ("deleted records expire after 90 days", UNERASABLE, audit_bucket(noncurrent_days=90), False),
        ("lifecycle changes not guarded", UNERASABLE, audit_bucket(guarded=tuple(ERASING_ACTIONS)), False),
        ("locked shorter than kept", LOCKED, audit_bucket(locked_days=365), False),
    ],
)
def test_rule_edges(name: str, suffix: str, build: Builder, compliant: bool) -> None:
    assert (rule_id(suffix) not in findings_of(build)) == compliant, name


def test_pack_fails_cdk_synth_when_registered() -> None:
    app = App()
    kms.CfnKey(Stack(app, "Case"), "Key", key_policy={})
    Validations.of(app).add_plugins(PCIDSS401Checks(app))
    with pytest.raises(RuntimeError, match=r"PCI\.DSS\.401::PCI\.DSS\.401-3\.7-KeyRotation"):
        app.synth()
