"""components/keys.py: rotated, retained customer keys, each usable only by the services named for it."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from components.keys import (
    DataEncryptionKey,
    LogEncryptionKey,
    SecretEncryptionKey,
    TopicEncryptionKey,
)
from tests.support.bare import ACCOUNT, CUSTODIANS, REGION, bare_stack, resources, template
from tests.support.synthesized import Synthesized

KEYS = ("LogsKey", "DataKey", "TopicsKey", "SecretsKey")


@pytest.fixture(scope="module")
def keys() -> dict[str, dict[str, Any]]:
    stack = bare_stack()
    LogEncryptionKey(stack, "LogsKey", alias="alias/test/logs", custodians=CUSTODIANS)
    DataEncryptionKey(stack, "DataKey", alias="alias/test/data", custodians=CUSTODIANS)
    TopicEncryptionKey(stack, "TopicsKey", alias="alias/test/topics", custodians=CUSTODIANS)
    SecretEncryptionKey(stack, "SecretsKey", alias="alias/test/secrets", custodians=CUSTODIANS)
    found = resources(template(stack), "AWS::KMS::Key")
    return {next(name for name in KEYS if lid.startswith(name)): key for lid, key in found.items()}


def service_statements(key: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in key["Properties"]["KeyPolicy"]["Statement"] if "Service" in s.get("Principal", {})]


def test_keys_rotate_yearly_wait_30_days_before_deletion_and_are_retained(keys: dict[str, dict[str, Any]]) -> None:
    for key in keys.values():
        assert key["Properties"]["EnableKeyRotation"] is True
        assert key["Properties"]["PendingWindowInDays"] == 30
        assert (key["DeletionPolicy"], key["UpdateReplacePolicy"]) == ("RetainExceptOnCreate", "Retain")


def test_logs_key_admits_only_cloudwatch_logs_of_this_account_and_region(keys: dict[str, dict[str, Any]]) -> None:
    (service,) = service_statements(keys["LogsKey"])
    assert service["Principal"]["Service"] == f"logs.{REGION}.amazonaws.com"
    assert service["Condition"] == {
        "ArnLike": {"kms:EncryptionContext:aws:logs:arn": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:*"}
    }
    assert "kms:*" not in service["Action"]


@pytest.mark.parametrize(
    ("key", "services"),
    [
        ("DataKey", {"delivery.logs.amazonaws.com", "events.amazonaws.com"}),
        ("TopicsKey", {"cloudwatch.amazonaws.com", "budgets.amazonaws.com", "events.amazonaws.com"}),
        ("SecretsKey", set()),
    ],
)
def test_each_key_admits_its_services_only_for_this_accounts_own_sources(
    keys: dict[str, dict[str, Any]], key: str, services: set[str]
) -> None:
    statements = service_statements(keys[key])
    by_service: dict[str, list[dict[str, Any]]] = {}
    for statement in statements:
        by_service.setdefault(statement["Principal"]["Service"], []).append(statement)
    assert set(by_service) == services
    for statement in statements:
        assert "kms:*" not in statement["Action"]
        if statement["Principal"]["Service"] == "events.amazonaws.com":
            # No source keys reach KMS from EventBridge; the topic (topics key) or the change guard's dead-letter
            # queue (data key) named in the encryption context is this account's.
            expected = {
                "TopicsKey": {"kms:EncryptionContext:aws:sns:topicArn": f"arn:aws:sns:{REGION}:{ACCOUNT}:*"},
                "DataKey": {"kms:EncryptionContext:aws:sqs:arn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:*"},
            }[key]
            assert statement["Condition"] == {"ArnLike": expected}
            continue
        assert statement["Condition"]["StringEquals"]["aws:SourceAccount"] == ACCOUNT
        assert "aws:SourceArn" in statement["Condition"]["ArnLike"]
    if "cloudwatch.amazonaws.com" in by_service:
        (alarms,) = by_service["cloudwatch.amazonaws.com"]
        assert alarms["Condition"]["ArnLike"]["aws:SourceArn"] == (f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:*")


def test_only_the_key_administrator_retires_a_key_and_grants_are_only_for_aws_resources(
    keys: dict[str, dict[str, Any]],
) -> None:
    """Any administrator of the account could schedule a key's deletion, and with it every record it protects."""
    for key in keys.values():
        denied = {s["Sid"]: s for s in key["Properties"]["KeyPolicy"]["Statement"] if s["Effect"] == "Deny"}
        disable = denied["OnlyKeyAdministratorDisables"]
        assert set(disable["Action"]) == {"kms:DisableKey", "kms:DisableKeyRotation"}
        assert disable["Condition"] == {"ArnNotEquals": {"aws:PrincipalArn": CUSTODIANS.key_admin_role_arn}}
        # CloudFormation schedules a key's deletion when its stack's first create rolls back.
        delete = denied["OnlyKeyAdministratorOrAFailedCreateDeletes"]
        assert delete["Action"] == "kms:ScheduleKeyDeletion"
        assert delete["Condition"] == {
            "ArnNotEquals": {"aws:PrincipalArn": [CUSTODIANS.key_admin_role_arn, CUSTODIANS.deployer_role_arn]}
        }
        policy = denied["OnlyDeploysOrKeyAdministratorChangePolicy"]
        assert policy["Action"] == "kms:PutKeyPolicy"
        assert policy["Condition"] == {
            "ArnNotEquals": {"aws:PrincipalArn": [CUSTODIANS.key_admin_role_arn, CUSTODIANS.deployer_role_arn]}
        }
        grants = denied["GrantsOnlyForAwsResources"]
        assert (grants["Action"], grants["Condition"]) == (
            "kms:CreateGrant",
            {"BoolIfExists": {"kms:GrantIsForAWSResource": "false"}},
        )
        assert all(s["Principal"] == {"AWS": "*"} for s in denied.values())


# What each key may protect: one kind of data per key, so that no key opens audit records, payment data and
# alerts together.
KINDS = {
    "AWS::S3::Bucket": "audit records",
    "AWS::KinesisFirehose::DeliveryStream": "audit records",
    "AWS::Logs::LogGroup": "logs",
    "AWS::SecretsManager::Secret": "payment data",
    "AWS::DynamoDB::Table": "payment data",
    "AWS::SNS::Topic": "alerts",
}


def test_no_key_protects_more_than_one_kind_of_data(each_profile: Synthesized) -> None:
    """A key is named by its logical id in its own stack, or in an import from the Security stack."""
    kinds: dict[str, set[str]] = {}
    for stack, template_ in each_profile.every_document.items():
        region = "standby" if stack.startswith("Standby") else "primary"
        for resource in template_["Resources"].values():
            kind = KINDS.get(resource["Type"])
            if kind is None:
                continue
            text = json.dumps(resource.get("Properties", {})).replace("ExportsOutputFnGetAtt", " ")
            for key in set(re.findall(r"\b([A-Z][A-Za-z]*Key[0-9A-F]{8})", text)):
                kinds.setdefault(f"{region} {key}", set()).add(kind)
    assert len(kinds) >= 4
    assert {key: sorted(found) for key, found in kinds.items() if len(found) > 1} == {}
