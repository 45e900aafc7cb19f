"""The delivery-path authorization matrix: every path along which an AWS service or one of this app's roles
writes into, reads from or publishes to a resource of the app, and the paths that must stay closed.

Each row turns the deployed templates of one region into concrete requests, as the service makes them at
run time: its principal, the action, the resource ARN with the object key or stream it really writes,
`aws:SourceArn`/`aws:SourceAccount`, `aws:SecureTransport`, `kms:ViaService` and encryption context.
Each request carries every policy AWS evaluates for it (the role's policies, the bucket, topic, trust,
log or key policy), and `tests/test_delivery_paths.py` has AWS's evaluation logic answer them all.
A guarantee such as "the alarm pages" holds only if every decision on its path is Allowed.

Context keys are the ones AWS documents for each request; where a key is not documented for a request
(for example `aws:SourceArn` when ECS assumes a task execution role) it is left out, so a policy that
requires it fails here as it would in AWS.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from components.audit_bucket import ERASING_ACTIONS, UNPROTECTING_ACTIONS
from components.container_contract import LEDGER_KEY_ACTIONS, LEDGER_TABLE_ACTIONS
from components.endpoints import layer_bucket
from components.keys import RETIRING_ACTIONS
from settings.regions import GUARDDUTY_AGENT_REPOSITORY, guardduty_agent_repository
from tests.support.paths.deployed import DeployedApp, DeployedStack
from tests.support.paths.simulator import Decision

OUTSIDER = "arn:aws:iam::999999999999:role/outsider"
# What GuardDuty's agent repository lets every account do (the GuardDuty guide asks only for the execution role's
# ECR permissions).
GUARDDUTY_REPOSITORY_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": "*", "Resource": "*",
                   "Action": ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"]}],
}  # fmt: skip
ALLOW_ALL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
# What AWS gives an endpoint created without a policy: full access, for anyone.
FULL_ACCESS = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}],
}
# Dates in the object keys services write (any date: policies match by prefix).
YEAR, MONTH, DAY, HOUR = "2026", "11", "29", "07"
# Regions launched before August 2022 deliver ALB access logs as ELB's regional account, newer ones as the
# log-delivery service principal (Elastic Load Balancing guide, "Enable access logs", bucket permissions).
ELB_ACCOUNTS = {"us-east-1": "127311923021", "us-east-2": "033677994240", "us-west-1": "027434742980",
                "us-west-2": "797873946194", "eu-west-1": "156460612806", "eu-central-1": "054676820928"}  # fmt: skip
ELB_LOG_DELIVERY = "logdelivery.elasticloadbalancing.amazonaws.com"


@dataclass(frozen=True)
class Path:
    """One delivery: who, what, where, and every authorization decision on the way."""

    source: tuple[str, str]  # (stack construct id, logical id) the delivery starts from
    description: str
    decisions: tuple[Decision, ...] = ()
    # Problems found without a policy decision: a missing destination, a WAF rule in the way.
    problems: tuple[str, ...] = ()


PathFinder = Callable[[DeployedApp, str], Iterator[Path]]


@dataclass(frozen=True)
class Row:
    name: str
    allowed: bool
    find: PathFinder
    # Resource types each of whose resources starts at least one path of this row.
    sources: tuple[str, ...] = ()


# -- policies of the deployed resources ---------------------------------------------------------------


def document(value: Any) -> dict[str, Any]:
    parsed = json.loads(value) if isinstance(value, str) else value
    assert isinstance(parsed, dict)
    return parsed


def bucket_policy(app: DeployedApp, bucket: str) -> dict[str, Any] | None:
    for stack, logical_id in app.resources("AWS::S3::BucketPolicy"):
        props = stack.resolved(logical_id)
        if props["Bucket"] == bucket:
            return document(props["PolicyDocument"])
    return None


def secret_policy(app: DeployedApp, secret_arn: str) -> dict[str, Any] | None:
    for stack, logical_id in app.resources("AWS::SecretsManager::ResourcePolicy"):
        props = stack.resolved(logical_id)
        if props["SecretId"] == secret_arn:
            return document(props["ResourcePolicy"])
    return None


def _merged_policy(app: DeployedApp, resource_type: str, applies_to: str, physical: str) -> dict[str, Any] | None:
    """Every statement of the `resource_type` policies whose `applies_to` list names `physical`, as one policy."""
    statements = []
    for stack, logical_id in app.resources(resource_type):
        props = stack.resolved(logical_id)
        if physical in props[applies_to]:
            statements += document(props["PolicyDocument"])["Statement"]
    return {"Version": "2012-10-17", "Statement": statements} if statements else None


def topic_policy(app: DeployedApp, topic_arn: str) -> dict[str, Any] | None:
    return _merged_policy(app, "AWS::SNS::TopicPolicy", "Topics", topic_arn)


def queue_policy(app: DeployedApp, queue_url: str) -> dict[str, Any] | None:
    return _merged_policy(app, "AWS::SQS::QueuePolicy", "Queues", queue_url)


def logs_resource_policy(app: DeployedApp, region: str) -> dict[str, Any]:
    """CloudWatch Logs resource policies apply to the whole account and region."""
    statements = []
    for stack, logical_id in app.resources("AWS::Logs::ResourcePolicy", region):
        statements += document(stack.resolved(logical_id)["PolicyDocument"])["Statement"]
    return {"Version": "2012-10-17", "Statement": statements}


def key(app: DeployedApp, reference: str, region: str) -> tuple[DeployedStack, str] | None:
    """The key a key id, key ARN, alias name or alias ARN names."""
    alias = re.sub(r"^arn:aws:kms:[^:]+:\d+:", "", reference)
    if alias.startswith("alias/"):
        for stack, logical_id in app.resources("AWS::KMS::Alias", region):
            props = stack.resolved(logical_id)
            if props["AliasName"] == alias:
                return key(app, str(props["TargetKeyId"]), region)
        return None
    return app.find("AWS::KMS::Key", reference, region)


def key_arn(stack: DeployedStack, logical_id: str) -> str:
    return str(stack.attribute(logical_id, "Arn"))


def key_aliases(app: DeployedApp, stack: DeployedStack, logical_id: str) -> list[str]:
    """The aliases that point at the key (`kms:ResourceAliases`)."""
    return [
        str(s.resolved(alias)["AliasName"])
        for s, alias in app.resources("AWS::KMS::Alias", stack.region)
        if key(app, str(s.resolved(alias)["TargetKeyId"]), stack.region) == (stack, logical_id)
    ]


def key_decisions(
    app: DeployedApp,
    reference: str,
    region: str,
    principal: str,
    actions: tuple[str, ...],
    context: dict[str, Any],
    identity: tuple[dict[str, Any], ...] = (),
) -> tuple[tuple[Decision, ...], tuple[str, ...]]:
    found = key(app, reference, region)
    if found is None:
        return (), (f"KMS key {reference} does not exist in {region}",)
    stack, logical_id = found
    policy = document(stack.properties(logical_id)["KeyPolicy"])
    policy = stack.resolve(policy)
    decisions = tuple(
        Decision(
            principal=principal,
            action=action,
            resource=key_arn(stack, logical_id),
            resource_account=stack.account,
            context=context | {"kms:ResourceAliases": key_aliases(app, stack, logical_id)},
            identity_policies=identity,
            resource_policy=policy,
        )
        for action in actions
    )
    return decisions, ()


@dataclass(frozen=True)
class Role:
    arn: str
    account: str
    trust: dict[str, Any]
    policies: tuple[dict[str, Any], ...]


def role(app: DeployedApp, arn: str) -> Role:
    found = app.find("AWS::IAM::Role", arn)
    if found is None:
        raise AssertionError(f"role {arn} is not in the templates")
    stack, logical_id = found
    props = stack.resolved(logical_id)
    name = stack.name(logical_id)
    policies = [document(p["PolicyDocument"]) for p in props.get("Policies", [])]
    for policy_arn in props.get("ManagedPolicyArns", []):
        if ":iam::aws:policy/" in str(policy_arn):
            # AWS managed (AWS Config's read access): it could only add allows, so a row that holds without it
            # holds with it.
            continue
        managed = app.find("AWS::IAM::ManagedPolicy", policy_arn)
        if managed is None:
            raise AssertionError(f"{arn}: managed policy {policy_arn} is not in the templates (AWS managed?)")
        policies.append(document(managed[0].resolved(managed[1])["PolicyDocument"]))
    for policy_type in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
        for s, policy_id in app.resources(policy_type):
            policy_props = s.resolved(policy_id)
            if name in policy_props.get("Roles", []) and policy_props.get("PolicyDocument"):
                attached = s.ref(policy_id)
                if attached not in props.get("ManagedPolicyArns", []):
                    policies.append(document(policy_props["PolicyDocument"]))
    return Role(arn, stack.account, document(props["AssumeRolePolicyDocument"]), tuple(policies))


def assume(service: str, assumed: Role, context: dict[str, Any]) -> Decision:
    return Decision(
        principal=service,
        action="sts:AssumeRole",
        resource=assumed.arn,
        resource_account=assumed.account,
        context=context,
        resource_policy=assumed.trust,
    )


def acts(
    actor: Role, action: str, resource: str, account: str, context: dict[str, Any], policy: Any = None
) -> Decision:
    return Decision(
        principal=actor.arn,
        action=action,
        resource=resource,
        resource_account=account,
        context=context,
        identity_policies=actor.policies,
        resource_policy=policy,
    )


def log_delivery_source(region: str, account: str, what: str) -> str:
    """What CloudWatch Logs' delivery service sends as `aws:SourceArn`. AWS documents only the pattern policies
    should match (`arn:aws:logs:REGION:ACCOUNT:*`); a concrete ARN inside it stands in, so that a policy that
    compares the pattern literally (StringEquals) fails here as it would in AWS."""
    return f"arn:aws:logs:{region}:{account}:delivery-source:{what.replace(' ', '-')}"


def tls(context: dict[str, Any]) -> dict[str, Any]:
    return context | {"aws:SecureTransport": "true"}


def source(stack: DeployedStack, logical_id: str) -> tuple[str, str]:
    return (stack.construct_id, logical_id)


def bucket_of(arn_or_name: str) -> str:
    return arn_or_name.removeprefix("arn:aws:s3:::").split("/", 1)[0]


def bucket_exists(app: DeployedApp, name: str) -> bool:
    return app.find("AWS::S3::Bucket", name) is not None


# -- allowed paths --------------------------------------------------------------------------------------

ALARM_TYPES = ("AWS::CloudWatch::Alarm", "AWS::CloudWatch::CompositeAlarm")


def alarm_notifications(app: DeployedApp, region: str) -> Iterator[Path]:
    """CloudWatch publishes each alarm's state change to its SNS topics, encrypting with the topic's key."""
    for alarm_type in ALARM_TYPES:
        for stack, logical_id in app.resources(alarm_type, region):
            props = stack.resolved(logical_id)
            alarm_arn = str(stack.attribute(logical_id, "Arn"))
            context = {"aws:SourceArn": alarm_arn, "aws:SourceAccount": stack.account}
            topics = sorted(set(props.get("AlarmActions", []) + props.get("OKActions", [])))
            for topic in topics:
                yield _publish(app, stack, logical_id, "cloudwatch.amazonaws.com", topic, context, region, "alarm")
            if not topics:
                # Notifies nobody on purpose only when a Route 53 health check reads it (the failover alarm).
                read = any(
                    stack.resolved(check)["HealthCheckConfig"].get("AlarmIdentifier", {}).get("Name")
                    == stack.name(logical_id)
                    for check in stack.of_type("AWS::Route53::HealthCheck")
                )
                problems = () if read else ("notifies no topic and no health check reads it",)
                yield Path(source(stack, logical_id), f"alarm {logical_id}: read by Route 53", problems=problems)


def budget_notifications(app: DeployedApp, region: str) -> Iterator[Path]:
    """AWS Budgets publishes each threshold notification to its SNS subscriber topics."""
    for stack, logical_id in app.resources("AWS::Budgets::Budget", region):
        props = stack.resolved(logical_id)
        budget_arn = f"arn:aws:budgets::{stack.account}:budget/{stack.name(logical_id)}"
        context = {"aws:SourceArn": budget_arn, "aws:SourceAccount": stack.account}
        topics = {
            subscriber["Address"]
            for notification in props.get("NotificationsWithSubscribers", [])
            for subscriber in notification["Subscribers"]
            if subscriber["SubscriptionType"] == "SNS"
        }
        for topic in sorted(topics):
            yield _publish(app, stack, logical_id, "budgets.amazonaws.com", topic, context, region, "budget")


def event_notifications(app: DeployedApp, region: str) -> Iterator[Path]:
    """EventBridge publishes each rule's matching event to the rule's SNS targets (the out-of-band change guard)."""
    for stack, logical_id in app.resources("AWS::Events::Rule", region):
        props = stack.resolved(logical_id)
        rule_arn = f"arn:aws:events:{region}:{stack.account}:rule/{stack.name(logical_id)}"
        context = {"aws:SourceArn": rule_arn, "aws:SourceAccount": stack.account}
        topics = [str(t["Arn"]) for t in props.get("Targets", []) if ":sns:" in str(t["Arn"])]
        if not topics:
            yield Path(source(stack, logical_id), f"rule {logical_id}", problems=("publishes to no topic",))
        for topic in topics:
            # EventBridge's KMS requests carry no source keys (SNS guide, key management); SNS names the topic in
            # the encryption context.
            key_context = {"kms:EncryptionContext:aws:sns:topicArn": topic}
            yield _publish(app, stack, logical_id, "events.amazonaws.com", topic, context, region, "rule", key_context)


def event_dead_letters(app: DeployedApp, region: str) -> Iterator[Path]:
    """EventBridge puts an event it cannot deliver to a rule's target into the target's dead-letter queue: every
    target that can fail has one, and EventBridge may send to it and encrypt with its key."""
    for stack, logical_id in app.resources("AWS::Events::Rule", region):
        props = stack.resolved(logical_id)
        rule_arn = f"arn:aws:events:{region}:{stack.account}:rule/{stack.name(logical_id)}"
        context = {"aws:SourceArn": rule_arn, "aws:SourceAccount": stack.account}
        for target in props.get("Targets", []):
            description = f"rule {logical_id} -> {target['Id']}'s dead-letter queue"
            queue_arn = target.get("DeadLetterConfig", {}).get("Arn")
            if queue_arn is None:
                yield Path(source(stack, logical_id), description, problems=("an undelivered event is dropped",))
                continue
            found = app.find("AWS::SQS::Queue", str(queue_arn), region)
            if found is None:
                yield Path(source(stack, logical_id), description, problems=(f"queue {queue_arn} does not exist",))
                continue
            queue_stack, queue_id = found
            policy = queue_policy(app, str(queue_stack.ref(queue_id)))
            decisions = [
                Decision(
                    "events.amazonaws.com", "sqs:SendMessage", str(queue_arn), queue_stack.account, tls(context),
                    resource_policy=policy,
                )
            ]  # fmt: skip
            problems: tuple[str, ...] = () if policy else (f"{queue_arn} has no queue policy",)
            master_key = queue_stack.resolved(queue_id).get("KmsMasterKeyId")
            if master_key:
                # SQS names the queue in the encryption context of its data keys.
                key_context = {"kms:EncryptionContext:aws:sqs:arn": str(queue_arn)}
                more, missing = key_decisions(
                    app, str(master_key), region, "events.amazonaws.com", ("kms:GenerateDataKey", "kms:Decrypt"),
                    key_context,
                )  # fmt: skip
                decisions += more
                problems += missing
            yield Path(source(stack, logical_id), description, tuple(decisions), problems)


def trail_delivery(app: DeployedApp, region: str) -> Iterator[Path]:
    """CloudTrail writes each trail's log files into its bucket with its key, and its events into its log group
    through its role (`governance: create`, components/governance.py)."""
    for stack, logical_id in app.resources("AWS::CloudTrail::Trail", region):
        props = stack.resolved(logical_id)
        account = stack.account
        arn = f"arn:aws:cloudtrail:{region}:{account}:trail/{props['TrailName']}"
        context = {"aws:SourceArn": arn, "aws:SourceAccount": account}
        bucket = str(props["S3BucketName"])
        policy = bucket_policy(app, bucket)
        log_file = f"AWSLogs/{account}/CloudTrail/{region}/{YEAR}/{MONTH}/{DAY}/{account}_CloudTrail_{region}.json.gz"
        service = "cloudtrail.amazonaws.com"
        decisions = [
            Decision(
                service, "s3:GetBucketAcl", f"arn:aws:s3:::{bucket}", account, tls(context), resource_policy=policy
            ),
            Decision(
                service, "s3:PutObject", f"arn:aws:s3:::{bucket}/{log_file}", account,
                tls(context | {"s3:x-amz-acl": "bucket-owner-full-control"}), resource_policy=policy,
            ),
        ]  # fmt: skip
        problems: tuple[str, ...] = () if bucket_exists(app, bucket) else (f"bucket {bucket} does not exist",)
        more, missing = key_decisions(
            app, str(props["KMSKeyId"]), region, service, ("kms:GenerateDataKey",),
            context | {"kms:EncryptionContext:aws:cloudtrail:arn": arn},
        )  # fmt: skip
        decisions += more
        problems += missing
        writer = role(app, str(props["CloudWatchLogsRoleArn"]))
        group = str(props["CloudWatchLogsLogGroupArn"]).removesuffix(":*")
        stream = f"{group}:log-stream:{account}_CloudTrail_{region}"
        # CloudTrail's guide: it sends no source keys when it assumes this role.
        decisions.append(assume(service, writer, {}))
        decisions += [acts(writer, a, stream, account, tls({})) for a in ("logs:CreateLogStream", "logs:PutLogEvents")]
        yield Path(source(stack, logical_id), f"trail {props['TrailName']} -> s3://{bucket} and {group}",
                   tuple(decisions), problems)  # fmt: skip


def config_delivery(app: DeployedApp, region: str) -> Iterator[Path]:
    """AWS Config assumes its recorder's role and delivers snapshots into the channel's bucket, encrypted with the
    channel's key through S3 (`governance: create`)."""
    for stack, logical_id in app.resources("AWS::Config::DeliveryChannel", region):
        props = stack.resolved(logical_id)
        account = stack.account
        recorders = [stack.resolved(r) for _, r in app.resources("AWS::Config::ConfigurationRecorder", region)]
        (recorder,) = recorders
        deliverer = role(app, str(recorder["RoleARN"]))
        bucket = str(props["S3BucketName"])
        policy = bucket_policy(app, bucket)
        key_path = (
            f"{props.get('S3KeyPrefix', '')}/AWSLogs/{account}/Config/{region}/{YEAR}/{MONTH}/{DAY}/snapshot.json.gz"
        )
        decisions = [
            assume("config.amazonaws.com", deliverer, {"aws:SourceAccount": account}),
            acts(deliverer, "s3:GetBucketAcl", f"arn:aws:s3:::{bucket}", account, tls({}), policy),
            acts(deliverer, "s3:PutObject", f"arn:aws:s3:::{bucket}/{key_path}", account,
                 tls({"s3:x-amz-acl": "bucket-owner-full-control"}), policy),
        ]  # fmt: skip
        problems: tuple[str, ...] = () if bucket_exists(app, bucket) else (f"bucket {bucket} does not exist",)
        kms_context = {
            "kms:ViaService": f"s3.{region}.amazonaws.com",
            "kms:EncryptionContext:aws:s3:arn": f"arn:aws:s3:::{bucket}",
        }
        more, missing = key_decisions(
            app, str(props["S3KmsKeyArn"]), region, deliverer.arn, ("kms:GenerateDataKey",), kms_context,
            deliverer.policies,
        )  # fmt: skip
        decisions += more
        problems += missing
        yield Path(source(stack, logical_id), f"AWS Config -> s3://{bucket}/{key_path}", tuple(decisions), problems)


