"""components/log_group.py: app logs are kept 90 days (or longer) under a customer-managed KMS key."""

from __future__ import annotations

import pytest
from aws_cdk import aws_kms as kms

from components.log_group import RETENTION, EncryptedLogGroup
from settings.limits import CLOUDWATCH_RETENTION_DAYS, MIN_LOG_RETENTION_DAYS
from tests.support.bare import bare_stack, resources, template


@pytest.mark.parametrize("days", [90, 400])
def test_log_group_is_kms_encrypted_kept_its_days_and_retained(days: int) -> None:
    stack = bare_stack()
    EncryptedLogGroup(stack, "AppLogGroup", key=kms.Key(stack, "LogsKey"), retention_days=days)
    (group,) = resources(template(stack), "AWS::Logs::LogGroup").values()
    assert group["Properties"]["KmsKeyId"]["Fn::GetAtt"][0].startswith("LogsKey")
    assert group["Properties"]["RetentionInDays"] == days
    assert (group["DeletionPolicy"], group["UpdateReplacePolicy"]) == ("RetainExceptOnCreate", "Retain")


def test_every_retention_the_configuration_accepts_maps_to_a_cloudwatch_value() -> None:
    allowed = [d for d in CLOUDWATCH_RETENTION_DAYS if d >= MIN_LOG_RETENTION_DAYS]
    assert sorted(RETENTION) == allowed


def test_a_name_is_set_only_when_asked() -> None:
    stack = bare_stack()
    key = kms.Key(stack, "LogsKey")
    EncryptedLogGroup(stack, "Generated", key=key, retention_days=90)
    EncryptedLogGroup(stack, "Named", key=key, retention_days=90, log_group_name="aws-waf-logs-test")
    names = sorted(
        str(g["Properties"].get("LogGroupName")) for g in resources(template(stack), "AWS::Logs::LogGroup").values()
    )
    assert names == ["None", "aws-waf-logs-test"]
