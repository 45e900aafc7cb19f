"""Customer-managed KMS keys: rotated yearly, retained, and usable only by the services named here."""

from __future__ import annotations

from aws_cdk import ArnFormat, Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from components import source_arns
from components.break_glass import Custodians, deny_all_but

# A retired key cannot be recovered after this window; the longest AWS allows.
PENDING_WINDOW = Duration.days(30)


# What retires a key or loosens it: only the key administrator may (and CloudFormation may schedule a key's
# deletion: it does so only when the key's stack fails its first create, since the keys are retained otherwise).
RETIRING_ACTIONS = ("kms:ScheduleKeyDeletion", "kms:DisableKey", "kms:DisableKeyRotation")


def _rotated_key(scope: Construct, id_: str, *, alias: str, description: str, custodians: Custodians) -> kms.Key:
    key = kms.Key(
        scope,
        id_,
        alias=alias,
        description=description,
        enable_key_rotation=True,
        pending_window=PENDING_WINDOW,
        removal_policy=RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    )
    for statement in guard_statements(custodians):
        key.add_to_resource_policy(statement)
    return key


def guard_statements(custodians: Custodians) -> list[iam.PolicyStatement]:
    """Every principal of the account may use the key as its policies allow; none but the key administrator
    may retire it, none but it and deploys may change its policy, and grants are only for AWS resources."""
    administrator, deployer = custodians.key_admin_role_arn, custodians.deployer_role_arn
    # In a key policy, "*" means this key.
    return [
        deny_all_but("OnlyKeyAdministratorDisables", ("kms:DisableKey", "kms:DisableKeyRotation"), "*", administrator),
        # CloudFormation deletes a key only when its stack's first create rolls back: without this exemption the
        # rollback fails and leaves the keys behind.
        deny_all_but(
            "OnlyKeyAdministratorOrAFailedCreateDeletes", ("kms:ScheduleKeyDeletion",), "*", administrator, deployer
        ),
        deny_all_but("OnlyDeploysOrKeyAdministratorChangePolicy", ("kms:PutKeyPolicy",), "*", administrator, deployer),
        iam.PolicyStatement(
            sid="GrantsOnlyForAwsResources",
            effect=iam.Effect.DENY,
            principals=[iam.AnyPrincipal()],
            actions=["kms:CreateGrant"],
            resources=["*"],
            # IfExists: a CreateGrant made directly, not by a service for a resource, carries no such key.
            conditions={"BoolIfExists": {"kms:GrantIsForAWSResource": "false"}},
        ),
    ]


class LogEncryptionKey(Construct):
    """KMS key for CloudWatch Logs log groups of this account and region, and nothing else."""

    def __init__(self, scope: Construct, id_: str, *, alias: str, custodians: Custodians) -> None:
        super().__init__(scope, id_)
        stack = Stack.of(self)
        self.key: kms.Key = _rotated_key(
            self, "Key", alias=alias, description="Encrypts CloudWatch Logs log groups", custodians=custodians
        )
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowCloudWatchLogsOfThisAccountAndRegion",
                principals=[iam.ServicePrincipal(f"logs.{stack.region}.amazonaws.com")],
                actions=["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
                resources=["*"],  # In a key policy, "*" means this key.
                conditions={
                    "ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn": stack.format_arn(
                            service="logs",
                            resource="log-group",
                            resource_name="*",
                            arn_format=ArnFormat.COLON_RESOURCE_NAME,
                        )
                    }
                },
            )
        )


def _events_may_use(*, sid: str, context_key: str, arns: str) -> iam.PolicyStatement:
    """EventBridge's KMS requests carry no source keys (SNS guide, key management: "Adding the aws:SourceAccount and
    aws:SourceArn to a AWS KMS policy is not supported for EventBridge-to-encrypted topics"); the service it writes
    through names the topic or queue in the encryption context: this account's, here."""
    return iam.PolicyStatement(
        sid=sid,
        principals=[iam.ServicePrincipal("events.amazonaws.com")],
        actions=["kms:Decrypt", "kms:GenerateDataKey*"],
        resources=["*"],
        conditions={"ArnLike": {f"kms:EncryptionContext:{context_key}": arns}},
    )


