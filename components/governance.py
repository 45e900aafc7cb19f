"""Runtime governance for an account that has none (`governance: create`): what PCI DSS v4.0.1 asks to run
continuously and an organization usually runs centrally (`governance: verify`, where `make preflight` checks it).

- `ManagementTrail` (primary region only: the trail covers every region): every management read and write, log
  file validation (10.3.4), the data key, into an audit bucket, and into CloudWatch Logs, where a metric filter and
  an alarm on the warning topic watch each of root use, IAM policy changes, console sign-in without MFA, security
  group changes and key policy changes (10.2.1, 10.4.1).
- `ConfigRecording`: AWS Config records every supported resource type into the same bucket, and evaluates the
  managed rules docs/PCI-DSS-4.0.1.md cites (rules/pci_requirements.py).
- Security Hub with the PCI DSS v4.0.1 standard; GuardDuty with Runtime Monitoring and its ECS Fargate agent
  managed (the app admits the agent: settings/regions.py); ECR scanning of every repository on push.

Each is a singleton of its account and region: `make preflight` fails in `create` mode where one already exists
(its create would fail), naming it.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Duration, Stack, Token
from aws_cdk import aws_cloudtrail as cloudtrail
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_config as config
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_guardduty as guardduty
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_securityhub as securityhub
from aws_cdk import aws_sns as sns
from constructs import Construct

from components.audit_bucket import DELIVERY_UNVERIFIED, AuditBucket
from components.break_glass import Custodians
from components.generated_functions import log_retention_days
from components.log_group import EncryptedLogGroup
from components.managed_role import role_with_policy
from rules.acknowledge import AWS_SOLUTIONS, acknowledge, acknowledge_wildcards
from rules.pci_requirements import PCI_DSS_STANDARD

# CloudTrail events an alarm watches (CIS AWS Foundations monitoring patterns), by metric name.
TRAIL_ALARMS: dict[str, str] = {
    "RootUse": '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && '
    '$.eventType != "AwsServiceEvent" }',
    "IamPolicyChanges": "{ ($.eventName = DeleteGroupPolicy) || ($.eventName = DeleteRolePolicy) || "
    "($.eventName = DeleteUserPolicy) || ($.eventName = PutGroupPolicy) || ($.eventName = PutRolePolicy) || "
    "($.eventName = PutUserPolicy) || ($.eventName = CreatePolicy) || ($.eventName = DeletePolicy) || "
    "($.eventName = CreatePolicyVersion) || ($.eventName = DeletePolicyVersion) || "
    "($.eventName = AttachRolePolicy) || ($.eventName = DetachRolePolicy) || ($.eventName = AttachUserPolicy) || "
    "($.eventName = DetachUserPolicy) || ($.eventName = AttachGroupPolicy) || ($.eventName = DetachGroupPolicy) }",
    "ConsoleSignInWithoutMfa": '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") && '
    '($.userIdentity.type = "IAMUser") && ($.responseElements.ConsoleLogin = "Success") }',
    "SecurityGroupChanges": "{ ($.eventName = AuthorizeSecurityGroupIngress) || "
    "($.eventName = AuthorizeSecurityGroupEgress) || ($.eventName = RevokeSecurityGroupIngress) || "
    "($.eventName = RevokeSecurityGroupEgress) || ($.eventName = CreateSecurityGroup) || "
    "($.eventName = DeleteSecurityGroup) }",
    "KeyPolicyChanges": "{ ($.eventSource = kms.amazonaws.com) && (($.eventName = DisableKey) || "
    "($.eventName = ScheduleKeyDeletion) || ($.eventName = PutKeyPolicy)) }",
}
# The managed rules of rules/pci_requirements.py, with the parameters a rule needs; IAM's are global (primary only).
CONFIG_RULES: dict[str, dict[str, str]] = {
    "VPC_DEFAULT_SECURITY_GROUP_CLOSED": {},
    "ECS_CONTAINERS_READONLY_ACCESS": {},
    "ECS_CONTAINERS_NONPRIVILEGED": {},
    "ECS_TASK_DEFINITION_LINUX_USER_NON_ROOT": {},
    "CMK_BACKING_KEY_ROTATION_ENABLED": {},
    "KMS_CMK_NOT_SCHEDULED_FOR_DELETION": {},
    "ECR_PRIVATE_IMAGE_SCANNING_ENABLED": {},
    "ALB_WAF_ENABLED": {},
    "ECS_NO_ENVIRONMENT_SECRETS": {"secretKeys": "AWS_ACCESS_KEY_ID,AWS_SECRET_ACCESS_KEY,PASSWORD,SECRET,TOKEN"},
    "VPC_FLOW_LOGS_ENABLED": {},
    "ELB_LOGGING_ENABLED": {},
    "CLOUD_TRAIL_LOG_FILE_VALIDATION_ENABLED": {},
    # Three months immediately available (PCI DSS 10.5.1); the twelve months are the archive's.
    "CW_LOGGROUP_RETENTION_PERIOD_CHECK": {"MinRetentionTime": "90"},
}
GLOBAL_CONFIG_RULES: dict[str, dict[str, str]] = {"IAM_POLICY_NO_STATEMENTS_WITH_ADMIN_ACCESS": {}}
CONFIG_PREFIX = "config"


def trail_arn(stack: Stack, name: str) -> str:
    return stack.format_arn(service="cloudtrail", resource="trail", resource_name=name)


class GovernanceBucket(Construct):
    """The audit bucket CloudTrail and AWS Config deliver into, with the data key, in the Security stack beside the
    app's other audit buckets. Named (`PhysicalNames.governance_bucket`): the Governance stack names it without an
    import. With `trail`, its policy lets that trail, and no other, write its log files (CloudTrail checks the policy
    when the trail is created, in the later Governance stack)."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        bucket_name: str,
        retention: Duration,
        custodians: Custodians,
        data_key: kms.IKey,
        server_access_logs: s3.IBucket,
        trail: str | None,
    ) -> None:
        super().__init__(scope, id_)
        stack = Stack.of(self)
        self.bucket: s3.Bucket = AuditBucket(
            self,
            "Audit",
            bucket_name=bucket_name,
            retention=retention,
            custodians=custodians,
            encryption_key=data_key,
            server_access_logs=server_access_logs,
            server_access_logs_prefix="governance-bucket/",
            unlocked_because=DELIVERY_UNVERIFIED.format(writer="CloudTrail or AWS Config delivery"),
            unreplicated_reason=(
                "CloudTrail's digest files make a changed or removed log file detectable (log file validation)"
                if trail is not None
                else "Each region keeps its own AWS Config history; this is the standby region's, with no trail"
            )
            + "; compensating controls: versioning, RETAIN on stack deletion, noncurrent versions kept as long as "
            "current ones, and a bucket policy that lets only the break-glass role delete",
        ).bucket
        if trail is None:
            return
        # `aws:SourceArn` keeps every other trail out (the confused-deputy problem).
        this_trail = {"aws:SourceArn": trail_arn(stack, trail)}
        self.bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudTrailAclCheck",
                principals=[iam.ServicePrincipal("cloudtrail.amazonaws.com")],
                actions=["s3:GetBucketAcl"],
                resources=[self.bucket.bucket_arn],
                conditions={"StringEquals": this_trail},
            )
        )
        self.bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudTrailWrite",
                principals=[iam.ServicePrincipal("cloudtrail.amazonaws.com")],
                actions=["s3:PutObject"],
                resources=[self.bucket.arn_for_objects(f"AWSLogs/{stack.account}/*")],
                conditions={"StringEquals": this_trail | {"s3:x-amz-acl": "bucket-owner-full-control"}},
            )
        )


