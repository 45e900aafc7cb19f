"""The PCI DSS v4.0.1 pack: each rule fails on a bad construct and passes on a good one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from aws_cdk import App, Duration, Environment, RemovalPolicy, Stack, Validations
from aws_cdk import aws_cloudtrail as cloudtrail
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_events as events
from aws_cdk import aws_guardduty as guardduty
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk import aws_wafv2 as wafv2

from components.break_glass import deny_all_but
from components.keys import guard_statements
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


def log_group(
    stack: Stack, days: int, *, subscribed: bool = False, pattern: str = "", destination: str = "arn:aws:firehose:x"
) -> None:
    group = logs.CfnLogGroup(stack, "Group", retention_in_days=days)
    if subscribed:
        logs.CfnSubscriptionFilter(
            stack, "Archive", log_group_name=group.ref, filter_pattern=pattern, destination_arn=destination
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


def task_definition(*, capabilities: list[str], user: str | None = "10001:10001") -> Builder:
    def build(stack: Stack) -> None:
        ecs.CfnTaskDefinition(
            stack,
            "Task",
            container_definitions=[
                ecs.CfnTaskDefinition.ContainerDefinitionProperty(
                    name="app",
                    image="example",
                    user=user,
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


def egress_to_a_vpc(stack: Stack) -> None:
    vpc = ec2.CfnVPC(stack, "Vpc", cidr_block="10.0.0.0/16")
    egress(vpc.attr_cidr_block)(stack)


def wildcard_policy(*, justified: bool) -> Builder:
    def build(stack: Stack) -> None:
        login = iam.PolicyStatement(sid="EcrLogin", actions=["ecr:GetAuthorizationToken"], resources=["*"])
        policy = iam.ManagedPolicy(stack, "Policy", statements=[login])
        if justified:
            acknowledge_wildcards(policy, granular="Resource::*", statements=[login], reason="no resource ARN")

    return build


def service(*, public_ip: str) -> Builder:
    def build(stack: Stack) -> None:
        ecs.CfnService(
            stack,
            "Service",
            task_definition="arn:task",
            network_configuration=ecs.CfnService.NetworkConfigurationProperty(
                awsvpc_configuration=ecs.CfnService.AwsVpcConfigurationProperty(
                    subnets=["subnet-1"], assign_public_ip=public_ip
                )
            ),
        )

    return build


def vpc(*, restricted: bool) -> Builder:
    def build(stack: Stack) -> None:
        ec2.Vpc(stack, "Vpc", max_azs=1, nat_gateways=0, restrict_default_security_group=restricted)

    return build


def bucket_encrypted(encryption: s3.BucketEncryption) -> Builder:
    def build(stack: Stack) -> None:
        key = kms.Key(stack, "Key") if encryption is s3.BucketEncryption.KMS else None
        s3.Bucket(stack, "Bucket", encryption=encryption, encryption_key=key)

    return build


def key_with(*, guarded: bool, window: int = 30, retained: bool = True) -> Builder:
    def build(stack: Stack) -> None:
        key = kms.Key(
            stack,
            "Key",
            enable_key_rotation=True,
            pending_window=Duration.days(window),
            removal_policy=RemovalPolicy.RETAIN if retained else RemovalPolicy.DESTROY,
        )
        if guarded:
            for statement in guard_statements(CUSTODIANS):
                key.add_to_resource_policy(statement)

    return build


def target_group(protocol: str) -> Builder:
    return lambda s: elbv2.CfnTargetGroup(s, "Targets", protocol=protocol, port=8443, target_type="ip", vpc_id="vpc-1")


def web_acl(*groups: tuple[str, bool]) -> Builder:
    """A web ACL with AWS managed rule groups: (name, counts only)."""

    def build(stack: Stack) -> None:
        rules = [
            wafv2.CfnWebACL.RuleProperty(
                name=name,
                priority=priority,
                statement=wafv2.CfnWebACL.StatementProperty(
                    managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                        vendor_name="AWS", name=name
                    )
                ),
                override_action=wafv2.CfnWebACL.OverrideActionProperty(
                    count={} if counts else None, none=None if counts else {}
                ),
                visibility_config=VISIBILITY,
            )
            for priority, (name, counts) in enumerate(groups)
        ]
        wafv2.CfnWebACL(
            stack, "Acl", scope="REGIONAL", default_action={"allow": {}}, visibility_config=VISIBILITY, rules=rules
        )

    return build


VISIBILITY = wafv2.CfnWebACL.VisibilityConfigProperty(
    cloud_watch_metrics_enabled=True, metric_name="m", sampled_requests_enabled=True
)
COMMON, BAD_INPUTS = "AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet"


def role_with(*, actions: list[str], managed: str | None = None) -> Builder:
    def build(stack: Stack) -> None:
        role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com"))
        role.add_to_policy(iam.PolicyStatement(actions=actions, resources=["arn:aws:s3:::bucket"]))
        if managed:
            role.add_managed_policy(iam.ManagedPolicy.from_aws_managed_policy_name(managed))

    return build


def container_environment(**environment: str) -> Builder:
    def build(stack: Stack) -> None:
        ecs.CfnTaskDefinition(
            stack,
            "Task",
            container_definitions=[
                ecs.CfnTaskDefinition.ContainerDefinitionProperty(
                    name="app",
                    image="example",
                    environment=[
                        ecs.CfnTaskDefinition.KeyValuePairProperty(name=k, value=v) for k, v in environment.items()
                    ],
                )
            ],
        )

    return build


def alb_logging(enabled: bool) -> Builder:
    def build(stack: Stack) -> None:
        elbv2.CfnLoadBalancer(
            stack,
            "Alb",
            scheme="internal",
            type="application",
            subnets=["subnet-1", "subnet-2"],
            load_balancer_attributes=[
                elbv2.CfnLoadBalancer.LoadBalancerAttributeProperty(
                    key="access_logs.s3.enabled", value="true" if enabled else "false"
                )
            ],
        )

    return build


def trail(**overrides: object) -> Builder:
    """A trail as the governance stack builds it: logging everywhere, validated, a customer key, into a log group
    whose one metric filter has an alarm; `overrides` change its properties, `alarmed=False` drops the alarm."""

    def build(stack: Stack) -> None:
        alarmed = overrides.pop("alarmed", True)
        group = logs.CfnLogGroup(stack, "TrailLogs", retention_in_days=400)
        props: dict[str, object] = {
            "is_logging": True,
            "is_multi_region_trail": True,
            "include_global_service_events": True,
            "enable_log_file_validation": True,
            "kms_key_id": "arn:aws:kms:us-east-1:1:key/k",
            "s3_bucket_name": "trail",
            "cloud_watch_logs_log_group_arn": group.attr_arn,
            "cloud_watch_logs_role_arn": "arn:aws:iam::1:role/trail",
        } | overrides
        cloudtrail.CfnTrail(stack, "Trail", **props)  # type: ignore[arg-type]
        logs.CfnMetricFilter(
            stack,
            "RootUse",
            log_group_name=group.ref,
            filter_pattern='{ $.userIdentity.type = "Root" }',
            metric_transformations=[
                logs.CfnMetricFilter.MetricTransformationProperty(
                    metric_namespace="Trail", metric_name="RootUse", metric_value="1"
                )
            ],
        )
        if alarmed:
            cloudwatch.CfnAlarm(
                stack,
                "RootUseAlarm",
                namespace="Trail",
                metric_name="RootUse",
                statistic="Sum",
                period=300,
                evaluation_periods=1,
                threshold=1,
                comparison_operator="GreaterThanOrEqualToThreshold",
            )

    return build


def rule_to_topic(*, dead_letters: bool) -> Builder:
    def build(stack: Stack) -> None:
        target = events.CfnRule.TargetProperty(
            id="Warn",
            arn="arn:aws:sns:us-east-1:1:warning",
            dead_letter_config=events.CfnRule.DeadLetterConfigProperty(arn="arn:aws:sqs:us-east-1:1:dlq")
            if dead_letters
            else None,
        )
        events.CfnRule(stack, "Rule", event_pattern={"source": ["aws.ecs"]}, targets=[target])

    return build


def watched_service(
    *,
    calls: tuple[str, ...] = ("UpdateService", "DeleteService"),
    cluster: str | None = None,
    watched: bool = True,
    field: str = "cluster",
) -> Builder:
    """A service in a cluster, and a guard rule on `calls` (none when not `watched`), filtered at `field` on
    `cluster` when given: "own" names the service's cluster, anything else another one."""

    def build(stack: Stack) -> None:
        own = ecs.CfnCluster(stack, "Cluster")
        ecs.CfnService(stack, "Service", cluster=own.ref, task_definition="arn:task")
        detail: dict[str, Any] = {"eventName": list(calls) if watched else ["CreateCluster"]}
        if cluster is not None:
            detail["requestParameters"] = {field: [own.ref if cluster == "own" else cluster]}
        pattern = {"source": ["aws.ecs"], "detail-type": ["AWS API Call via CloudTrail"], "detail": detail}
        target = events.CfnRule.TargetProperty(id="Warn", arn="arn:aws:sns:us-east-1:1:warning")
        events.CfnRule(stack, "Guard", event_pattern=pattern, targets=[target])

    return build