def _publish(
    app: DeployedApp,
    stack: DeployedStack,
    logical_id: str,
    service: str,
    topic: str,
    context: dict[str, Any],
    region: str,
    what: str,
    key_context: dict[str, Any] | None = None,
) -> Path:
    """`context` of the publish; `key_context` of the KMS requests when they carry other keys (else `context`)."""
    found = app.find("AWS::SNS::Topic", topic, region)
    description = f"{what} {logical_id} -> {topic.rsplit(':', 1)[-1]}"
    if found is None:
        return Path(source(stack, logical_id), description, problems=(f"topic {topic} does not exist",))
    topic_stack, topic_id = found
    policy = topic_policy(app, topic)
    decisions = [Decision(service, "sns:Publish", topic, topic_stack.account, tls(context), resource_policy=policy)]
    problems: tuple[str, ...] = () if policy else (f"{topic} has no topic policy",)
    master_key = topic_stack.resolved(topic_id).get("KmsMasterKeyId")
    if master_key:
        more, missing = key_decisions(
            app, str(master_key), region, service, ("kms:GenerateDataKey", "kms:Decrypt"), key_context or context
        )
        decisions += more
        problems += missing
    return Path(source(stack, logical_id), description, tuple(decisions), problems)


def flow_logs(app: DeployedApp, region: str) -> Iterator[Path]:
    """VPC flow-log delivery writes objects where AWS puts them, Hive-style or not, into its S3 destination."""
    for stack, logical_id in app.resources("AWS::EC2::FlowLog", region):
        props = stack.resolved(logical_id)
        if props.get("LogDestinationType") != "s3":
            yield Path(source(stack, logical_id), f"flow log {logical_id}", problems=("not delivered to S3",))
            continue
        destination = str(props["LogDestination"])
        bucket = bucket_of(destination)
        prefix = destination.removeprefix(f"arn:aws:s3:::{bucket}").strip("/")
        options = props.get("DestinationOptions", {})
        account = stack.account
        if options.get("HiveCompatiblePartitions"):
            folder = f"AWSLogs/aws-account-id={account}/aws-service=vpcflowlogs/aws-region={region}"
            folder += f"/year={YEAR}/month={MONTH}/day={DAY}" + (
                f"/hour={HOUR}" if options.get("PerHourPartition") else ""
            )
        else:
            folder = f"AWSLogs/{account}/vpcflowlogs/{region}/{YEAR}/{MONTH}/{DAY}"
            folder += f"/{HOUR}" if options.get("PerHourPartition") else ""
        extension = "log.parquet" if options.get("FileFormat") == "parquet" else "log.gz"
        name = f"{account}_vpcflowlogs_{region}_fl-0123456789abcdef0_{YEAR}{MONTH}{DAY}T{HOUR}00Z_0a1b2c3d.{extension}"
        key_path = "/".join(part for part in (prefix, folder, name) if part)
        yield _log_delivery_to_bucket(app, stack, logical_id, bucket, key_path, region, "flow log")


