"""SNS topics for alarms: one that pages, one for warnings. KMS-encrypted, TLS-only, and open to exactly the
services that publish to them: CloudWatch alarms of this account and region, AWS Budgets of this account, and (the
warning topic) the EventBridge rules of this account and region that report out-of-band changes.

The topic policy replaces SNS's default policy, so each publisher needs its own allow here (and on the key:
see `DataEncryptionKey`); `tests/support/paths/matrix.py` evaluates both for every alarm and the budget.
"""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from components import source_arns
from settings.sections import AlertingSettings


class AlarmTopics(Construct):
    """`paging` receives only the composite alarm; `warning` receives every other alarm and the budget."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        key: kms.IKey,
        alerting: AlertingSettings,
    ) -> None:
        super().__init__(scope, id_)
        self.paging = sns.Topic(
            self, "PagingTopic", display_name="Payment service: page", master_key=key, enforce_ssl=True
        )
        self.warning = sns.Topic(
            self, "WarningTopic", display_name="Payment service: warning", master_key=key, enforce_ssl=True
        )
        stack = Stack.of(self)
        for topic, emails in ((self.paging, alerting.paging_emails), (self.warning, alerting.warning_emails)):
            for email in emails:
                topic.add_subscription(subscriptions.EmailSubscription(email))
            topic.add_to_resource_policy(
                iam.PolicyStatement(
                    sid="AllowAlarmsOfThisAccountAndRegion",
                    principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                    actions=["sns:Publish"],
                    resources=[topic.topic_arn],
                    conditions={
                        "StringEquals": {"aws:SourceAccount": stack.account},
                        "ArnLike": {"aws:SourceArn": source_arns.alarms(stack)},
                    },
                )
            )
        self.warning.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowEventRulesOfThisAccountAndRegion",
                principals=[iam.ServicePrincipal("events.amazonaws.com")],
                actions=["sns:Publish"],
                resources=[self.warning.topic_arn],
                conditions={
                    "StringEquals": {"aws:SourceAccount": stack.account},
                    "ArnLike": {"aws:SourceArn": source_arns.event_rules(stack)},
                },
            )
        )
        self.warning.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowBudgetsOfThisAccount",
                principals=[iam.ServicePrincipal("budgets.amazonaws.com")],
                actions=["sns:Publish"],
                resources=[self.warning.topic_arn],
                conditions={
                    "StringEquals": {"aws:SourceAccount": stack.account},
                    "ArnLike": {"aws:SourceArn": source_arns.budgets(stack)},
                },
            )
        )


class DeliveryCanary(Construct):
    """An alarm that is never a signal: its metric is never published, so it stays OK, and `make verify` sets it to
    ALARM by hand to prove the warning topic delivers (alarm -> topic -> a subscriber), then back to OK."""

    def __init__(self, scope: Construct, id_: str, *, namespace: str, topic: sns.ITopic) -> None:
        super().__init__(scope, id_)
        self.alarm = cloudwatch.Alarm(
            self,
            "Alarm",
            alarm_description="Not a signal: make verify sets it to ALARM to prove the warning topic delivers",
            metric=cloudwatch.Metric(namespace=namespace, metric_name="VerifyCanary", statistic="Maximum"),
            threshold=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            evaluation_periods=1,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        self.alarm.add_alarm_action(actions.SnsAction(topic))