SECURITY_GROUP_CALLS = (
    "AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress", "RevokeSecurityGroupIngress",
    "RevokeSecurityGroupEgress", "DeleteSecurityGroup",
)  # fmt: skip


def watched_group(*, calls: tuple[str, ...], in_place: bool = True) -> Builder:
    """A security group, a guard rule on `calls` at `groupId`, and (`in_place`) one on ModifySecurityGroupRules at
    `ModifySecurityGroupRulesRequest.GroupId`."""

    def build(stack: Stack) -> None:
        group = ec2.CfnSecurityGroup(stack, "Group", group_description="tasks", vpc_id="vpc-1")
        target = events.CfnRule.TargetProperty(id="Warn", arn="arn:aws:sns:us-east-1:1:warning")
        patterns = [{"eventName": list(calls), "requestParameters": {"groupId": [group.attr_group_id]}}]
        if in_place:
            patterns.append({
                "eventName": ["ModifySecurityGroupRules"],
                "requestParameters": {"ModifySecurityGroupRulesRequest": {"GroupId": [group.attr_group_id]}},
            })  # fmt: skip
        for number, detail in enumerate(patterns):
            pattern = {"source": ["aws.ec2"], "detail-type": ["AWS API Call via CloudTrail"], "detail": detail}
            events.CfnRule(stack, f"Guard{number}", event_pattern=pattern, targets=[target])

    return build


