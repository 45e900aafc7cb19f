"""Execution and task roles with exactly the permissions the service needs, in customer-managed policies.

The roles are handed to ECS as immutable (`without_policy_updates`), so CDK's automatic grants add
nothing: no inline `DefaultPolicy`, and no statement in another stack's key or log-group policy, which
would make a cross-stack cycle. Every permission is therefore listed here, and tests pin the lists.
"""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from constructs import Construct

from compliance.acknowledge import AWS_SOLUTIONS, acknowledge
from components.managed_role import role_with_policy


class TaskRoles(Construct):
    """`execution` pulls the image, writes logs and injects the secret; `task` is what the code may do."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        repository_arn: str,
        log_group: logs.ILogGroup,
        secret_arn: str,
        key_arn: str,
        metrics_namespace: str,
    ) -> None:
        super().__init__(scope, id_)
        tasks = iam.ServicePrincipal("ecs-tasks.amazonaws.com").with_conditions(
            {
                "StringEquals": {"aws:SourceAccount": Stack.of(self).account},
                "ArnLike": {"aws:SourceArn": Stack.of(self).format_arn(service="ecs", resource="*")},
            }
        )
        read_secret = iam.PolicyStatement(
            sid="ReadProcessorSecret", actions=["secretsmanager:GetSecretValue"], resources=[secret_arn]
        )
        decrypt_secret = iam.PolicyStatement(
            sid="DecryptWithDataKey",
            actions=["kms:Decrypt"],
            resources=[key_arn],
            conditions={"StringEquals": {"kms:ViaService": f"secretsmanager.{Stack.of(self).region}.amazonaws.com"}},
        )

        self.execution_role, self.execution_policy = self._role(
            "Execution",
            assumed_by=tasks,
            description="ECS agent: pull this image, write this log group, inject this secret",
            statements=[
                iam.PolicyStatement(
                    sid="EcrLogin",
                    actions=["ecr:GetAuthorizationToken"],
                    resources=["*"],  # GetAuthorizationToken has no resource-level permissions.
                ),
                iam.PolicyStatement(
                    sid="PullImage",
                    actions=["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"],
                    resources=[repository_arn],
                ),
                iam.PolicyStatement(
                    sid="WriteAppLogs",
                    actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                    resources=[log_group.log_group_arn],
                ),
                read_secret,
                decrypt_secret,
            ],
            wildcard_reason="ecr:GetAuthorizationToken supports no resource ARN; compensating control: image "
            "pulls are limited to one repository by the PullImage statement",
        )
        self.task_role, self.task_policy = self._role(
            "Task",
            assumed_by=tasks,
            description="Payment service code: read its secret, use its key, publish its metrics",
            statements=[
                read_secret,
                decrypt_secret,
                iam.PolicyStatement(
                    sid="UseDataKey",
                    actions=["kms:Decrypt", "kms:GenerateDataKey"],
                    resources=[key_arn],
                ),
                iam.PolicyStatement(
                    sid="PublishOwnMetrics",
                    actions=["cloudwatch:PutMetricData"],
                    resources=["*"],  # PutMetricData has no resource-level permissions; the namespace is the scope.
                    conditions={"StringEquals": {"cloudwatch:namespace": metrics_namespace}},
                ),
            ],
            wildcard_reason="cloudwatch:PutMetricData supports no resource ARN; compensating control: the "
            "cloudwatch:namespace condition limits it to this service's namespace",
        )

    def _role(
        self,
        kind: str,
        *,
        assumed_by: iam.IPrincipal,
        description: str,
        statements: list[iam.PolicyStatement],
        wildcard_reason: str,
    ) -> tuple[iam.Role, iam.ManagedPolicy]:
        """A role whose only permissions are `statements`, in a customer-managed policy."""
        role, policy = role_with_policy(
            self, kind, assumed_by=assumed_by, description=description, statements=statements
        )
        acknowledge(
            policy.node.default_child or policy,
            "IAM5",
            packs=(AWS_SOLUTIONS,),
            granular="Resource::*",
            reason=wildcard_reason,
        )
        return role, policy
