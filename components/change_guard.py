"""Out-of-band changes warn: an EventBridge rule per kind of resource, on the CloudTrail management events that
change this app's ECS service and task definitions, load balancer, its listeners, listener rules and target group,
web ACL and its association, security groups and audit buckets' protection, when the call did not come from
CloudFormation (or from Application Auto Scaling setting the desired count). Each publishes a one-line description
to the warning topic.

A warning EventBridge cannot deliver (the topic or its policy refusing it, the topic deleted, the topics' key
refusing it) is not dropped: it goes to a dead-letter queue encrypted with the data key, not the topics' key, so one
broken key cannot refuse both. Two alarms notify the paging topic, the other way to someone: any failed invocation of
a guard rule (which also counts a warning that could not even reach the queue), and a message waiting in the queue
(received or not, until someone deletes it). `make verify` fails on either. The queue holds copies of CloudTrail
events, which the trail keeps; it is deleted with its stack, and a message expires after SQS's 14 days.

CloudTrail delivers management events to EventBridge only where a trail logs them in the region (PCI DSS 10.2:
one should; `make preflight` checks it). `python -m ops drift` then names what changed, property by property.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import jsii
from aws_cdk import Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from aws_cdk.interfaces.aws_events import IRuleRef
from constructs import Construct

from rules.acknowledge import AWS_SOLUTIONS, acknowledge

# Services that change these resources as the templates intend: CloudFormation deploying them, and Application
# Auto Scaling setting the service's desired count. Anyone else (the console, a script, a person's CLI, `ops
# failover`) is out of band. `invokedBy` is absent for a call made with a caller's own credentials.
EXPECTED_CALLERS = ("cloudformation.amazonaws.com", "ecs.application-autoscaling.amazonaws.com")
NOT_EXPECTED: dict[str, Any] = {
    "$or": [
        {"userIdentity": {"invokedBy": [{"exists": False}]}},
        {"userIdentity": {"invokedBy": [{"anything-but": list(EXPECTED_CALLERS)}]}},
    ]
}
# What changes each kind of resource, and the request field (as CloudTrail records it) naming the resource changed.
WATCHED: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "EcsService": ("aws.ecs", "cluster", ("CreateService", "UpdateService", "DeleteService")),
    # A revision registered by hand reaches the service only through UpdateService, which warns too.
    "TaskDefinition": ("aws.ecs", "family", ("RegisterTaskDefinition",)),
    "LoadBalancer": (
        "aws.elasticloadbalancing",
        "loadBalancerArn",
        ("ModifyLoadBalancerAttributes", "SetSecurityGroups", "SetSubnets", "SetIpAddressType", "CreateListener",
         "DeleteLoadBalancer"),
    ),
    # The app's listeners have default actions only: any rule on them was created out of band (and warned then).
    "Listener": (
        "aws.elasticloadbalancing",
        "listenerArn",
        ("ModifyListener", "ModifyListenerAttributes", "AddListenerCertificates", "RemoveListenerCertificates",
         "CreateRule", "DeleteListener"),
    ),
    # Rule ARNs are known only by their load balancer's part (a wildcard, see `rules_of`).
    "ListenerRule": ("aws.elasticloadbalancing", "ruleArn", ("ModifyRule", "DeleteRule")),
    "TargetGroup": (
        "aws.elasticloadbalancing",
        "targetGroupArn",
        ("ModifyTargetGroup", "ModifyTargetGroupAttributes", "DeleteTargetGroup"),
    ),
    "WebAcl": ("aws.wafv2", "name", ("UpdateWebACL", "DeleteWebACL")),
    # The ALB's ARN: taking the web ACL off it (PCI DSS 6.4.2), or putting another on.
    "WebAclAssociation": ("aws.wafv2", "resourceArn", ("AssociateWebACL", "DisassociateWebACL")),
    "SecurityGroup": (
        "aws.ec2",
        "groupId",
        ("AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress", "RevokeSecurityGroupIngress",
         "RevokeSecurityGroupEgress", "DeleteSecurityGroup"),
    ),
    # A rule edited in place (ModifySecurityGroupRules): CloudTrail records its group under the request's own name.
    "SecurityGroupRules": ("aws.ec2", "ModifySecurityGroupRulesRequest.GroupId", ("ModifySecurityGroupRules",)),
    "AuditBucket": (
        "aws.s3",
        "bucketName",
        ("PutBucketPolicy", "DeleteBucketPolicy", "PutBucketLifecycle", "DeleteBucketLifecycle", "PutBucketVersioning",
         "PutBucketReplication", "DeleteBucketReplication", "PutObjectLockConfiguration", "PutBucketEncryption",
         "DeleteBucketEncryption", "PutBucketAcl", "PutBucketOwnershipControls", "DeleteBucketOwnershipControls",
         "PutBucketPublicAccessBlock", "DeleteBucketPublicAccessBlock", "PutBucketLogging", "DeleteBucket"),
    ),
}  # fmt: skip


# An identifier a rule matches: a string as CloudTrail records it, or an EventBridge content filter.
Identifier = str | Mapping[str, str]
# SQS keeps a message at most this long: the undelivered warning waits for someone to read it.
DEAD_LETTER_RETENTION = Duration.days(14)
# An alarm's metric math reads at most 10 metrics (a hard CloudWatch limit): rules are summed in groups of this many.
METRICS_PER_ALARM = 10
FIVE_MINUTES = Duration.minutes(5)


def listener_rules_of(stack: Stack, load_balancer_full_name: str) -> Identifier:
    """Every listener rule of the load balancer (`app/NAME/ID`, its full name), as a wildcard on the rule ARN."""
    return {
        "wildcard": stack.format_arn(
            service="elasticloadbalancing", resource="listener-rule", resource_name=f"{load_balancer_full_name}/*"
        )
    }


def request_filter(field: str, identifiers: Sequence[Identifier]) -> dict[str, Any]:
    """The pattern on `requestParameters` matching `identifiers` at `field` (a dotted path: nested objects)."""
    *outer, last = field.split(".")
    pattern: dict[str, Any] = {last: list(identifiers)}
    for name in reversed(outer):
        pattern = {name: pattern}
    return pattern


class OutOfBandChangeGuard(Construct):
    """`watched`: for each kind of WATCHED, the identifiers its request field takes for this app's resources
    (cluster names and ARNs, task definition families, load balancer, listener and target group ARNs, the web ACL's
    name, security group ids, bucket names). `dead_letter_key`: encrypts the dead-letter queue; the data key, whose
    policy lets this account's rules use it for this account's queues (components/keys.py)."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        watched: Mapping[str, Sequence[Identifier]],
        warning_topic: sns.ITopic,
        paging_topic: sns.ITopic,
        dead_letter_key: kms.IKey,
    ) -> None:
        super().__init__(scope, id_)
        self.dead_letters = sqs.Queue(
            self,
            "Undelivered",
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=dead_letter_key,
            retention_period=DEAD_LETTER_RETENTION,
            enforce_ssl=True,
        )
        acknowledge(
            self.dead_letters,
            "SQS3",
            reason="This queue is itself a dead-letter queue, of the change guard's EventBridge targets (a target's "
            "DeadLetterConfig, which the rule does not read); compensating control: an alarm on its depth notifies "
            "the paging topic, and make verify fails while it holds a message",
            packs=(AWS_SOLUTIONS,),
        )
        self.rules: dict[str, events.Rule] = {}
        for kind, identifiers in watched.items():
            source, field, calls = WATCHED[kind]
            rule = events.Rule(
                self,
                kind,
                description=f"{kind}: changed outside CloudFormation ({', '.join(calls[:2])}, ...)",
                event_pattern=events.EventPattern(
                    source=[source],
                    detail_type=["AWS API Call via CloudTrail"],
                    detail={
                        "eventName": list(calls),
                        "requestParameters": request_filter(field, identifiers),
                        **NOT_EXPECTED,
                    },
                ),
            )
            rule.add_target(
                _Publish(
                    warning_topic,
                    events.RuleTargetInput.from_text(
                        f"Out-of-band change ({kind}): {events.EventField.from_path('$.detail.eventName')} by "
                        f"{events.EventField.from_path('$.detail.userIdentity.arn')} in "
                        f"{events.EventField.from_path('$.region')}; run `python -m ops drift` to see what changed"
                    ),
                    self.dead_letters,
                )
            )
            self.rules[kind] = rule
        # Only these rules may send, each as itself (the confused-deputy problem: EventBridge names the rule).
        self.dead_letters.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowThisGuardsRules",
                principals=[iam.ServicePrincipal("events.amazonaws.com")],
                actions=["sqs:SendMessage"],
                resources=[self.dead_letters.queue_arn],
                conditions={"ArnEquals": {"aws:SourceArn": [rule.rule_arn for rule in self.rules.values()]}},
            )
        )
        # Paging, not warning: the warning topic is what failed.
        page = actions.SnsAction(paging_topic)
        # A message counts until it is deleted, visible or being read; an empty inactive queue publishes nothing.
        self.undelivered_alarm = cloudwatch.Alarm(
            self,
            "UndeliveredAlarm",
            alarm_description="A warning of an out-of-band change could not reach the warning topic and waits in "
            "the change guard's dead-letter queue: read it (it names the change), repair the topic, its policy or "
            "its key, then delete the message",
            metric=cloudwatch.MathExpression(
                expression="FILL(visible, 0) + FILL(reading, 0)",
                using_metrics={
                    "visible": self.dead_letters.metric_approximate_number_of_messages_visible(statistic="Maximum"),
                    "reading": self.dead_letters.metric_approximate_number_of_messages_not_visible(statistic="Maximum"),
                },
                period=FIVE_MINUTES,
            ),
            threshold=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            evaluation_periods=1,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        self.undelivered_alarm.add_alarm_action(page)
        # Every invocation that failed for good, whether or not its event reached the queue.
        kinds = list(self.rules)
        self.failed_alarms: list[cloudwatch.Alarm] = []
        for group, start in enumerate(range(0, len(kinds), METRICS_PER_ALARM)):
            chunk = kinds[start : start + METRICS_PER_ALARM]
            metrics = {
                f"rule{i}": cloudwatch.Metric(
                    namespace="AWS/Events",
                    metric_name="FailedInvocations",
                    dimensions_map={"RuleName": self.rules[kind].rule_name},
                    statistic="Sum",
                )
                for i, kind in enumerate(chunk)
            }
            alarm = cloudwatch.Alarm(
                self,
                "FailedInvocationsAlarm" if group == 0 else f"FailedInvocationsAlarm{group}",
                alarm_description=f"EventBridge could not deliver an out-of-band change warning ({', '.join(chunk)}): "
                "read the change guard's dead-letter queue; if it is empty, the queue refused it too",
                metric=cloudwatch.MathExpression(
                    expression=" + ".join(f"FILL({m}, 0)" for m in metrics), using_metrics=metrics, period=FIVE_MINUTES
                ),
                threshold=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                evaluation_periods=1,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
            alarm.add_alarm_action(page)
            self.failed_alarms.append(alarm)


@jsii.implements(events.IRuleTarget)
class _Publish:
    """The warning topic as a rule's target, without the grants CDK's `SnsTopic` target adds (an unconditioned
    allow for `events.amazonaws.com` on the topic and its key): the topic and key policies allow this account's and
    region's rules already (components/alarm_topics.py, components/keys.py)."""

    def __init__(self, topic: sns.ITopic, message: events.RuleTargetInput, dead_letters: sqs.IQueue) -> None:
        self.topic, self.message, self.dead_letters = topic, message, dead_letters

    def bind(self, rule: IRuleRef, id: str | None = None) -> events.RuleTargetConfig:
        return events.RuleTargetConfig(
            arn=self.topic.topic_arn,
            input=self.message,
            dead_letter_config=events.CfnRule.DeadLetterConfigProperty(arn=self.dead_letters.queue_arn),
        )