@pytest.mark.parametrize(
    ("builder", "compliant"),
    [
        # One call watched is not the resource watched: a DeleteService would pass unseen.
        (watched_service(calls=("UpdateService",)), False),
        (watched_service(calls=("UpdateService", "DeleteService"), cluster="own"), True),
        (watched_service(calls=("UpdateService", "DeleteService"), cluster="someone-elses-cluster"), False),
        # Its cluster, but in a field CloudTrail does not record for these calls: the rule never matches.
        (watched_service(calls=("UpdateService", "DeleteService"), cluster="own", field="nonsenseField"), False),
        (watched_group(calls=SECURITY_GROUP_CALLS), True),
        # A rule edited in place (ModifySecurityGroupRules) records its group under its own request's name.
        (watched_group(calls=(*SECURITY_GROUP_CALLS, "ModifySecurityGroupRules"), in_place=False), False),
        (watched_group(calls=SECURITY_GROUP_CALLS, in_place=False), False),
    ],
    ids=[
        "one call of two",
        "filtered on its own cluster",
        "filtered on another cluster",
        "a field never recorded",
        "a group, every call at its field",
        "ModifySecurityGroupRules at groupId",
        "ModifySecurityGroupRules unwatched",
    ],
)
def test_change_detection_needs_every_changing_call_on_this_resource(builder: Builder, compliant: bool) -> None:
    assert (rule_id("11.5.2-ChangeDetection") not in findings_of(builder)) == compliant


def alarmed_topic(*, cloudwatch_may_publish: bool) -> Builder:
    def build(stack: Stack) -> None:
        topic = sns.Topic(stack, "Topic")
        if cloudwatch_may_publish:
            topic.add_to_resource_policy(
                iam.PolicyStatement(
                    principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                    actions=["sns:Publish"],
                    resources=[topic.topic_arn],
                )
            )
        alarm = cloudwatch.Alarm(
            stack,
            "Alarm",
            metric=cloudwatch.Metric(namespace="N", metric_name="M"),
            threshold=1,
            evaluation_periods=1,
        )
        alarm.add_alarm_action(actions.SnsAction(topic))

    return build


def detector(*, fargate: str) -> Builder:
    def build(stack: Stack) -> None:
        guardduty.CfnDetector(
            stack,
            "Detector",
            enable=True,
            features=[
                guardduty.CfnDetector.CFNFeatureConfigurationProperty(
                    name="RUNTIME_MONITORING",
                    status="ENABLED",
                    additional_configuration=[
                        guardduty.CfnDetector.CFNFeatureAdditionalConfigurationProperty(
                            name="ECS_FARGATE_AGENT_MANAGEMENT", status=fargate
                        )
                    ],
                )
            ],
        )

    return build


