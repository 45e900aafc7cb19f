"""Lambda functions CDK generates for its own custom resources, held to the rules the app's resources follow.

CDK emits them as raw CloudFormation resources, which cdk-nag does not evaluate, with an implicit log group
that never expires and is not encrypted with a customer key. Each logs to a declared log group instead (the
Security stack's `GeneratedFunctionLogGroup`: KMS, kept a year at least, since no archive stream reads it and
the PCI DSS 10.5.1 rule then wants the year in CloudWatch). No reserved concurrency: Lambda refuses one that
would leave an account below its unreserved minimum, which new accounts with a low concurrency quota are, and
the function runs only when CloudFormation calls it. `tests/constructs/test_generated_functions.py`
fails on any raw resource of the app that no such rule covers.

Today there is one: the provider behind the VPC's `restrict_default_security_group`.
"""

from __future__ import annotations

from aws_cdk import CfnResource, Stack
from aws_cdk import aws_logs as logs
from constructs import Construct

PROVIDERS = ("Custom::VpcRestrictDefaultSGCustomResourceProvider",)
LOG_RETENTION_DAYS = 365


def log_retention_days(app_log_retention_days: int) -> int:
    """How long the generated functions' log group keeps events: a year, or the app's logs' days if longer."""
    return max(LOG_RETENTION_DAYS, app_log_retention_days)


def harden_generated_functions(scope: Construct, *, log_group: logs.ILogGroup) -> dict[str, CfnResource]:
    """Point every CDK-generated function of `scope`'s stack at `log_group` and cap its concurrency."""
    stack = Stack.of(scope)
    handlers: dict[str, CfnResource] = {}
    for provider in PROVIDERS:
        found = stack.node.try_find_child(provider)
        if found is None:
            continue
        handler = found.node.find_child("Handler")
        assert isinstance(handler, CfnResource)
        handler.add_property_override("LoggingConfig", {"LogGroup": log_group.log_group_name})
        handlers[provider] = handler
    return handlers
