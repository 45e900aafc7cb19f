"""components/processor_secret.py: the processor's credentials under the data key, retained, readable by the
tasks' execution role and the break-glass role only."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import aws_kms as kms

from components.processor_secret import ProcessorSecret
from tests.support.bare import ACCOUNT, CUSTODIANS, bare_stack, one, resources, template

READERS = [f"arn:aws:iam::{ACCOUNT}:role/payments-test-task-execution-us-east-1", CUSTODIANS.break_glass_role_arn]


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    stack = bare_stack()
    ProcessorSecret(stack, "ProcessorSecret", key=kms.Key(stack, "DataKey"), readers=READERS)
    return template(stack)


def test_secret_is_encrypted_with_the_given_key_and_retained(document: dict[str, Any]) -> None:
    (secret,) = resources(document, "AWS::SecretsManager::Secret").values()
    assert secret["Properties"]["KmsKeyId"]["Fn::GetAtt"][0].startswith("DataKey")
    assert secret["Properties"]["GenerateSecretString"]["PasswordLength"] == 48
    assert (secret["DeletionPolicy"], secret["UpdateReplacePolicy"]) == ("RetainExceptOnCreate", "Retain")


def test_only_the_execution_role_and_break_glass_may_read_it_whatever_identity_policies_allow(
    document: dict[str, Any],
) -> None:
    policy = one(document, "AWS::SecretsManager::ResourcePolicy")
    assert policy["BlockPublicPolicy"] is True
    (statement,) = policy["ResourcePolicy"]["Statement"]
    assert (statement["Effect"], statement["Principal"], statement["Action"]) == (
        "Deny",
        {"AWS": "*"},
        "secretsmanager:GetSecretValue",
    )
    assert statement["Condition"] == {"ArnNotEquals": {"aws:PrincipalArn": READERS}}