def registry_scanning(repository_filter: str) -> Builder:
    def build(stack: Stack) -> None:
        ecr.CfnRegistryScanningConfiguration(
            stack,
            "Scanning",
            scan_type="ENHANCED",
            rules=[
                ecr.CfnRegistryScanningConfiguration.ScanningRuleProperty(
                    scan_frequency="CONTINUOUS_SCAN",
                    repository_filters=[
                        ecr.CfnRegistryScanningConfiguration.RepositoryFilterProperty(
                            filter=repository_filter, filter_type="WILDCARD"
                        )
                    ],
                )
            ],
        )

    return build


def aws_managed_key_bucket(stack: Stack) -> None:
    s3.CfnBucket(
        stack,
        "Bucket",
        bucket_encryption=s3.CfnBucket.BucketEncryptionProperty(
            server_side_encryption_configuration=[
                s3.CfnBucket.ServerSideEncryptionRuleProperty(
                    server_side_encryption_by_default=s3.CfnBucket.ServerSideEncryptionByDefaultProperty(
                        sse_algorithm="aws:kms", kms_master_key_id="alias/aws/s3"
                    )
                )
            ]
        ),
    )


def key_without_policy_guard(stack: Stack) -> None:
    key = kms.Key(stack, "Key", enable_key_rotation=True, removal_policy=RemovalPolicy.RETAIN)
    for statement in guard_statements(CUSTODIANS):
        if statement.sid != "OnlyDeploysOrKeyAdministratorChangePolicy":
            key.add_to_resource_policy(statement)


