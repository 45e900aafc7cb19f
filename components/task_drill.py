"""AWS FIS experiment template: stop one payment task and let ECS replace it; the paging alarm stops it."""

from __future__ import annotations

from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_fis as fis
from aws_cdk import aws_iam as iam
from constructs import Construct

from components.managed_role import account_service, role_with_policy
from rules.acknowledge import acknowledge_wildcards


class TaskStopExperiment(Construct):
    """The same drill as `python -m ops drill`, run by FIS, halted at once if the service starts paging."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        cluster: ecs.ICluster,
        service: ecs.FargateService,
        stop_alarm: cloudwatch.IAlarm,
    ) -> None:
        super().__init__(scope, id_)
        stop_tasks = iam.PolicyStatement(
            sid="StopPaymentTasks",
            actions=["ecs:ListTasks", "ecs:DescribeTasks", "ecs:StopTask"],
            # Task ARNs are random; the cluster condition is the scope.
            resources=["*"],
            conditions={"ArnEquals": {"ecs:cluster": cluster.cluster_arn}},
        )
        role, policy = role_with_policy(
            self,
            "Experiment",
            assumed_by=account_service(self, "fis.amazonaws.com"),
            description="FIS stops one task of the payment service",
            statements=[stop_tasks],
        )
        acknowledge_wildcards(
            policy,
            granular="Resource::*",
            statements=[stop_tasks],
            reason="Task ARNs are random and ecs:ListTasks has no resource ARN; compensating control: the "
            "ecs:cluster condition limits every action to the payment cluster",
        )
        self.template = fis.CfnExperimentTemplate(
            self,
            "Template",
            description="Stop one payment task; ECS must replace it and the ALB must mark it healthy",
            role_arn=role.role_arn,
            targets={
                "PaymentTasks": fis.CfnExperimentTemplate.ExperimentTemplateTargetProperty(
                    resource_type="aws:ecs:task",
                    selection_mode="COUNT(1)",
                    parameters={"cluster": cluster.cluster_name, "service": service.service_name},
                )
            },
            actions={
                "StopOneTask": fis.CfnExperimentTemplate.ExperimentTemplateActionProperty(
                    action_id="aws:ecs:stop-task", targets={"Tasks": "PaymentTasks"}
                )
            },
            stop_conditions=[
                fis.CfnExperimentTemplate.ExperimentTemplateStopConditionProperty(
                    source="aws:cloudwatch:alarm", value=stop_alarm.alarm_arn
                )
            ],
            tags={"Name": "payment-task-stop"},
        )
