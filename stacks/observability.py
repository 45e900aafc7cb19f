"""Observability stack: alarm topics, alarms, dashboard, saved queries, metric filter, drill, cost budget and the
out-of-band change guard."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aws_cdk import CfnOutput, Fn, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from constructs import Construct

from components.alarm_topics import AlarmTopics, DeliveryCanary
from components.audit_alarms import AuditTrail, AuditTrailAlarms
from components.change_guard import OutOfBandChangeGuard, listener_rules_of
from components.cost_budget import MonthlyCostBudget
from components.dashboard import ServiceDashboard
from components.egress_firewall import EgressFirewallAlarm
from components.fargate_service import PaymentFargateService
from components.load_balancer import HttpsLoadBalancer
from components.log_insights import LogInsights
from components.service_alarms import ServiceAlarms
from components.service_metrics import ServiceMetrics
from components.task_drill import TaskStopExperiment
from settings.environment import EnvironmentConfig


class ObservabilityStack(Stack):
    """Watches the Compute stack's resources through their own metric helpers; holds no data."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        config: EnvironmentConfig,
        load_balancer: HttpsLoadBalancer,
        payments: PaymentFargateService,
        app_log_group: logs.ILogGroup,
        waf_log_group: logs.ILogGroup,
        topics_key: kms.IKey,
        data_key: kms.IKey,
        audit_trail: AuditTrail,
        audit_buckets: Sequence[s3.IBucket],
        endpoint_security_group: ec2.ISecurityGroup,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, id_, **kwargs)
        names = config.names
        self.topics = AlarmTopics(self, "Topics", key=topics_key, alerting=config.alerting)
        self.metrics = ServiceMetrics(self, "Metrics", load_balancer=load_balancer, payments=payments, names=names)
        self.alarms = ServiceAlarms(
            self,
            "Alarms",
            metrics=self.metrics,
            paging_topic=self.topics.paging,
            warning_topic=self.topics.warning,
            min_tasks=config.compute.min_tasks,
            max_tasks=config.compute.max_tasks,
            page_alarm_name=names.page_alarm,
            idle=config.runs_idle,
        )
        self.audit_alarms = AuditTrailAlarms(self, "AuditTrail", trail=audit_trail, warning_topic=self.topics.warning)
        cluster = payments.cluster
        balancer = load_balancer.load_balancer
        security_groups = [
            load_balancer.security_group.security_group_id,
            payments.security_group.security_group_id,
            endpoint_security_group.security_group_id,
        ]
        self.change_guard = OutOfBandChangeGuard(
            self,
            "OutOfBandChanges",
            watched={
                "EcsService": [cluster.cluster_name, cluster.cluster_arn],
                "TaskDefinition": [payments.task_definition.family],
                "LoadBalancer": [balancer.load_balancer_arn],
                "Listener": [load_balancer.https_listener.listener_arn, load_balancer.http_listener.listener_arn],
                "ListenerRule": [listener_rules_of(self, balancer.load_balancer_full_name)],
                "TargetGroup": [load_balancer.target_group.target_group_arn],
                "WebAcl": [names.web_acl],
                "WebAclAssociation": [balancer.load_balancer_arn],
                "SecurityGroup": security_groups,
                "SecurityGroupRules": security_groups,
                "AuditBucket": [bucket.bucket_name for bucket in audit_buckets],
            },
            warning_topic=self.topics.warning,
            paging_topic=self.topics.paging,
            dead_letter_key=data_key,
        )
        if config.network.processor_hosts:
            EgressFirewallAlarm(
                self,
                "EgressFirewall",
                # By name, not an export: removing processor_hosts must not leave Security's export in use.
                log_group=logs.LogGroup.from_log_group_name(self, "EgressLogGroup", names.egress_log_group),
                namespace=names.metrics_namespace,
                warning_topic=self.topics.warning,
            )
        dashboard = ServiceDashboard(
            self, "Dashboard", metrics=self.metrics, alarms=[self.alarms.composite, *self.alarms.alarms.values()]
        )
        LogInsights(
            self,
            "LogInsights",
            prefix=names.prefix,
            app_log_group=app_log_group,
            waf_log_group=waf_log_group,
            metrics_namespace=names.metrics_namespace,
        )
        if not config.is_standby:
            # One budget per environment: it filters on tags, so it already counts the standby region.
            MonthlyCostBudget(self, "CostBudget", alerting=config.alerting, tags=config.tags, topic=self.topics.warning)
        drill = TaskStopExperiment(
            self,
            "TaskStopExperiment",
            cluster=payments.cluster,
            service=payments.service,
            stop_alarm=self.alarms.composite,
        )
        canary = DeliveryCanary(self, "DeliveryCanary", namespace=names.metrics_namespace, topic=self.topics.warning)
        CfnOutput(
            self,
            "DashboardUrl",
            value=f"https://{self.region}.console.aws.amazon.com/cloudwatch/home?region={self.region}"
            f"#dashboards:name={dashboard.dashboard.dashboard_name}",
        )
        CfnOutput(
            self,
            "AlarmNames",
            value=Fn.join(
                ",",
                [
                    self.alarms.composite.alarm_name,
                    *(a.alarm_name for a in self.alarms.alarms.values()),
                    *(a.alarm_name for a in self.audit_alarms.alarms.values()),
                    canary.alarm.alarm_name,
                    self.change_guard.undelivered_alarm.alarm_name,
                    *(a.alarm_name for a in self.change_guard.failed_alarms),
                ],
            ),
            description="Every alarm of this environment, the paging composite first (read by make verify)",
        )
        CfnOutput(self, "CanaryAlarmName", value=canary.alarm.alarm_name)
        CfnOutput(self, "ChangeGuardDeadLetterQueueUrl", value=self.change_guard.dead_letters.queue_url)
        CfnOutput(
            self,
            "ChangeGuardRuleNames",
            value=Fn.join(",", [rule.rule_name for rule in self.change_guard.rules.values()]),
            description="The out-of-band change guard's rules, whose failed invocations make verify reads",
        )
        CfnOutput(self, "PagingTopicArn", value=self.topics.paging.topic_arn)
        CfnOutput(self, "WarningTopicArn", value=self.topics.warning.topic_arn)
        CfnOutput(self, "TaskStopExperimentId", value=drill.template.attr_id)