class DataEncryptionKey(Construct):
    """KMS key for the audit trail at rest: the audit buckets, their replicas, the log archive stream, and the change
    guard's dead-letter queue (what EventBridge could not deliver; a key apart from the topics', which may be what
    refused it)."""

    def __init__(
        self, scope: Construct, id_: str, *, alias: str, custodians: Custodians, trail: str | None = None
    ) -> None:
        super().__init__(scope, id_)
        stack = Stack.of(self)
        self.key: kms.Key = _rotated_key(
            self,
            "Key",
            alias=alias,
            description="Encrypts the audit buckets and the log archive stream",
            custodians=custodians,
        )
        if trail is not None:
            # The management trail of `governance: create` (components/governance.py) encrypts its log files with
            # this key (CloudTrail guide, "Configure AWS KMS key policies for CloudTrail").
            source = {"aws:SourceArn": stack.format_arn(service="cloudtrail", resource="trail", resource_name=trail)}
            self.key.add_to_resource_policy(
                iam.PolicyStatement(
                    sid="AllowCloudTrailToEncryptLogs",
                    principals=[iam.ServicePrincipal("cloudtrail.amazonaws.com")],
                    actions=["kms:GenerateDataKey*"],
                    resources=["*"],
                    conditions={
                        "StringEquals": source,
                        "StringLike": {
                            "kms:EncryptionContext:aws:cloudtrail:arn": stack.format_arn(
                                service="cloudtrail", region="*", resource="trail", resource_name="*"
                            )
                        },
                    },
                )
            )
            self.key.add_to_resource_policy(
                iam.PolicyStatement(
                    sid="AllowCloudTrailToDescribeKey",
                    principals=[iam.ServicePrincipal("cloudtrail.amazonaws.com")],
                    actions=["kms:DescribeKey"],
                    resources=["*"],
                    conditions={"StringEquals": source},
                )
            )
        # VPC flow-log delivery writes SSE-KMS objects into the flow-log bucket.
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowLogDeliveryForThisAccount",
                principals=[iam.ServicePrincipal("delivery.logs.amazonaws.com")],
                actions=["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
                resources=["*"],
                conditions={
                    "StringEquals": {"aws:SourceAccount": stack.account},
                    "ArnLike": {"aws:SourceArn": source_arns.log_delivery(stack)},
                },
            )
        )
        self.key.add_to_resource_policy(
            _events_may_use(
                sid="AllowEventRulesToDeadLetter", context_key="aws:sqs:arn", arns=source_arns.queues(stack)
            )
        )


class TopicEncryptionKey(Construct):
    """KMS key for the alarm topics: CloudWatch alarms, AWS Budgets and EventBridge rules of this account may publish
    with it."""

    def __init__(self, scope: Construct, id_: str, *, alias: str, custodians: Custodians) -> None:
        super().__init__(scope, id_)
        stack = Stack.of(self)
        self.key: kms.Key = _rotated_key(
            self, "Key", alias=alias, description="Encrypts the alarm topics", custodians=custodians
        )
        # CloudWatch alarms and AWS Budgets publish to the encrypted alarm topics (SNS "Enable compatibility
        # between event sources from AWS services and encrypted topics"); both send these source keys to KMS.
        for sid, service, sources in (
            ("AllowAlarmsToPublish", "cloudwatch.amazonaws.com", source_arns.alarms(stack)),
            ("AllowBudgetsToPublish", "budgets.amazonaws.com", source_arns.budgets(stack)),
        ):
            self.key.add_to_resource_policy(
                iam.PolicyStatement(
                    sid=sid,
                    principals=[iam.ServicePrincipal(service)],
                    actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                    resources=["*"],
                    conditions={
                        "StringEquals": {"aws:SourceAccount": stack.account},
                        "ArnLike": {"aws:SourceArn": sources},
                    },
                )
            )
        # EventBridge rules publish to the encrypted warning topic (components/change_guard.py).
        self.key.add_to_resource_policy(
            _events_may_use(
                sid="AllowEventRulesToPublish", context_key="aws:sns:topicArn", arns=source_arns.topics(stack)
            )
        )


class SecretEncryptionKey(Construct):
    """KMS key for the payment data: the processor credentials and the ledger. No service principal is granted
    anything: Secrets Manager and DynamoDB use it on behalf of the roles allowed to, through their own service."""

    def __init__(self, scope: Construct, id_: str, *, alias: str, custodians: Custodians) -> None:
        super().__init__(scope, id_)
        self.key: kms.Key = _rotated_key(
            self,
            "Key",
            alias=alias,
            description="Encrypts the processor credentials and the payment ledger",
            custodians=custodians,
        )
