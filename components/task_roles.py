"""Execution and task roles with exactly the permissions the container needs, in customer-managed policies.

The roles are handed to ECS as immutable (`without_policy_updates`), so CDK's automatic grants add
nothing: no inline `DefaultPolicy`, and no statement in another stack's key or log-group policy, which
would make a cross-stack cycle. Every permission is therefore listed here, and
`tests/support/paths/matrix.py` evaluates each one against the request ECS or the service makes.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from constructs import Construct

from components.container_contract import LEDGER_KEY_ACTIONS, LEDGER_TABLE_ACTIONS
from components.managed_role import account_service, role_with_policy
from rules.acknowledge import acknowledge_wildcards


class TaskRoles(Construct):
    """`execution` pulls the image, writes logs and injects the secret; `task` is what the code may do."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        repository_arns: Sequence[str],
        log_group: logs.ILogGroup,
        secret_arn: str,
        key_arn: str,
        ledger_table_arn: str,
        execution_role_name: str | None = None,
    ) -> None:
        super().__init__(scope, id_)
        stack = Stack.of(self)
        # The ECS agent assumes the execution role with aws:SourceAccount only (AWS documents no aws:SourceArn
        # for it); the task role is assumed for a task of this account and region, and AWS sends both keys.
        agent = account_service(self, "ecs-tasks.amazonaws.com")
        tasks = iam.ServicePrincipal("ecs-tasks.amazonaws.com").with_conditions(
            {
                "StringEquals": {"aws:SourceAccount": stack.account},
                "ArnLike": {"aws:SourceArn": stack.format_arn(service="ecs", resource="*")},
            }
        )
        ecr_login = iam.PolicyStatement(
            sid="EcrLogin",
            actions=["ecr:GetAuthorizationToken"],
            resources=["*"],  # GetAuthorizationToken has no resource-level permissions.
        )
        self.execution_role, self.execution_policy = role_with_policy(
            self,
            "Execution",
            role_name=execution_role_name,
            assumed_by=agent,
            description="ECS agent: pull this image, write this log group, inject this secret",
            statements=[
                ecr_login,
                iam.PolicyStatement(
                    sid="PullImage",
                    actions=["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"],
                    resources=list(repository_arns),
                ),
                iam.PolicyStatement(
                    sid="WriteAppLogs",
                    actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                    resources=[log_group.log_group_arn],
                ),
                iam.PolicyStatement(
                    sid="ReadProcessorSecret", actions=["secretsmanager:GetSecretValue"], resources=[secret_arn]
                ),
                iam.PolicyStatement(
                    sid="DecryptWithDataKey",
                    actions=["kms:Decrypt"],
                    resources=[key_arn],
                    conditions={"StringEquals": {"kms:ViaService": f"secretsmanager.{stack.region}.amazonaws.com"}},
                ),
            ],
        )
        acknowledge_wildcards(
            self.execution_policy,
            granular="Resource::*",
            statements=[ecr_login],
            reason="ecr:GetAuthorizationToken supports no resource ARN; compensating control: image pulls are "
            "limited by the PullImage statement to the task's own repositories and GuardDuty's agent repository",
        )
        self.task_role, self.task_policy = role_with_policy(
            self,
            "Task",
            assumed_by=tasks,
            description="Payment service code: write payments to the ledger and read an idempotency record back",
            statements=[
                iam.PolicyStatement(
                    sid="WriteLedger", actions=list(LEDGER_TABLE_ACTIONS), resources=[ledger_table_arn]
                ),
                iam.PolicyStatement(
                    sid="LedgerKeyThroughDynamoDb",
                    actions=list(LEDGER_KEY_ACTIONS),
                    resources=[key_arn],
                    conditions={"StringEquals": {"kms:ViaService": f"dynamodb.{stack.region}.amazonaws.com"}},
                ),
            ],
        )