def _log_delivery_to_bucket(
    app: DeployedApp, stack: DeployedStack, logical_id: str, bucket: str, key_path: str, region: str, what: str
) -> Path:
    account = stack.account
    description = f"{what} {logical_id} -> s3://{bucket}/{key_path}"
    if not bucket_exists(app, bucket):
        return Path(source(stack, logical_id), description, problems=(f"bucket {bucket} does not exist",))
    context = {"aws:SourceAccount": account, "aws:SourceArn": log_delivery_source(region, account, what)}
    policy = bucket_policy(app, bucket)
    service = "delivery.logs.amazonaws.com"
    decisions = [
        Decision(service, "s3:GetBucketAcl", f"arn:aws:s3:::{bucket}", account, tls(context), resource_policy=policy),
        Decision(
            service,
            "s3:PutObject",
            f"arn:aws:s3:::{bucket}/{key_path}",
            account,
            tls(context | {"s3:x-amz-acl": "bucket-owner-full-control"}),
            resource_policy=policy,
        ),
    ]
    problems: tuple[str, ...] = ()
    encryption = _bucket_key(app, bucket)
    if encryption:
        kms_context = context | {
            "kms:ViaService": f"s3.{region}.amazonaws.com",
            "kms:EncryptionContext:aws:s3:arn": f"arn:aws:s3:::{bucket}",
        }
        more, problems = key_decisions(app, encryption, region, service, ("kms:GenerateDataKey",), kms_context)
        decisions += more
    return Path(source(stack, logical_id), description, tuple(decisions), problems)


def _bucket_key(app: DeployedApp, bucket: str) -> str | None:
    """The KMS key a bucket encrypts new objects with, if SSE-KMS."""
    found = app.find("AWS::S3::Bucket", bucket)
    assert found is not None
    stack, logical_id = found
    rules = stack.resolved(logical_id).get("BucketEncryption", {}).get("ServerSideEncryptionConfiguration", [])
    for rule in rules:
        default = rule.get("ServerSideEncryptionByDefault", {})
        if default.get("SSEAlgorithm") == "aws:kms":
            return str(default["KMSMasterKeyID"])
    return None


def _vended_log_delivery(
    app: DeployedApp, region: str, stack: DeployedStack, logical_id: str, service: str, group: str, stream: str
) -> Path:
    """AWS's log delivery (`delivery.logs`) creates a stream in `group` and writes it, for `service`."""
    account = stack.account
    context = {"aws:SourceAccount": account, "aws:SourceArn": log_delivery_source(region, account, service)}
    policy = logs_resource_policy(app, region)
    arn = f"arn:aws:logs:{region}:{account}:log-group:{group}:log-stream:{stream}"
    decisions = tuple(
        Decision("delivery.logs.amazonaws.com", action, arn, account, tls(context), resource_policy=policy)
        for action in ("logs:CreateLogStream", "logs:PutLogEvents")
    )
    problems = () if app.find("AWS::Logs::LogGroup", group, region) else (f"log group {group} does not exist",)
    return Path(source(stack, logical_id), f"{service} logging -> {group}", decisions, problems)


def waf_logs(app: DeployedApp, region: str) -> Iterator[Path]:
    """WAF's log delivery writes every request record into the web ACL's CloudWatch Logs log group."""
    for stack, logical_id in app.resources("AWS::WAFv2::LoggingConfiguration", region):
        for destination in stack.resolved(logical_id)["LogDestinationConfigs"]:
            group = str(destination).split(":log-group:", 1)[1].removesuffix(":*")
            yield _vended_log_delivery(app, region, stack, logical_id, "waf", group, f"{region}_{group}_0")


