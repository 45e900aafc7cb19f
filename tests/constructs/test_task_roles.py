"""components/task_roles.py: the execution role starts exactly this task; the task role allows exactly what
the service calls (nothing, for the reference service)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from aws_cdk import aws_logs as logs

from components.container_contract import SERVICE_AWS_CALLS
from components.task_roles import TaskRoles
from tests.support.bare import ACCOUNT, REGION, bare_stack, resources, template
from tests.support.synthesized import ROOT

REPOSITORIES = [
    f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/payments",
    f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/otel",
]
SECRET = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:processor-AbCdEf"
KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/data"


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    stack = bare_stack()
    TaskRoles(
        stack,
        "Roles",
        repository_arns=REPOSITORIES,
        log_group=logs.LogGroup(stack, "AppLogGroup"),
        secret_arn=SECRET,
        key_arn=KEY,
    )
    return template(stack)


def role(document: dict[str, Any], kind: str) -> dict[str, Any]:
    (found,) = [
        r["Properties"]
        for lid, r in resources(document, "AWS::IAM::Role").items()
        if lid.startswith(f"Roles{kind}Role")
    ]
    return dict(found)


def test_execution_role_pulls_these_images_writes_this_log_group_and_reads_this_secret(
    document: dict[str, Any],
) -> None:
    (policy,) = resources(document, "AWS::IAM::ManagedPolicy").values()
    found = {s["Sid"]: s for s in policy["Properties"]["PolicyDocument"]["Statement"]}
    assert set(found) == {"EcrLogin", "PullImage", "WriteAppLogs", "ReadProcessorSecret", "DecryptWithDataKey"}
    assert (found["EcrLogin"]["Action"], found["EcrLogin"]["Resource"]) == ("ecr:GetAuthorizationToken", "*")
    assert sorted(found["PullImage"]["Resource"]) == sorted(REPOSITORIES)
    assert found["WriteAppLogs"]["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert found["ReadProcessorSecret"]["Resource"] == SECRET
    assert (found["DecryptWithDataKey"]["Resource"], found["DecryptWithDataKey"]["Condition"]) == (
        KEY,
        {"StringEquals": {"kms:ViaService": f"secretsmanager.{REGION}.amazonaws.com"}},
    )


def test_no_wildcard_action_and_no_inline_policy(document: dict[str, Any]) -> None:
    assert resources(document, "AWS::IAM::Policy") == {}
    for found in resources(document, "AWS::IAM::Role").values():
        assert "Policies" not in found["Properties"]
    for policy in resources(document, "AWS::IAM::ManagedPolicy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            assert not any(action == "*" or action.endswith(":*") for action in actions)


def test_execution_role_trusts_ecs_of_this_account_with_the_one_key_ecs_sends(document: dict[str, Any]) -> None:
    """ECS documents only aws:SourceAccount for assuming the execution role; requiring more stops every task."""
    (statement,) = role(document, "Execution")["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": "ecs-tasks.amazonaws.com"}
    assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}


def test_task_role_trusts_only_tasks_of_this_account_and_region(document: dict[str, Any]) -> None:
    (statement,) = role(document, "Task")["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Condition"] == {
        "StringEquals": {"aws:SourceAccount": ACCOUNT},
        "ArnLike": {"aws:SourceArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:*"},
    }


def test_task_role_may_do_nothing_because_the_service_calls_no_aws_api(document: dict[str, Any]) -> None:
    assert SERVICE_AWS_CALLS == ()
    task = role(document, "Task")
    assert "ManagedPolicyArns" not in task
    assert "Policies" not in task


def test_the_reference_service_imports_no_aws_sdk() -> None:
    """Why SERVICE_AWS_CALLS is empty: the service gets its secret from ECS and emits metrics as log lines."""
    sources = (ROOT / "service" / "payments_service").rglob("*.py")
    pattern = r"^\s*(import|from)\s+(boto3|botocore|aiobotocore)"
    assert not [path for path in sources if re.search(pattern, path.read_text(), re.M)]
