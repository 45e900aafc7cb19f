"""CloudWatch Logs log group encrypted with a customer-managed key and kept on stack deletion."""

from __future__ import annotations

from aws_cdk import ArnFormat, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct

from components import source_arns

# The retention values of at least 90 days, the floor that configuration enforces.
RETENTION: dict[int, logs.RetentionDays] = {
    90: logs.RetentionDays.THREE_MONTHS,
    120: logs.RetentionDays.FOUR_MONTHS,
    150: logs.RetentionDays.FIVE_MONTHS,
    180: logs.RetentionDays.SIX_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
    400: logs.RetentionDays.THIRTEEN_MONTHS,
    545: logs.RetentionDays.EIGHTEEN_MONTHS,
    731: logs.RetentionDays.TWO_YEARS,
    1096: logs.RetentionDays.THREE_YEARS,
    1827: logs.RetentionDays.FIVE_YEARS,
    2192: logs.RetentionDays.SIX_YEARS,
    2557: logs.RetentionDays.SEVEN_YEARS,
    2922: logs.RetentionDays.EIGHT_YEARS,
    3288: logs.RetentionDays.NINE_YEARS,
    3653: logs.RetentionDays.TEN_YEARS,
}


class EncryptedLogGroup(Construct):
    """Log group under a customer-managed key, kept `retention_days` and retained on stack deletion or replacement
    (not when the stack's first create fails: then there is nothing to keep and a named group would block the retry).
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        key: kms.IKey,
        retention_days: int,
        log_group_name: str | None = None,
    ) -> None:
        super().__init__(scope, id_)
        self.log_group: logs.LogGroup = logs.LogGroup(
            self,
            "LogGroup",
            log_group_name=log_group_name,
            encryption_key=key,
            retention=RETENTION[retention_days],
            removal_policy=RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
        )


def log_group_arn(scope: Construct, log_group_name: str) -> str:
    """The log group's ARN without the trailing ":*" that ILogGroup.log_group_arn carries (what vended-log
    deliveries and their resource policies name)."""
    return Stack.of(scope).format_arn(
        service="logs", resource="log-group", resource_name=log_group_name, arn_format=ArnFormat.COLON_RESOURCE_NAME
    )


def vended_log_delivery(
    scope: Construct, id_: str, *, policy_name: str, log_group_name: str, sid: str
) -> logs.ResourcePolicy:
    """The CloudWatch Logs resource policy that lets AWS's log delivery (`delivery.logs.amazonaws.com`, for WAF and
    Network Firewall) write into one log group, for this account and region only. The service would otherwise add
    one of its own to the account, outside the templates; declared here, the path is reviewed with the app."""
    stack = Stack.of(scope)
    return logs.ResourcePolicy(
        scope,
        id_,
        resource_policy_name=policy_name,
        policy_statements=[
            iam.PolicyStatement(
                sid=sid,
                principals=[iam.ServicePrincipal("delivery.logs.amazonaws.com")],
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[f"{log_group_arn(scope, log_group_name)}:log-stream:*"],
                conditions={
                    "StringEquals": {"aws:SourceAccount": stack.account},
                    "ArnLike": {"aws:SourceArn": source_arns.log_delivery(stack)},
                },
            )
        ],
    )