def firewall_logs(app: DeployedApp, region: str) -> Iterator[Path]:
    """Network Firewall's log delivery writes each firewall's alerts (every dropped flow) into its log group."""
    for stack, logical_id in app.resources("AWS::NetworkFirewall::LoggingConfiguration", region):
        configuration = stack.resolved(logical_id)["LoggingConfiguration"]
        for destination in configuration["LogDestinationConfigs"]:
            group = str(destination["LogDestination"]["logGroup"])
            stream = f"/aws/network-firewall/{destination['LogType'].lower()}/{logical_id}_{YEAR}-{MONTH}-{DAY}-{HOUR}"
            yield _vended_log_delivery(app, region, stack, logical_id, "network firewall", group, stream)


def log_group_encryption(app: DeployedApp, region: str) -> Iterator[Path]:
    """CloudWatch Logs encrypts and decrypts each log group's events with the group's KMS key."""
    for stack, logical_id in app.resources("AWS::Logs::LogGroup", region):
        props = stack.resolved(logical_id)
        name = stack.name(logical_id)
        if "KmsKeyId" not in props:
            yield Path(source(stack, logical_id), f"log group {name}", problems=("not KMS-encrypted",))
            continue
        context = {"kms:EncryptionContext:aws:logs:arn": f"arn:aws:logs:{region}:{stack.account}:log-group:{name}"}
        decisions, problems = key_decisions(
            app,
            str(props["KmsKeyId"]),
            region,
            f"logs.{region}.amazonaws.com",
            ("kms:GenerateDataKey", "kms:Encrypt", "kms:Decrypt"),
            context,
        )
        yield Path(source(stack, logical_id), f"CloudWatch Logs -> key of {name}", decisions, problems)


# The AWS managed policy CDK's generated function roles hold (AWSLambdaBasicExecutionRole), as AWS publishes it.
LAMBDA_BASIC_EXECUTION = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": "*",
        }
    ],
}


def generated_function_logs(app: DeployedApp, region: str) -> Iterator[Path]:
    """Each Lambda function (CDK's generated providers) writes the log group it is configured with, a declared one
    of this app, with its role (components/generated_functions.py)."""
    for stack, logical_id in app.resources("AWS::Lambda::Function", region):
        props = stack.resolved(logical_id)
        group = props.get("LoggingConfig", {}).get("LogGroup")
        if group is None or app.find("AWS::Logs::LogGroup", str(group), region) is None:
            yield Path(source(stack, logical_id), f"function {logical_id}", problems=(f"logs to {group}",))
            continue
        role_arn = str(props["Role"])
        found = app.find("AWS::IAM::Role", role_arn)
        assert found is not None, role_arn
        role_props = found[0].resolved(found[1])
        basic = [arn for arn in role_props.get("ManagedPolicyArns", []) if "AWSLambdaBasicExecutionRole" in str(arn)]
        policies = [LAMBDA_BASIC_EXECUTION] * len(basic)
        policies += [document(policy["PolicyDocument"]) for policy in role_props.get("Policies", [])]
        trust = document(role_props["AssumeRolePolicyDocument"])
        stream = (
            f"arn:aws:logs:{region}:{stack.account}:log-group:{group}:log-stream:2026/11/29/[$LATEST]0123456789abcdef"
        )
        decisions = [Decision("lambda.amazonaws.com", "sts:AssumeRole", role_arn, stack.account, resource_policy=trust)]
        decisions += [
            Decision(role_arn, action, stream, stack.account, tls({}), tuple(policies))
            for action in ("logs:CreateLogStream", "logs:PutLogEvents")
        ]
        yield Path(source(stack, logical_id), f"function {logical_id} -> {group}", tuple(decisions))


def alb_access_logs(app: DeployedApp, region: str) -> Iterator[Path]:
    """Elastic Load Balancing writes access logs under the configured prefix of the log bucket."""
    for stack, logical_id in app.resources("AWS::ElasticLoadBalancingV2::LoadBalancer", region):
        props = stack.resolved(logical_id)
        attributes = {item["Key"]: item["Value"] for item in props.get("LoadBalancerAttributes", [])}
        if attributes.get("access_logs.s3.enabled") != "true":
            yield Path(source(stack, logical_id), f"ALB {logical_id}", problems=("access logs are off",))
            continue
        bucket, prefix, account = (
            attributes["access_logs.s3.bucket"],
            attributes.get("access_logs.s3.prefix", ""),
            stack.account,
        )
        name = stack.name(logical_id)
        stamp = f"{YEAR}{MONTH}{DAY}T{HOUR}00Z"
        file = f"{account}_elasticloadbalancing_{region}_app.{name}.0123456789abcdef_{stamp}_10.0.0.1_x.log.gz"
        key_path = "/".join(
            p for p in (prefix, "AWSLogs", account, "elasticloadbalancing", region, YEAR, MONTH, DAY, file) if p
        )
        resource = f"arn:aws:s3:::{bucket}/{key_path}"
        policy = bucket_policy(app, bucket)
        description = f"ALB {logical_id} -> s3://{bucket}/{key_path}"
        if region in ELB_ACCOUNTS:
            principal = f"arn:aws:iam::{ELB_ACCOUNTS[region]}:root"
            decision = Decision(principal, "s3:PutObject", resource, account, tls({}), (ALLOW_ALL,), policy)
        else:
            context = tls({"aws:SourceAccount": account, "aws:SourceArn": str(stack.ref(logical_id))})
            decision = Decision(ELB_LOG_DELIVERY, "s3:PutObject", resource, account, context, resource_policy=policy)
        problems = () if bucket_exists(app, bucket) else (f"bucket {bucket} does not exist",)
        yield Path(source(stack, logical_id), description, (decision,), problems)


def server_access_logs(app: DeployedApp, region: str) -> Iterator[Path]:
    """S3 server access logging writes each bucket's access log into the target bucket under its prefix."""
    for stack, logical_id in app.resources("AWS::S3::Bucket", region):
        logging = stack.resolved(logical_id).get("LoggingConfiguration")
        if not logging:
            continue
        target, prefix = logging["DestinationBucketName"], logging.get("LogFilePrefix", "")
        key_path = f"{prefix}{YEAR}-{MONTH}-{DAY}-{HOUR}-00-00-0123456789ABCDEF"
        context = tls({"aws:SourceArn": f"arn:aws:s3:::{stack.name(logical_id)}", "aws:SourceAccount": stack.account})
        decision = Decision(
            "logging.s3.amazonaws.com",
            "s3:PutObject",
            f"arn:aws:s3:::{target}/{key_path}",
            stack.account,
            context,
            resource_policy=bucket_policy(app, target),
        )
        problems = () if bucket_exists(app, target) else (f"bucket {target} does not exist",)
        description = f"server access logs of {logical_id} -> s3://{target}/{key_path}"
        yield Path(source(stack, logical_id), description, (decision,), problems)


def log_subscriptions(app: DeployedApp, region: str) -> Iterator[Path]:
    """CloudWatch Logs assumes the subscription role and puts each batch of log events into Firehose."""
    for stack, logical_id in app.resources("AWS::Logs::SubscriptionFilter", region):
        props = stack.resolved(logical_id)
        group = props["LogGroupName"]
        sender = role(app, props["RoleArn"])
        group_arn = f"arn:aws:logs:{region}:{stack.account}:log-group:{group}:*"
        decisions = [
            assume(
                f"logs.{region}.amazonaws.com", sender, {"aws:SourceArn": group_arn, "aws:SourceAccount": stack.account}
            )
        ]
        decisions += [
            acts(sender, action, props["DestinationArn"], stack.account, tls({}))
            for action in ("firehose:PutRecord", "firehose:PutRecordBatch")
        ]
        problems = () if app.find("AWS::Logs::LogGroup", group, region) else (f"log group {group} does not exist",)
        yield Path(source(stack, logical_id), f"{group} -> Firehose", tuple(decisions), problems)


