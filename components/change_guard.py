"""Out-of-band changes warn: an EventBridge rule per kind of resource, on the CloudTrail management events that
change this app's ECS service and task definitions, load balancer, security groups and audit buckets' protection,
when the call did not come from CloudFormation (or from Application Auto Scaling setting the desired count). Each
publishes a one-line description to the warning topic.

CloudTrail delivers management events to EventBridge only where a trail logs them in the region (PCI DSS 10.2:
one should; `make preflight` checks it). `python -m ops drift` then names what changed, property by property.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import jsii
from aws_cdk import aws_events as events
from aws_cdk import aws_sns as sns
from aws_cdk.interfaces.aws_events import IRuleRef
from constructs import Construct

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
        ("ModifyLoadBalancerAttributes", "SetSecurityGroups", "SetSubnets", "CreateListener", "DeleteLoadBalancer"),
    ),
    "SecurityGroup": (
        "aws.ec2",
        "groupId",
        ("AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress", "RevokeSecurityGroupIngress",
         "RevokeSecurityGroupEgress", "DeleteSecurityGroup"),
    ),
    "AuditBucket": (
        "aws.s3",
        "bucketName",
        ("PutBucketPolicy", "DeleteBucketPolicy", "PutBucketLifecycle", "PutBucketVersioning", "PutBucketReplication",
         "DeleteBucketReplication", "PutObjectLockConfiguration"),
    ),
}  # fmt: skip


class OutOfBandChangeGuard(Construct):
    """`watched`: for each kind of WATCHED, the identifiers its request field takes for this app's resources
    (cluster names and ARNs, task definition families, load balancer ARNs, security group ids, bucket names)."""

    def __init__(
        self, scope: Construct, id_: str, *, watched: Mapping[str, Sequence[str]], warning_topic: sns.ITopic
    ) -> None:
        super().__init__(scope, id_)
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
                        "requestParameters": {field: list(identifiers)},
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
                )
            )
            self.rules[kind] = rule


@jsii.implements(events.IRuleTarget)
class _Publish:
    """The warning topic as a rule's target, without the grants CDK's `SnsTopic` target adds (an unconditioned
    allow for `events.amazonaws.com` on the topic and its key): the topic and key policies allow this account's and
    region's rules already (components/alarm_topics.py, components/keys.py)."""

    def __init__(self, topic: sns.ITopic, message: events.RuleTargetInput) -> None:
        self.topic, self.message = topic, message

    def bind(self, rule: IRuleRef, id: str | None = None) -> events.RuleTargetConfig:
        return events.RuleTargetConfig(arn=self.topic.topic_arn, input=self.message)