class ManagementTrail(Construct):
    """A multi-region trail of every management read and write, validated and encrypted with the data key, into
    `bucket` and a log group whose metric filters alarm on the warning topic. The data key's policy lets CloudTrail
    use it for this trail (components/keys.py)."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        name: str,
        bucket: s3.IBucket,
        data_key: kms.IKey,
        logs_key: kms.IKey,
        namespace: str,
        warning_topic: sns.ITopic,
        log_days: int,
    ) -> None:
        super().__init__(scope, id_)
        # Named, so that the bucket's and the data key's policies (GovernanceBucket, components/keys.py) can name
        # it in the earlier Security stack; `aws:SourceArn` keeps every other trail out.
        # No archive stream: the bucket is the trail's archive; the log group keeps a year at least (10.5.1).
        self.log_group = EncryptedLogGroup(
            self, "Events", key=logs_key, retention_days=log_retention_days(log_days)
        ).log_group
        self.role, policy = role_with_policy(
            self,
            "Logs",
            # No source condition: CloudTrail's guide says this role does not support aws:SourceArn or
            # aws:SourceAccount (a condition would make CreateTrail fail); the role can only write this log group.
            assumed_by=iam.ServicePrincipal("cloudtrail.amazonaws.com"),
            description="CloudTrail: deliver this trail's events to its log group",
            statements=[
                iam.PolicyStatement(
                    sid="DeliverTrailEvents",
                    actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                    resources=[self.log_group.log_group_arn],
                )
            ],
        )
        self.trail = cloudtrail.CfnTrail(
            self,
            "Trail",
            trail_name=name,
            s3_bucket_name=bucket.bucket_name,
            is_logging=True,
            is_multi_region_trail=True,
            include_global_service_events=True,
            enable_log_file_validation=True,
            kms_key_id=data_key.key_arn,
            cloud_watch_logs_log_group_arn=self.log_group.log_group_arn,
            cloud_watch_logs_role_arn=self.role.role_arn,
            event_selectors=[
                cloudtrail.CfnTrail.EventSelectorProperty(include_management_events=True, read_write_type="All")
            ],
        )
        # CloudTrail checks the role when the trail is created (the bucket policy is the earlier Security stack's).
        self.trail.node.add_dependency(policy)
        self.alarms: dict[str, cloudwatch.Alarm] = {}
        for metric, pattern in TRAIL_ALARMS.items():
            logs.MetricFilter(
                self,
                f"{metric}Filter",
                log_group=self.log_group,
                filter_pattern=logs.FilterPattern.literal(pattern),
                metric_namespace=namespace,
                metric_name=metric,
                metric_value="1",
            )
            alarm = cloudwatch.Alarm(
                self,
                f"{metric}Alarm",
                alarm_description=f"CloudTrail recorded {metric} (PCI DSS 10.4.1): who, what and from where are in "
                "the trail's log group",
                metric=cloudwatch.Metric(
                    namespace=namespace, metric_name=metric, statistic="Sum", period=Duration.minutes(5)
                ),
                threshold=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                evaluation_periods=1,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
            alarm.add_alarm_action(actions.SnsAction(warning_topic))
            self.alarms[metric] = alarm


class ConfigRecording(Construct):
    """AWS Config records every supported resource type of the region (global ones in `global_resources`) into
    `bucket` (known by its name: the acknowledgement of its key wildcard names it) under `config/`, and evaluates
    CONFIG_RULES (and GLOBAL_CONFIG_RULES with `global_resources`)."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        bucket: s3.IBucket,
        data_key: kms.IKey,
        global_resources: bool,
    ) -> None:
        super().__init__(scope, id_)
        stack = Stack.of(self)
        if Token.is_unresolved(bucket.bucket_name):
            raise ValueError(f"{id_}: give the bucket by its name (s3.Bucket.from_bucket_name), not a token")
        deliver = iam.PolicyStatement(
            sid="DeliverSnapshots",
            actions=["s3:PutObject"],
            resources=[bucket.arn_for_objects(f"{CONFIG_PREFIX}/AWSLogs/{stack.account}/*")],
            conditions={"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}},
        )
        self.role, policy = role_with_policy(
            self,
            "Delivery",
            assumed_by=iam.ServicePrincipal("config.amazonaws.com").with_conditions(
                {"StringEquals": {"aws:SourceAccount": stack.account}}
            ),
            description="AWS Config: deliver configuration snapshots and history to the governance bucket",
            statements=[
                iam.PolicyStatement(sid="CheckBucket", actions=["s3:GetBucketAcl"], resources=[bucket.bucket_arn]),
                deliver,
                iam.PolicyStatement(
                    sid="EncryptSnapshots",
                    actions=["kms:GenerateDataKey", "kms:Decrypt"],
                    resources=[data_key.key_arn],
                    conditions={"StringEquals": {"kms:ViaService": f"s3.{stack.region}.amazonaws.com"}},
                ),
            ],
        )
        # Config reads every supported resource type; AWS keeps its managed policy current as types are added.
        self.role.add_managed_policy(iam.ManagedPolicy.from_aws_managed_policy_name("service-role/AWS_ConfigRole"))
        acknowledge(
            self.role,
            "IAM4",
            granular="Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWS_ConfigRole",
            packs=(AWS_SOLUTIONS,),
            reason="AWS Config must read the configuration of every supported resource type, and AWS maintains "
            "AWS_ConfigRole as types are added; compensating control: only AWS Config acting for this account "
            "(aws:SourceAccount) may assume the role, and its own policy writes only this account's prefix of the "
            "governance bucket, which only the break-glass role may erase",
        )
        acknowledge_wildcards(
            policy,
            granular=f"Resource::arn:aws:s3:::{bucket.bucket_name}/{CONFIG_PREFIX}/AWSLogs/{stack.account}/*",
            statements=[deliver],
            reason="AWS Config names each delivered object by date and a random id; compensating control: the "
            "statement is limited to this account's prefix of the governance bucket, which only the break-glass "
            "role may erase",
        )
        self.recorder = config.CfnConfigurationRecorder(
            self,
            "Recorder",
            role_arn=self.role.role_arn,
            recording_group=config.CfnConfigurationRecorder.RecordingGroupProperty(
                all_supported=True, include_global_resource_types=global_resources
            ),
        )
        channel = config.CfnDeliveryChannel(
            self,
            "DeliveryChannel",
            s3_bucket_name=bucket.bucket_name,
            s3_key_prefix=CONFIG_PREFIX,
            s3_kms_key_arn=data_key.key_arn,
        )
        channel.node.add_dependency(policy)
        rules = CONFIG_RULES | (GLOBAL_CONFIG_RULES if global_resources else {})
        self.rules: list[config.CfnConfigRule] = []
        for identifier, parameters in rules.items():
            rule = config.CfnConfigRule(
                self,
                identifier.title().replace("_", ""),
                source=config.CfnConfigRule.SourceProperty(owner="AWS", source_identifier=identifier),
                input_parameters=parameters or None,
            )
            # A rule evaluates only what the recorder records.
            rule.add_dependency(self.recorder)
            self.rules.append(rule)


class DetectionServices(Construct):
    """Security Hub with the PCI DSS v4.0.1 standard, GuardDuty with Runtime Monitoring of Fargate tasks, and ECR
    scanning of every repository on push, in this region."""

    def __init__(self, scope: Construct, id_: str) -> None:
        super().__init__(scope, id_)
        stack = Stack.of(self)
        hub = securityhub.CfnHub(self, "SecurityHub", enable_default_standards=False)
        self.standard = securityhub.CfnStandard(
            self,
            "PciDssStandard",
            standards_arn=f"arn:{stack.partition}:securityhub:{stack.region}::{PCI_DSS_STANDARD}",
        )
        self.standard.add_dependency(hub)
        self.detector = guardduty.CfnDetector(
            self,
            "GuardDuty",
            enable=True,
            features=[
                guardduty.CfnDetector.CFNFeatureConfigurationProperty(
                    name="RUNTIME_MONITORING",
                    status="ENABLED",
                    additional_configuration=[
                        guardduty.CfnDetector.CFNFeatureAdditionalConfigurationProperty(
                            name="ECS_FARGATE_AGENT_MANAGEMENT", status="ENABLED"
                        )
                    ],
                )
            ],
        )
        self.scanning = ecr.CfnRegistryScanningConfiguration(
            self,
            "ImageScanning",
            scan_type="BASIC",
            rules=[
                ecr.CfnRegistryScanningConfiguration.ScanningRuleProperty(
                    scan_frequency="SCAN_ON_PUSH",
                    repository_filters=[
                        ecr.CfnRegistryScanningConfiguration.RepositoryFilterProperty(
                            filter="*", filter_type="WILDCARD"
                        )
                    ],
                )
            ],
        )


def alarm_names(trail: ManagementTrail | None) -> Sequence[str]:
    return [alarm.alarm_name for alarm in trail.alarms.values()] if trail else []