def firehose_delivery(app: DeployedApp, region: str) -> Iterator[Path]:
    """Firehose assumes its delivery role and writes buffered records into the archive bucket, encrypted."""
    for stack, logical_id in app.resources("AWS::KinesisFirehose::DeliveryStream", region):
        props = stack.resolved(logical_id)
        config = props["ExtendedS3DestinationConfiguration"]
        writer = role(app, config["RoleARN"])
        bucket = bucket_of(config["BucketARN"])
        prefix = config.get("Prefix", "").replace("!{timestamp:yyyy/MM/dd}", f"{YEAR}/{MONTH}/{DAY}")
        stream = stack.name(logical_id)
        object_arn = f"arn:aws:s3:::{bucket}/{prefix}{stream}-1-{YEAR}-{MONTH}-{DAY}-{HOUR}-00-00-0123"
        policy = bucket_policy(app, bucket)
        account = stack.account
        decisions = [assume("firehose.amazonaws.com", writer, {"aws:SourceAccount": account})]
        decisions += [
            acts(writer, action, f"arn:aws:s3:::{bucket}", account, tls({}), policy)
            for action in ("s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads")
        ]
        decisions += [
            acts(writer, action, object_arn, account, tls({}), policy)
            for action in ("s3:PutObject", "s3:AbortMultipartUpload")
        ]
        problems: tuple[str, ...] = () if bucket_exists(app, bucket) else (f"bucket {bucket} does not exist",)
        encryption = _bucket_key(app, bucket) if not problems else None
        if encryption:
            context = {
                "kms:ViaService": f"s3.{region}.amazonaws.com",
                "kms:EncryptionContext:aws:s3:arn": f"arn:aws:s3:::{bucket}",
            }
            more, missing = key_decisions(
                app, encryption, region, writer.arn, ("kms:GenerateDataKey", "kms:Decrypt"), context, writer.policies
            )
            decisions += more
            problems += missing
        yield Path(
            source(stack, logical_id), f"Firehose {stream} -> s3://{bucket}/{prefix}", tuple(decisions), problems
        )


def replication(app: DeployedApp, region: str) -> Iterator[Path]:
    """S3 assumes the replication role, reads each new object version and writes it to the standby replica
    bucket, re-encrypted with the standby key named in the rule."""
    for stack, logical_id in app.resources("AWS::S3::Bucket", region):
        props = stack.resolved(logical_id)
        configuration = props.get("ReplicationConfiguration")
        if not configuration:
            continue
        replicator = role(app, configuration["Role"])
        bucket = stack.name(logical_id)
        account = stack.account
        source_policy = bucket_policy(app, bucket)
        object_key = "AWSLogs/example-object"
        decisions = [
            assume(
                "s3.amazonaws.com",
                replicator,
                {"aws:SourceAccount": account, "aws:SourceArn": f"arn:aws:s3:::{bucket}"},
            )
        ]
        decisions += [
            acts(replicator, action, f"arn:aws:s3:::{bucket}", account, tls({}), source_policy)
            for action in ("s3:GetReplicationConfiguration", "s3:ListBucket")
        ]
        decisions += [
            acts(replicator, action, f"arn:aws:s3:::{bucket}/{object_key}", account, tls({}), source_policy)
            for action in ("s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging")
        ]
        problems: list[str] = []
        source_key = _bucket_key(app, bucket)
        if source_key:
            context = {
                "kms:ViaService": f"s3.{region}.amazonaws.com",
                "kms:EncryptionContext:aws:s3:arn": f"arn:aws:s3:::{bucket}",
            }
            more, missing = key_decisions(
                app, source_key, region, replicator.arn, ("kms:Decrypt",), context, replicator.policies
            )
            decisions += more
            problems += missing
        for rule in configuration["Rules"]:
            destination = rule["Destination"]
            replica = bucket_of(destination["Bucket"])
            found = app.find("AWS::S3::Bucket", replica)
            if found is None:
                problems.append(f"replica bucket {replica} does not exist")
                continue
            replica_stack, _ = found
            replica_policy = bucket_policy(app, replica)
            decisions += [
                acts(
                    replicator,
                    action,
                    f"arn:aws:s3:::{replica}/{object_key}",
                    replica_stack.account,
                    tls({}),
                    replica_policy,
                )
                for action in ("s3:ReplicateObject", "s3:ReplicateTags")
            ]
            replica_key = destination.get("EncryptionConfiguration", {}).get("ReplicaKmsKeyID")
            if replica_key:
                context = {
                    "kms:ViaService": f"s3.{replica_stack.region}.amazonaws.com",
                    "kms:EncryptionContext:aws:s3:arn": f"arn:aws:s3:::{replica}",
                }
                more, missing = key_decisions(
                    app,
                    replica_key,
                    replica_stack.region,
                    replicator.arn,
                    ("kms:Encrypt", "kms:GenerateDataKey"),
                    context,
                    replicator.policies,
                )
                decisions += more
                problems += missing
        yield Path(source(stack, logical_id), f"replication of {bucket}", tuple(decisions), tuple(problems))


