"""components/keys.py: rotated, retained customer keys, each usable only by the services named for it."""

from __future__ import annotations

from typing import Any

import pytest

from components.keys import RETIRING_ACTIONS, DataEncryptionKey, LogEncryptionKey
from tests.support.bare import ACCOUNT, CUSTODIANS, REGION, bare_stack, resources, template


@pytest.fixture(scope="module")
def keys() -> dict[str, dict[str, Any]]:
    stack = bare_stack()
    LogEncryptionKey(stack, "LogsKey", alias="alias/test/logs", custodians=CUSTODIANS)
    DataEncryptionKey(stack, "DataKey", alias="alias/test/data", custodians=CUSTODIANS)
    found = resources(template(stack), "AWS::KMS::Key")
    return {next(name for name in ("LogsKey", "DataKey") if lid.startswith(name)): key for lid, key in found.items()}


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


def test_data_key_admits_each_service_only_for_this_accounts_own_sources(keys: dict[str, dict[str, Any]]) -> None:
    statements = service_statements(keys["DataKey"])
    by_service = {s["Principal"]["Service"]: s for s in statements}
    assert set(by_service) == {"delivery.logs.amazonaws.com", "cloudwatch.amazonaws.com", "budgets.amazonaws.com"}
    for statement in statements:
        assert statement["Condition"]["StringEquals"]["aws:SourceAccount"] == ACCOUNT
        assert "aws:SourceArn" in statement["Condition"]["ArnLike"]
        assert "kms:*" not in statement["Action"]
    assert by_service["cloudwatch.amazonaws.com"]["Condition"]["ArnLike"]["aws:SourceArn"] == (
        f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:*"
    )


def test_only_the_key_administrator_retires_a_key_and_grants_are_only_for_aws_resources(
    keys: dict[str, dict[str, Any]],
) -> None:
    """Any administrator of the account could schedule a key's deletion, and with it every record it protects."""
    for key in keys.values():
        denied = {s["Sid"]: s for s in key["Properties"]["KeyPolicy"]["Statement"] if s["Effect"] == "Deny"}
        retire = denied["OnlyKeyAdministratorRetires"]
        assert set(retire["Action"]) == set(RETIRING_ACTIONS) >= {"kms:ScheduleKeyDeletion", "kms:DisableKey"}
        assert retire["Condition"] == {"ArnNotEquals": {"aws:PrincipalArn": CUSTODIANS.key_admin_role_arn}}
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
