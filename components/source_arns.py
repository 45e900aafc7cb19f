"""`aws:SourceArn` patterns of the AWS services that deliver into this app's resources.

Every service-principal grant of the app (topic, bucket, key and log resource policies, trust policies) names
its caller by one of these, so that no other account's or region's resource can use the grant (the
confused-deputy problem). One place, so a grant and the request `tests/support/paths/matrix.py` models agree.
"""

from __future__ import annotations

from aws_cdk import ArnFormat, Stack


def alarms(stack: Stack) -> str:
    """Every CloudWatch alarm of the stack's account and region (metric and composite)."""
    return stack.format_arn(
        service="cloudwatch", resource="alarm", resource_name="*", arn_format=ArnFormat.COLON_RESOURCE_NAME
    )


def budgets(stack: Stack) -> str:
    """Every AWS Budgets budget of the stack's account (Budgets is global: its ARNs have no region)."""
    return stack.format_arn(service="budgets", region="", resource="budget", resource_name="*")


def log_delivery(stack: Stack) -> str:
    """What CloudWatch Logs' delivery service (flow logs, WAF logs) names as its source in this region."""
    return stack.format_arn(service="logs", resource="*")


def event_rules(stack: Stack) -> str:
    """Every EventBridge rule of the stack's account and region (the default event bus)."""
    return stack.format_arn(service="events", resource="rule", resource_name="*")


def topics(stack: Stack) -> str:
    """Every SNS topic of the stack's account and region, as SNS names a topic in a KMS encryption context."""
    return stack.format_arn(service="sns", resource="*", arn_format=ArnFormat.NO_RESOURCE_NAME)


def queues(stack: Stack) -> str:
    """Every SQS queue of the stack's account and region, as SQS names a queue in a KMS encryption context."""
    return stack.format_arn(service="sqs", resource="*", arn_format=ArnFormat.NO_RESOURCE_NAME)