IMAGE = re.compile(r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com/(?P<repository>[^:@]+)[:@]")


@dataclass(frozen=True)
class Call:
    """A request a task's network makes to AWS: through which VPC endpoint, by whom, to what."""

    endpoint: str  # the endpoint's service: ecr.api, ecr.dkr, s3, logs, secretsmanager, dynamodb
    principal: str
    action: str
    resource: str
    account: str


def task_calls(app: DeployedApp, stack: DeployedStack, props: dict[str, Any], region: str) -> list[Call]:
    """Every request a task makes from the VPC: the execution role's at start (image, layers, log, secret) and
    the task role's from the service (the ledger)."""
    agent, code, account = str(props["ExecutionRoleArn"]), str(props["TaskRoleArn"]), stack.account
    calls: list[Call] = []
    for container in props["ContainerDefinitions"]:
        image = IMAGE.match(str(container["Image"]))
        if image is not None:
            repository = f"arn:aws:ecr:{image['region']}:{image['account']}:repository/{image['repository']}"
            calls.append(Call("ecr.api", agent, "ecr:GetAuthorizationToken", "*", account))
            calls += [
                Call(endpoint, agent, action, repository, image["account"])
                for endpoint in ("ecr.api", "ecr.dkr")
                for action in ("ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage")
            ]
            layers = f"arn:aws:s3:::{layer_bucket(region)}/sha256/0123456789abcdef"
            calls.append(Call("s3", agent, "s3:GetObject", layers, "000000000000"))
        options = container.get("LogConfiguration", {}).get("Options", {})
        if "awslogs-group" in options:
            stream = f"{options.get('awslogs-stream-prefix', 'ecs')}/{container['Name']}/0123456789abcdef"
            arn = f"arn:aws:logs:{region}:{account}:log-group:{options['awslogs-group']}:log-stream:{stream}"
            calls += [Call("logs", agent, a, arn, account) for a in ("logs:CreateLogStream", "logs:PutLogEvents")]
        for secret in container.get("Secrets", []):
            calls.append(
                Call("secretsmanager", agent, "secretsmanager:GetSecretValue", str(secret["ValueFrom"]), account)
            )
        for variable in container.get("Environment", []):
            if variable["Name"] == "LEDGER" and str(variable["Value"]).startswith("dynamodb:"):
                table = str(variable["Value"]).removeprefix("dynamodb:")
                found = app.find("AWS::DynamoDB::Table", table, region)
                arn = (
                    str(found[0].attribute(found[1], "Arn"))
                    if found
                    else f"arn:aws:dynamodb:{region}:{account}:table/{table}"
                )
                calls += [Call("dynamodb", code, action, arn, account) for action in LEDGER_TABLE_ACTIONS]
    # GuardDuty adds its Fargate agent to every task once Runtime Monitoring manages it, pulled with the execution
    # role from GuardDuty's repository of the region (settings/regions.py); its layers come from ECR's bucket.
    repository = guardduty_agent_repository(region)
    calls += [
        Call(endpoint, agent, action, repository, repository.split(":")[4])
        for endpoint in ("ecr.api", "ecr.dkr")
        for action in ("ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage")
    ]
    return calls


def endpoint_service(props: dict[str, Any], region: str) -> str:
    name = str(props["ServiceName"])
    return name.removeprefix(f"com.amazonaws.{region}.")


def endpoint_decision(call: Call, policy: dict[str, Any]) -> Decision:
    """Whether the endpoint policy lets the call through: evaluated as the only policy that could allow it (a
    principal of another account, as for an image of another account, brings its own allow)."""
    principal_account = call.principal.split(":")[4]
    context = {"aws:PrincipalAccount": principal_account}
    own = () if principal_account == call.account else (ALLOW_ALL,)
    return Decision(call.principal, call.action, call.resource, call.account, context, own, policy)


def through_endpoints(app: DeployedApp, region: str) -> Iterator[Path]:
    """Each VPC endpoint lets through every call the tasks make through it, and every endpoint carries some:
    with no internet egress, a call whose endpoint is missing or refuses it is a task that cannot start or pay."""
    endpoints = {
        endpoint_service(stack.resolved(logical_id), region): (stack, logical_id)
        for stack, logical_id in app.resources("AWS::EC2::VPCEndpoint", region)
    }
    calls = [
        call
        for stack, logical_id in app.resources("AWS::ECS::TaskDefinition", region)
        for call in task_calls(app, stack, stack.resolved(logical_id), region)
    ]
    for service, (stack, logical_id) in endpoints.items():
        policy = document(stack.resolved(logical_id).get("PolicyDocument", FULL_ACCESS))
        through = [call for call in calls if call.endpoint == service]
        problems = () if through else (f"no task call goes through the {service} endpoint: remove it",)
        decisions = tuple(endpoint_decision(call, policy) for call in through)
        yield Path(source(stack, logical_id), f"tasks -> {service} endpoint", decisions, problems)
    missing = sorted({call.endpoint for call in calls} - set(endpoints))
    for service in missing:
        stack, logical_id = next(iter(app.resources("AWS::ECS::TaskDefinition", region)))
        yield Path(source(stack, logical_id), f"tasks -> {service}", (), (f"no {service} endpoint in {region}",))


def outsiders_through_endpoints(app: DeployedApp, region: str) -> Iterator[Path]:
    """A principal of another account cannot use this app's endpoints, even for its own resources."""
    for stack, logical_id in app.resources("AWS::EC2::VPCEndpoint", region):
        props = stack.resolved(logical_id)
        service = endpoint_service(props, region)
        if service == "s3":
            continue  # ECR's layer bucket only, for presigned requests (tests/constructs/test_endpoints.py)
        policy = document(props.get("PolicyDocument", FULL_ACCESS))
        if service not in FOREIGN_REQUESTS:
            yield Path(source(stack, logical_id), f"outsider -> {service} endpoint", (), (f"{service}: no request",))
            continue
        action, resource = FOREIGN_REQUESTS[service]
        theirs = resource.format(region=region, account=FOREIGN_ACCOUNT)
        context = {"aws:PrincipalAccount": FOREIGN_ACCOUNT}
        decision = Decision(OUTSIDER, action, theirs, FOREIGN_ACCOUNT, context, (), policy)
        yield Path(source(stack, logical_id), f"outsider -> {service} endpoint", (decision,))


# What an outsider would send through each interface or DynamoDB endpoint: a request for its own resource.
FOREIGN_REQUESTS = {
    "ecr.api": ("ecr:BatchGetImage", "arn:aws:ecr:{region}:{account}:repository/theirs"),
    "ecr.dkr": ("ecr:GetDownloadUrlForLayer", "arn:aws:ecr:{region}:{account}:repository/theirs"),
    "logs": ("logs:PutLogEvents", "arn:aws:logs:{region}:{account}:log-group:theirs:log-stream:any"),
    "secretsmanager": ("secretsmanager:GetSecretValue", "arn:aws:secretsmanager:{region}:{account}:secret:theirs"),
    "dynamodb": ("dynamodb:GetItem", "arn:aws:dynamodb:{region}:{account}:table/theirs"),
}


def task_start(app: DeployedApp, region: str) -> Iterator[Path]:
    """The ECS agent assumes the execution role, pulls the image, injects the secret and writes the log."""
    for stack, logical_id in app.resources("AWS::ECS::TaskDefinition", region):
        props = stack.resolved(logical_id)
        agent = role(app, props["ExecutionRoleArn"])
        account = stack.account
        # AWS documents aws:SourceAccount for this request, not aws:SourceArn.
        decisions = [assume("ecs-tasks.amazonaws.com", agent, {"aws:SourceAccount": account})]
        problems: list[str] = []
        for container in props["ContainerDefinitions"]:
            image = IMAGE.match(str(container["Image"]))
            if image is None:
                problems.append(f"{container['Name']}: {container['Image']} is not an ECR image")
            elif image["region"] != region:
                problems.append(f"{container['Name']}: image in {image['region']}, task in {region}")
        # The execution role's own requests (task_calls lists them per endpoint; the layers are presigned by ECR).
        requests = {
            (call.action, call.resource, call.account): call.endpoint
            for call in task_calls(app, stack, props, region)
            if call.principal == agent.arn and call.endpoint != "s3"
        }
        for (action, resource, owner), endpoint in requests.items():
            if endpoint != "secretsmanager":
                # GuardDuty's agent repository admits every account's pulls (its policy is AWS's, not the app's).
                policy = GUARDDUTY_REPOSITORY_POLICY if resource.endswith(f"/{GUARDDUTY_AGENT_REPOSITORY}") else None
                decisions.append(acts(agent, action, resource, owner, tls({}), policy))
                continue
            found = app.find("AWS::SecretsManager::Secret", resource, region)
            if found is None:
                problems.append(f"secret {resource} does not exist")
                continue
            context = tls({"aws:PrincipalArn": agent.arn})
            decisions.append(acts(agent, action, resource, owner, context, secret_policy(app, resource)))
            secret_key = found[0].resolved(found[1]).get("KmsKeyId")
            if secret_key:
                context = {
                    "kms:ViaService": f"secretsmanager.{region}.amazonaws.com",
                    "kms:EncryptionContext:SecretARN": resource,
                }
                more, missing = key_decisions(
                    app, str(secret_key), region, agent.arn, ("kms:Decrypt",), context, agent.policies
                )
                decisions += more
                problems += missing
        yield Path(source(stack, logical_id), f"task start of {logical_id}", tuple(decisions), tuple(problems))


def task_role(app: DeployedApp, region: str) -> Iterator[Path]:
    """The task role writes payments to the ledger table its task is configured with, and reads an idempotency
    record back, with the table's key through DynamoDB; it allows nothing else (`LEDGER_*_ACTIONS`)."""
    for stack, logical_id in app.resources("AWS::ECS::TaskDefinition", region):
        props = stack.resolved(logical_id)
        code = role(app, props["TaskRoleArn"])
        decisions = [
            assume(
                "ecs-tasks.amazonaws.com",
                code,
                {
                    "aws:SourceAccount": stack.account,
                    "aws:SourceArn": f"arn:aws:ecs:{region}:{stack.account}:task/cluster/0123456789abcdef",
                },
            )
        ]
        problems: list[str] = []
        (ledger,) = {
            str(variable["Value"])
            for container in props["ContainerDefinitions"]
            for variable in container.get("Environment", [])
            if variable["Name"] == "LEDGER"
        }
        found = app.find("AWS::DynamoDB::Table", ledger.removeprefix("dynamodb:"), region)
        if found is None:
            problems.append(f"the task's ledger {ledger} is not a table of this app in {region}")
        else:
            table_stack, table_id = found
            table_arn = str(table_stack.attribute(table_id, "Arn"))
            decisions += [acts(code, action, table_arn, stack.account, tls({})) for action in LEDGER_TABLE_ACTIONS]
            table_key = table_stack.resolved(table_id).get("SSESpecification", {}).get("KMSMasterKeyId")
            if table_key is None:
                problems.append(f"ledger table {table_id} is not encrypted with a customer-managed key")
            else:
                context = tls(
                    {"kms:ViaService": f"dynamodb.{region}.amazonaws.com", "kms:CallerAccount": stack.account}
                )
                more, missing = key_decisions(
                    app, str(table_key), region, code.arn, LEDGER_KEY_ACTIONS, context, code.policies
                )
                decisions += more
                problems += missing
        allowed = sorted(
            str(action)
            for policy in code.policies
            for statement in policy["Statement"]
            if statement["Effect"] == "Allow"
            for action in ([statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"])
        )
        expected = sorted((*LEDGER_TABLE_ACTIONS, *LEDGER_KEY_ACTIONS))
        if allowed != expected:
            problems.append(f"task role allows {allowed}; the service calls {expected}")
        yield Path(source(stack, logical_id), f"task role of {logical_id}", tuple(decisions), tuple(problems))


def fis_experiments(app: DeployedApp, region: str) -> Iterator[Path]:
    """FIS assumes the experiment role and lists, describes and stops tasks of the payment cluster."""
    for stack, logical_id in app.resources("AWS::FIS::ExperimentTemplate", region):
        props = stack.resolved(logical_id)
        experimenter = role(app, props["RoleArn"])
        account = stack.account
        decisions = [assume("fis.amazonaws.com", experimenter, {"aws:SourceAccount": account})]
        for target in props["Targets"].values():
            cluster = target["Parameters"]["cluster"]
            cluster_arn = f"arn:aws:ecs:{region}:{account}:cluster/{cluster}"
            task = f"arn:aws:ecs:{region}:{account}:task/{cluster}/0123456789abcdef"
            context = tls({"ecs:cluster": cluster_arn})
            decisions.append(
                acts(
                    experimenter,
                    "ecs:ListTasks",
                    f"arn:aws:ecs:{region}:{account}:container-instance/{cluster}/*",
                    account,
                    context,
                )
            )
            decisions += [
                acts(experimenter, action, task, account, context) for action in ("ecs:DescribeTasks", "ecs:StopTask")
            ]
        yield Path(source(stack, logical_id), f"FIS {logical_id} -> ECS", tuple(decisions))


def failover_health(app: DeployedApp, region: str) -> Iterator[Path]:
    """Route 53 takes a region's health from the alarm on that region's healthy targets: it needs no way
    into the service (behind mutual TLS it would have none), and the alarm watches this region's ALB."""
    for stack, logical_id in app.resources("AWS::Route53::HealthCheck", region):
        config = stack.resolved(logical_id)["HealthCheckConfig"]
        description = f"Route 53 health check {logical_id} -> alarm"
        if config.get("Type") == "CALCULATED":
            # The primary's preference (ops/failover.py): healthy exactly while its one child, this region's
            # alarm check, is.
            checks = {str(stack.attribute(c, "HealthCheckId")) for c in stack.of_type("AWS::Route53::HealthCheck")}
            children = [str(child) for child in config.get("ChildHealthChecks", [])]
            found = tuple(
                problem
                for problem, bad in (
                    (f"follows {children}, not one health check of its own region", len(children) != 1
                     or not set(children) <= checks),
                    (f"threshold {config.get('HealthThreshold')}: it must serve while its child is healthy",
                     config.get("HealthThreshold") != 1),
                )
                if bad
            )  # fmt: skip
            yield Path(source(stack, logical_id), f"Route 53 preference {logical_id} -> region check", problems=found)
            continue
        if config.get("Type") != "CLOUDWATCH_METRIC":
            yield Path(source(stack, logical_id), description, problems=(f"checks {config.get('Type')}, not an alarm",))
            continue
        problems: list[str] = []
        identifier = config["AlarmIdentifier"]
        if identifier["Region"] != region:
            problems.append(f"follows an alarm in {identifier['Region']}, not in its own region {region}")
        if config.get("InsufficientDataHealthStatus") != "Unhealthy":
            problems.append("a region without data would count as healthy")
        alarm = next((a for s, a in app.resources("AWS::CloudWatch::Alarm", region) if s.name(a) == identifier["Name"]
                      and s is stack), None)  # fmt: skip
        if alarm is None:
            problems.append(f"no alarm named {identifier['Name']} in {stack.construct_id}")
        else:
            watched = stack.resolved(alarm)
            dimensions = {d["Name"]: d["Value"] for d in watched.get("Dimensions", [])}
            groups = {
                str(stack.attribute(g, "TargetGroupFullName"))
                for g in stack.of_type("AWS::ElasticLoadBalancingV2::TargetGroup")
            }
            if (watched.get("Namespace"), watched.get("MetricName")) != ("AWS/ApplicationELB", "HealthyHostCount"):
                problems.append("the alarm does not watch the healthy-target count")
            if dimensions.get("TargetGroup") not in groups:
                problems.append("the alarm watches no target group of this region's service")
            if (watched.get("ComparisonOperator"), float(watched.get("Threshold", -1))) != ("LessThanThreshold", 1.0):
                problems.append("the alarm does not fire when no target is healthy")
            if watched.get("TreatMissingData") != "breaching":
                problems.append("a region without any target would count as healthy")
        yield Path(source(stack, logical_id), description, problems=tuple(problems))


# -- paths that must stay closed --------------------------------------------------------------------------


def plain_http(app: DeployedApp, region: str) -> Iterator[Path]:
    """A request without TLS is refused by every bucket and topic, even from the account's own principals."""
    insider_policies = (ALLOW_ALL,)
    for stack, logical_id in app.resources("AWS::S3::Bucket", region):
        bucket = stack.name(logical_id)
        insider = f"arn:aws:iam::{stack.account}:role/insider"
        decisions = tuple(
            Decision(
                insider,
                action,
                f"arn:aws:s3:::{bucket}/any",
                stack.account,
                {"aws:SecureTransport": "false"},
                insider_policies,
                bucket_policy(app, bucket),
            )
            for action in ("s3:GetObject", "s3:PutObject")
        )
        yield Path(source(stack, logical_id), f"plain HTTP to s3://{bucket}", decisions)
    for stack, logical_id in app.resources("AWS::SNS::Topic", region):
        topic = str(stack.ref(logical_id))
        insider = f"arn:aws:iam::{stack.account}:role/insider"
        decision = Decision(
            insider,
            "sns:Publish",
            topic,
            stack.account,
            {"aws:SecureTransport": "false"},
            insider_policies,
            topic_policy(app, topic),
        )
        yield Path(source(stack, logical_id), f"plain HTTP to {topic}", (decision,))


def task_role_reads_audit_logs(app: DeployedApp, region: str) -> Iterator[Path]:
    """The service's own role cannot read or delete any audit record."""
    for stack, logical_id in app.resources("AWS::ECS::TaskDefinition", region):
        code = role(app, stack.resolved(logical_id)["TaskRoleArn"])
        for bucket_stack, bucket_id in app.resources("AWS::S3::Bucket", region):
            bucket = bucket_stack.name(bucket_id)
            decisions = tuple(
                acts(
                    code,
                    action,
                    f"arn:aws:s3:::{bucket}/any",
                    bucket_stack.account,
                    tls({}),
                    bucket_policy(app, bucket),
                )
                for action in ("s3:GetObject", "s3:DeleteObject")
            )
            yield Path(source(stack, logical_id), f"task role -> s3://{bucket}", decisions)


def administrator(account: str) -> str:
    """An administrator of the account: a role whose own policies allow everything."""
    return f"arn:aws:iam::{account}:role/administrator"


def deployer(account: str, region: str) -> str:
    """CloudFormation's execution role of the CDK bootstrap in `region`."""
    return f"arn:aws:iam::{account}:role/cdk-hnb659fds-cfn-exec-role-{account}-{region}"


def privileged(
    principal: str,
    requests: Iterable[tuple[str, str]],
    account: str,
    policy: dict[str, Any] | None,
    extra: dict[str, Any] | None = None,
) -> tuple[Decision, ...]:
    """`principal`, allowed everything by its own policies, making each (action, resource) request: only the
    resource's `policy` can refuse it."""
    context = tls({"aws:PrincipalArn": principal, **(extra or {})})
    return tuple(Decision(principal, a, r, account, context, (ALLOW_ALL,), policy) for a, r in requests)


def guarded_requests(app: DeployedApp, principal: str, bucket: str, account: str, erase: bool) -> tuple[Decision, ...]:
    """`principal`, allowed everything by its own policies, erasing a record (`erase`) or unprotecting `bucket`."""
    requests = [(a, f"arn:aws:s3:::{bucket}/any") for a in ERASING_ACTIONS] if erase else []
    requests += [(a, f"arn:aws:s3:::{bucket}") for a in UNPROTECTING_ACTIONS]
    return privileged(principal, requests, account, bucket_policy(app, bucket))


def custodian_role(app: DeployedApp, suffix: str) -> str:
    (found,) = [
        str(stack.attribute(logical_id, "Arn"))
        for stack, logical_id in app.resources("AWS::IAM::Role")
        if str(stack.resolved(logical_id).get("RoleName", "")).endswith(suffix)
    ]
    return found


def break_glass_role(app: DeployedApp) -> str:
    return custodian_role(app, "-audit-break-glass")


def key_requests(
    stack: DeployedStack, logical_id: str, principal: str, actions: tuple[str, ...], extra: dict[str, Any] | None = None
) -> tuple[Decision, ...]:
    """`principal`, allowed everything by its own policies, making `actions` on the key."""
    policy = stack.resolve(document(stack.properties(logical_id)["KeyPolicy"]))
    arn = key_arn(stack, logical_id)
    return privileged(principal, [(a, arn) for a in actions], stack.account, policy, extra)


def administrators_retire_keys(app: DeployedApp, region: str) -> Iterator[Path]:
    """An administrator of this account cannot schedule a key's deletion, disable it or its rotation, change its
    policy, or create a grant that is not for an AWS resource."""
    for stack, logical_id in app.resources("AWS::KMS::Key", region):
        admin = administrator(stack.account)
        decisions = key_requests(stack, logical_id, admin, (*RETIRING_ACTIONS, "kms:PutKeyPolicy"))
        decisions += key_requests(stack, logical_id, admin, ("kms:CreateGrant",))
        yield Path(source(stack, logical_id), f"administrator -> key {logical_id}", decisions)


def administrators_read_secrets(app: DeployedApp, region: str) -> Iterator[Path]:
    """An administrator of this account, whatever its own policies allow, cannot read the processor secret."""
    for stack, logical_id in app.resources("AWS::SecretsManager::Secret", region):
        arn = str(stack.ref(logical_id))
        request = ("secretsmanager:GetSecretValue", arn)
        decisions = privileged(administrator(stack.account), [request], stack.account, secret_policy(app, arn))
        yield Path(source(stack, logical_id), f"administrator -> {arn}", decisions)


def key_custodians(app: DeployedApp, region: str) -> Iterator[Path]:
    """The key administrator can still retire a key (once an incident grants it permissions), deploys can still
    change the key policy, and a service can still create a grant for the resource it encrypts."""
    key_administrator = custodian_role(app, "-key-administrator")
    for stack, logical_id in app.resources("AWS::KMS::Key", region):
        account = stack.account
        decisions = key_requests(stack, logical_id, key_administrator, (*RETIRING_ACTIONS, "kms:PutKeyPolicy"))
        # CloudFormation deletes a key when its stack's first create rolls back.
        decisions += key_requests(
            stack, logical_id, deployer(account, region), ("kms:PutKeyPolicy", "kms:ScheduleKeyDeletion")
        )
        grant = {"kms:GrantIsForAWSResource": "true"}
        decisions += key_requests(stack, logical_id, administrator(account), ("kms:CreateGrant",), grant)
        yield Path(source(stack, logical_id), f"custodians -> key {logical_id}", decisions)


def administrators_erase_audit_records(app: DeployedApp, region: str) -> Iterator[Path]:
    """An administrator of this account, whatever its own policies allow, cannot delete an audit record or version,
    nor change an audit bucket's policy, lifecycle, versioning or lock."""
    for stack, logical_id in app.resources("AWS::S3::Bucket", region):
        bucket, account = stack.name(logical_id), stack.account
        decisions = guarded_requests(app, administrator(account), bucket, account, erase=True)
        yield Path(source(stack, logical_id), f"administrator -> s3://{bucket}", decisions)


def break_glass(app: DeployedApp, region: str) -> Iterator[Path]:
    """The break-glass role can still act on every audit bucket once an incident grants it permissions, and
    CloudFormation's execution role can still deploy the buckets' configuration."""
    role_arn = break_glass_role(app)
    for stack, logical_id in app.resources("AWS::S3::Bucket", region):
        bucket, account = stack.name(logical_id), stack.account
        decisions = guarded_requests(app, role_arn, bucket, account, erase=True)
        decisions += guarded_requests(app, deployer(account, region), bucket, account, erase=False)
        yield Path(source(stack, logical_id), f"break glass and deploys -> s3://{bucket}", decisions)


def outsiders(app: DeployedApp, region: str) -> Iterator[Path]:
    """A principal of another account, whatever its own policies allow, gets nothing from this app."""
    for stack, logical_id in app.resources("AWS::S3::Bucket", region):
        bucket = stack.name(logical_id)
        policy = bucket_policy(app, bucket)
        decisions = tuple(
            Decision(OUTSIDER, action, f"arn:aws:s3:::{bucket}/any", stack.account, tls({}), (ALLOW_ALL,), policy)
            for action in ("s3:GetObject", "s3:PutObject", "s3:DeleteObject")
        )
        yield Path(source(stack, logical_id), f"outsider -> s3://{bucket}", decisions)
    for stack, logical_id in app.resources("AWS::SNS::Topic", region):
        topic = str(stack.ref(logical_id))
        decisions = tuple(
            Decision(OUTSIDER, action, topic, stack.account, tls({}), (ALLOW_ALL,), topic_policy(app, topic))
            for action in ("sns:Publish", "sns:Subscribe")
        )
        yield Path(source(stack, logical_id), f"outsider -> {topic}", decisions)
    for stack, logical_id in app.resources("AWS::KMS::Key", region):
        policy = stack.resolve(document(stack.properties(logical_id)["KeyPolicy"]))
        decisions = tuple(
            Decision(OUTSIDER, action, key_arn(stack, logical_id), stack.account, tls({}), (ALLOW_ALL,), policy)
            for action in ("kms:Decrypt", "kms:GenerateDataKey")
        )
        yield Path(source(stack, logical_id), f"outsider -> key {logical_id}", decisions)
    for stack, logical_id in app.resources("AWS::SecretsManager::Secret", region):
        arn = str(stack.ref(logical_id))
        decision = Decision(OUTSIDER, "secretsmanager:GetSecretValue", arn, stack.account, tls({}), (ALLOW_ALL,))
        yield Path(source(stack, logical_id), f"outsider -> {arn}", (decision,))
    for stack, logical_id in app.resources("AWS::Logs::LogGroup", region):
        group = stack.name(logical_id)
        arn = f"arn:aws:logs:{region}:{stack.account}:log-group:{group}:log-stream:any"
        decision = Decision(
            OUTSIDER, "logs:PutLogEvents", arn, stack.account, tls({}), (ALLOW_ALL,), logs_resource_policy(app, region)
        )
        yield Path(source(stack, logical_id), f"outsider -> {group}", (decision,))


FOREIGN_ACCOUNT = "999999999999"
# The request keys that say on whose behalf a service acts.
SOURCE_KEYS = ("aws:SourceAccount", "aws:SourceArn", "kms:EncryptionContext:aws:logs:arn")


def on_behalf_of_another_account(decision: Decision) -> Decision | None:
    """The same request by the same service, made for a resource of another account (the confused deputy)."""
    if decision.principal.startswith("arn:") or not any(key in decision.context for key in SOURCE_KEYS):
        return None
    account = decision.resource_account
    context = {
        key: value.replace(f":{account}:", f":{FOREIGN_ACCOUNT}:").replace(account, FOREIGN_ACCOUNT)
        if key in SOURCE_KEYS and isinstance(value, str)
        else value
        for key, value in decision.context.items()
    }
    return dataclasses.replace(decision, context=context)


def confused_deputies(app: DeployedApp, region: str) -> Iterator[Path]:
    """Every grant to an AWS service is scoped to this account's own sources: the same request, made for
    another account's alarm, budget, log group, bucket or task, is refused."""
    for row in ALLOWED_ROWS:
        for path in row.find(app, region):
            foreign = [d for d in map(on_behalf_of_another_account, path.decisions) if d is not None]
            if foreign:
                yield Path(path.source, f"{path.description}, for another account", tuple(foreign))


ALLOWED_ROWS: tuple[Row, ...] = (
    Row("CloudWatch alarms publish to their topics", True, alarm_notifications, ALARM_TYPES),
    Row("AWS Budgets publishes to its topic", True, budget_notifications, ("AWS::Budgets::Budget",)),
    Row(
        "EventBridge rules publish out-of-band changes to their topic",
        True,
        event_notifications,
        ("AWS::Events::Rule",),
    ),
    Row(
        "EventBridge rules put what they cannot deliver in a dead-letter queue",
        True,
        event_dead_letters,
        ("AWS::Events::Rule",),
    ),
    Row("VPC flow logs write the flow-log bucket", True, flow_logs, ("AWS::EC2::FlowLog",)),
    Row("CloudTrail writes the governance bucket and its log group", True, trail_delivery, ("AWS::CloudTrail::Trail",)),
    Row("AWS Config delivers to the governance bucket", True, config_delivery, ("AWS::Config::DeliveryChannel",)),
    Row("WAF writes its log group", True, waf_logs, ("AWS::WAFv2::LoggingConfiguration",)),
    Row(
        "Network Firewall writes its alert log group",
        True,
        firewall_logs,
        ("AWS::NetworkFirewall::LoggingConfiguration",),
    ),
    Row("CloudWatch Logs encrypts each log group with its key", True, log_group_encryption, ("AWS::Logs::LogGroup",)),
    Row(
        "CDK's generated functions write their declared log group",
        True,
        generated_function_logs,
        ("AWS::Lambda::Function",),
    ),
    Row("the ALB writes its access logs", True, alb_access_logs, ("AWS::ElasticLoadBalancingV2::LoadBalancer",)),
    Row("S3 server access logging writes the access-log bucket", True, server_access_logs),
    Row(
        "CloudWatch Logs streams log groups into Firehose", True, log_subscriptions, ("AWS::Logs::SubscriptionFilter",)
    ),
    Row("Firehose writes the archive bucket", True, firehose_delivery, ("AWS::KinesisFirehose::DeliveryStream",)),
    Row("S3 replicates audit buckets to the standby region", True, replication),
    Row("the execution role starts the task", True, task_start, ("AWS::ECS::TaskDefinition",)),
    Row("the task role allows what the service calls, nothing more", True, task_role),
    Row(
        "the tasks reach AWS through endpoints that let their calls through",
        True,
        through_endpoints,
        ("AWS::EC2::VPCEndpoint",),
    ),
    Row("FIS stops payment tasks", True, fis_experiments, ("AWS::FIS::ExperimentTemplate",)),
    Row("Route 53 fails over on each region's healthy targets", True, failover_health, ("AWS::Route53::HealthCheck",)),
    Row("the break-glass role and deploys can still act on audit buckets", True, break_glass, ("AWS::S3::Bucket",)),
    Row("the key administrator, deploys and AWS services can still act on keys", True, key_custodians),
)
MATRIX: tuple[Row, ...] = (
    *ALLOWED_ROWS,
    Row("services acting for another account are refused", False, confused_deputies),
    Row("plain HTTP is refused by every bucket and topic", False, plain_http),
    Row("the task role cannot read or delete audit records", False, task_role_reads_audit_logs),
    Row(
        "administrators cannot erase audit records or unprotect their buckets",
        False,
        administrators_erase_audit_records,
    ),
    Row(
        "administrators cannot retire keys, change their policy or grant them freely",
        False,
        administrators_retire_keys,
    ),
    Row("administrators cannot read the processor secret", False, administrators_read_secrets),
    Row("principals of other accounts get nothing", False, outsiders),
    Row("principals of other accounts cannot use the endpoints", False, outsiders_through_endpoints),
)