def not_action_policy(stack: Stack) -> None:
    iam.ManagedPolicy(stack, "Policy", statements=[
        iam.PolicyStatement(not_actions=["iam:*"], resources=["arn:aws:s3:::bucket"])])  # fmt: skip


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
    "1.3.1-NoPublicIpOnTasks": (service(public_ip="ENABLED"), service(public_ip="DISABLED")),
    "2.2.1-DefaultSecurityGroupClosed": (vpc(restricted=False), vpc(restricted=True)),
    "3.5.1-CustomerManagedKeys": (
        bucket_encrypted(s3.BucketEncryption.S3_MANAGED),
        bucket_encrypted(s3.BucketEncryption.KMS),
    ),
    "3.6.1-KeyCustodians": (key_with(guarded=False), key_with(guarded=True)),
    "4.2.1-TlsToTargets": (target_group("HTTP"), target_group("HTTPS")),
    "6.4.1-ManagedWafRules": (web_acl((COMMON, False)), web_acl((COMMON, False), (BAD_INPUTS, False))),
    "7.2.1-NoFullAdministration": (role_with(actions=["*"]), role_with(actions=["s3:GetObject"])),
    "8.6.2-NoSecretsInEnvironment": (
        container_environment(DB_PASSWORD="hunter2"),
        container_environment(LOG_LEVEL="info"),
    ),
    "10.2.1-ComponentsLogged": (alb_logging(False), alb_logging(True)),
    "10.2.1-TrailRecordsEverything": (trail(is_multi_region_trail=False), trail()),
    "10.3.4-TrailIntegrity": (trail(enable_log_file_validation=False), trail()),
    "10.4.1-TrailReviewedAutomatically": (trail(alarmed=False), trail()),
    "10.7.2-UndeliveredAlertsKept": (rule_to_topic(dead_letters=False), rule_to_topic(dead_letters=True)),
    "11.5.2-ChangeDetection": (watched_service(watched=False), watched_service()),
    "12.10.5-AlarmsCanNotify": (
        alarmed_topic(cloudwatch_may_publish=False),
        alarmed_topic(cloudwatch_may_publish=True),
    ),
    "5.2.1-RuntimeThreatDetection": (detector(fargate="DISABLED"), detector(fargate="ENABLED")),
    "6.3.3-ImageScanning": (registry_scanning("payments-*"), registry_scanning("*")),
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
        (
            "archived through a filter that keeps only errors",
            RETENTION,
            lambda s: log_group(s, 90, subscribed=True, pattern="ERROR"),
            False,
        ),
        (
            "subscribed to a function, not an archive",
            RETENTION,
            lambda s: log_group(s, 90, subscribed=True, destination="arn:aws:lambda:us-east-1:1:function:f"),
            False,
        ),
        ("bucket expiring after 30 days", RETENTION, lambda s: bucket_expiring_after(s, 30), False),
        ("bucket expiring after 400 days", RETENTION, lambda s: bucket_expiring_after(s, 400), True),
        ("SSH open to IPv6 internet", "1.3-RestrictedInbound", ingress(22, "::/0"), False),
        ("SSH from a private range", "1.3-RestrictedInbound", ingress(22, "10.0.0.0/8"), True),
        ("HTTP open to the internet", "1.3-RestrictedInbound", ingress(80), True),
        ("egress to another stack's VPC range (a token)", "1.3.2-RestrictedOutbound", egress_to_a_vpc, True),
        ("unversioned audit bucket", UNERASABLE, audit_bucket(versioned=False), False),
        ("deleted records expire after 90 days", UNERASABLE, audit_bucket(noncurrent_days=90), False),
        ("lifecycle changes not guarded", UNERASABLE, audit_bucket(guarded=tuple(ERASING_ACTIONS)), False),
        ("locked shorter than kept", LOCKED, audit_bucket(locked_days=365), False),
        ("runs as root by uid", "2.2-HardenedContainers", task_definition(capabilities=["ALL"], user="0:0"), False),
        ("runs as the image's user", "2.2-HardenedContainers", task_definition(capabilities=["ALL"], user=None), False),
        ("bucket on an AWS managed key", "3.5.1-CustomerManagedKeys", aws_managed_key_bucket, False),
        ("key deleted after 7 days", "3.6.1-KeyCustodians", key_with(guarded=True, window=7), False),
        ("key deleted with its stack", "3.6.1-KeyCustodians", key_with(guarded=True, retained=False), False),
        ("managed group counting only", "6.4.1-ManagedWafRules", web_acl((COMMON, False), (BAD_INPUTS, True)), False),
        (
            "role with AdministratorAccess",
            "7.2.1-NoFullAdministration",
            role_with(actions=["s3:GetObject"], managed="AdministratorAccess"),
            False,
        ),
        (
            "an access key id as a value",
            "8.6.2-NoSecretsInEnvironment",
            container_environment(UPLOADER="AKIAABCDEFGHIJKLMNOP"),
            False,
        ),
        (
            "trail narrowed to writes",
            "10.2.1-TrailRecordsEverything",
            trail(event_selectors=[cloudtrail.CfnTrail.EventSelectorProperty(read_write_type="WriteOnly")]),
            False,
        ),
        ("trail on an AWS key", "10.3.4-TrailIntegrity", trail(kms_key_id=None), False),
        ("topic no alarm notifies", "12.10.5-AlarmsCanNotify", lambda s: sns.Topic(s, "Topic"), True),
        (
            "a TLS 1.3 policy that still allows TLS 1.0",
            "4.2.1-StrongTlsListener",
            lambda s: listener(
                s,
                port=443,
                protocol="HTTPS",
                certificates=CERTIFICATE,
                default_actions=FORWARD,
                ssl_policy="ELBSecurityPolicy-TLS13-1-0-2021-06",
            ),
            False,
        ),
        ("a key anyone may re-policy", "3.6.1-KeyCustodians", key_without_policy_guard, False),
        ("Allow with NotAction", "7.2.1-NoFullAdministration", not_action_policy, False),
    ],
)
def test_rule_edges(name: str, suffix: str, build: Builder, compliant: bool) -> None:
    assert (rule_id(suffix) not in findings_of(build)) == compliant, name


def test_a_change_watch_in_one_region_does_not_cover_another() -> None:
    """EventBridge sees only its own region's CloudTrail events."""
    app = App()
    watched_service()(Stack(app, "East", env=Environment(account="1", region="us-east-1")))
    service(public_ip="DISABLED")(Stack(app, "West", env=Environment(account="1", region="us-west-2")))
    found = {(f.rule, f.construct_path.split("/")[0]) for f in unacknowledged_findings(PCIDSS401Checks(app), app)}
    assert (rule_id("11.5.2-ChangeDetection"), "West") in found
    assert (rule_id("11.5.2-ChangeDetection"), "East") not in found


def test_pack_fails_cdk_synth_when_registered() -> None:
    app = App()
    kms.CfnKey(Stack(app, "Case"), "Key", key_policy={})
    Validations.of(app).add_plugins(PCIDSS401Checks(app))
    with pytest.raises(RuntimeError, match=r"PCI\.DSS\.401::PCI\.DSS\.401-3\.7-KeyRotation"):
        app.synth()
