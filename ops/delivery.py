"""Live proof of the delivery paths (`make verify`): records arrive where the authorization matrix says they may.

The matrix (tests/support/paths/matrix.py) proves at synth that every writer is allowed; these checks prove in the
account that the records are there: today's VPC flow-log and ALB access-log objects under the prefixes their
bucket policies admit, WAF log events in the last hour, and an alarm's notification reaching a subscriber of the
warning topic (a temporary queue, removed afterwards). `LIVE_CHECKS` maps every matrix row to its live check, or
to why it has none; a test fails on a row added without one.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from ops.checks import Check, failed, passed, warned

CANARY_WAIT_SECONDS = 120

# Matrix row -> the live check of `make verify` that proves it in the account, or why none can.
LIVE_CHECKS: dict[str, str] = {
    "CloudWatch alarms publish to their topics": "alarm reaches a subscriber",
    "AWS Budgets publishes to its topic": "not provable on demand: a budget notifies only when spend crosses a "
    "threshold; the topic policy and key are the same as the alarms', proven by `alarm reaches a subscriber`",
    "EventBridge rules publish out-of-band changes to their topic": "not provable without changing a resource "
    "out of band; `make drift` shows such changes",
    "EventBridge rules put what they cannot deliver in a dead-letter queue": "change warnings delivered",
    "VPC flow logs write the flow-log bucket": "flow-log objects",
    "CloudTrail writes the governance bucket and its log group": "make preflight: audit trail (the trail logs, and "
    "CloudTrail reports no LatestDeliveryError)",
    "AWS Config delivers to the governance bucket": "make preflight: AWS Config recorder (recording, and the "
    "delivery channel's last delivery succeeded)",
    "WAF writes its log group": "WAF log events",
    "Network Firewall writes its alert log group": "not provable without a dropped flow; the firewall's alert "
    "metric filter warns when one is logged",
    "CloudWatch Logs encrypts each log group with its key": "log groups",
    "CDK's generated functions write their declared log group": "not provable after deploy: the function ran once, "
    "at create",
    "the ALB writes its access logs": "ALB access-log objects",
    "S3 server access logging writes the access-log bucket": "not provable on demand: S3 delivers access logs on a "
    "best-effort schedule of hours",
    "CloudWatch Logs streams log groups into Firehose": "archive locked",
    "Firehose writes the archive bucket": "archive stream delivers",
    "S3 replicates audit buckets to the standby region": "canary replicated",
    "the execution role starts the task": "tasks running",
    "the task role allows what the service calls, nothing more": "test payment counted",
    "the tasks reach AWS through endpoints that let their calls through": "tasks running",
    "FIS stops payment tasks": "make drill",
    "Route 53 fails over on each region's healthy targets": "python -m ops failover (the standby health check)",
    "the break-glass role and deploys can still act on audit buckets": "not provable without erasing a record",
    "the key administrator, deploys and AWS services can still act on keys": "not provable without retiring a key",
    "services acting for another account are refused": "not provable from this account",
    "plain HTTP is refused by every bucket and topic": "HTTP redirects to HTTPS",
    "the task role cannot read or delete audit records": "not provable without the task role's credentials",
    "administrators cannot erase audit records or unprotect their buckets": "not provable without trying to erase",
    "administrators cannot retire keys, change their policy or grant them freely": "not provable without trying",
    "administrators cannot read the processor secret": "not provable without trying",
    "principals of other accounts get nothing": "not provable from this account",
    "principals of other accounts cannot use the endpoints": "not provable from this account",
}


# Flow logs and ALB access logs arrive every 5 to 10 minutes: a new deployment's first ones are waited for.
DELIVERY_WAIT_SECONDS = 600
DELIVERY_POLL_SECONDS = 30


def _newest_today(
    s3: Any,
    bucket: str,
    prefix_of: Callable[[date], str],
    today: date,
    sleep: Callable[[float], None],
    wait: float = DELIVERY_WAIT_SECONDS,
) -> str | None:
    """The key of the newest object under today's (else yesterday's) prefix, waiting up to `wait` for the first."""
    waited = 0.0
    while True:
        found = newest_of_days(s3, bucket, prefix_of, today)
        if found is not None or waited >= wait:
            return found
        sleep(DELIVERY_POLL_SECONDS)
        waited += DELIVERY_POLL_SECONDS


def newest_of_days(s3: Any, bucket: str, prefix_of: Callable[[date], str], today: date) -> str | None:
    """The key of the most recently written object under today's prefix, else yesterday's; None when both are empty."""
    for day in (today, today - timedelta(days=1)):
        key = newest_key(s3, bucket, prefix_of(day))
        if key is not None:
            return key
    return None


def newest_key(s3: Any, bucket: str, prefix: str) -> str | None:
    """The key of the most recently written object under `prefix`, None when there is none."""
    newest: dict[str, Any] | None = None
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            if newest is None or item["LastModified"] > newest["LastModified"]:
                newest = item
    return None if newest is None else str(newest["Key"])


def _log_objects(
    name: str,
    s3: Any,
    bucket: str,
    prefix_of: Callable[[date], str],
    today: date | None,
    sleep: Callable[[float], None],
) -> Check:
    today = today or datetime.now(UTC).date()
    key = _newest_today(s3, bucket, prefix_of, today, sleep)
    if key is None:
        return failed(name, f"nothing under {prefix_of(today)} in {bucket}")
    return passed(name, key)


def flow_log_objects(
    s3: Any,
    bucket: str,
    account: str,
    region: str,
    today: date | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Check:
    """VPC flow logs delivered today, in the Hive layout the bucket policy admits (components/vpc.py)."""

    def prefix(day: date) -> str:
        return (f"vpc-flow-logs/AWSLogs/aws-account-id={account}/aws-service=vpcflowlogs/aws-region={region}/"
                f"year={day:%Y}/month={day:%m}/day={day:%d}/")  # fmt: skip

    return _log_objects("flow-log objects", s3, bucket, prefix, today, sleep)


def alb_log_objects(
    s3: Any,
    bucket: str,
    account: str,
    region: str,
    today: date | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Check:
    """ALB access logs delivered today (every 5 minutes while the ALB serves), under the prefix it writes."""

    def prefix(day: date) -> str:
        return f"alb/AWSLogs/{account}/elasticloadbalancing/{region}/{day:%Y/%m/%d}/"

    return _log_objects("ALB access-log objects", s3, bucket, prefix, today, sleep)


def waf_log_events(logs: Any, group: str, now: datetime | None = None) -> Check:
    """WAF wrote a request record in the last hour (`make verify` sends requests itself)."""
    now = now or datetime.now(UTC)
    start = int((now - timedelta(hours=1)).timestamp() * 1000)
    events = logs.filter_log_events(logGroupName=group, startTime=start, limit=1).get("events", [])
    if not events:
        return warned("WAF log events", f"none in {group} in the last hour: no request, or WAF does not deliver")
    return passed(
        "WAF log events", f"{group}: a record of {datetime.fromtimestamp(events[0]['timestamp'] / 1000, UTC):%H:%M} UTC"
    )


def alarm_reaches_subscriber(
    cloudwatch: Any,
    sns: Any,
    sqs: Any,
    alarm: str,
    topic: str,
    *,
    notifies: str | None = None,
    name: str = "alarm reaches a subscriber",
    wait: float = CANARY_WAIT_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
) -> Check:
    """Set `alarm` to ALARM and receive the notification of `notifies` (the alarm itself, or the composite it
    feeds) on a temporary queue subscribed to `topic`; then put the alarm back and remove the queue and
    subscription, whatever happened."""
    notifies = notifies or alarm
    queue = sqs.create_queue(QueueName=f"verify-{uuid.uuid4().hex[:12]}")["QueueUrl"]
    subscription = None
    try:
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        policy = {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}, "Action": "sqs:SendMessage",
            "Resource": queue_arn, "Condition": {"ArnEquals": {"aws:SourceArn": topic}}}]}  # fmt: skip
        sqs.set_queue_attributes(QueueUrl=queue, Attributes={"Policy": json.dumps(policy)})
        subscription = sns.subscribe(
            TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"},
            ReturnSubscriptionArn=True,
        )["SubscriptionArn"]  # fmt: skip
        cloudwatch.set_alarm_state(AlarmName=alarm, StateValue="ALARM", StateReason="make verify: delivery path")
        waited = 0.0
        while waited <= wait:
            for message in sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=0).get("Messages", []):
                if notifies in message["Body"]:
                    path = f"{alarm} -> {notifies} -> " if notifies != alarm else f"{alarm} -> "
                    return passed(name, f"{path}{topic.rsplit(':', 1)[-1]} -> a queue in {waited:.0f} s")
            sleep(5)
            waited += 5
        return failed(name, f"no notification of {notifies} from {topic} within {wait:.0f} s")
    finally:
        cloudwatch.set_alarm_state(AlarmName=alarm, StateValue="OK", StateReason="make verify: done")
        if subscription:
            sns.unsubscribe(SubscriptionArn=subscription)
        sqs.delete_queue(QueueUrl=queue)


def archive_stream_delivers(cloudwatch: Any, stream: str, now: datetime | None = None) -> Check:
    """The log archive stream delivered to S3 in the last hour: Firehose's `DeliveryToS3.Success` (1 when every
    delivery attempt of a period succeeded). Below 1: deliveries fail (a bucket or key policy that refuses
    Firehose, an Object Lock write without a checksum); no datapoint: nothing was sent to the stream."""
    now = now or datetime.now(UTC)
    datapoints = cloudwatch.get_metric_statistics(
        Namespace="AWS/Firehose", MetricName="DeliveryToS3.Success",
        Dimensions=[{"Name": "DeliveryStreamName", "Value": stream}],
        StartTime=now - timedelta(hours=1), EndTime=now, Period=300, Statistics=["Minimum"],
    )["Datapoints"]  # fmt: skip
    name = "archive stream delivers"
    if not datapoints:
        return warned(name, f"{stream} sent nothing to S3 in the last hour")
    worst = min(d["Minimum"] for d in datapoints)
    if worst < 1:
        return failed(name, f"{stream}: failed deliveries to S3 in the last hour (DeliveryToS3.Success {worst:g})")
    return passed(name, f"{stream}: every delivery to S3 in the last hour succeeded")


def change_warnings_delivered(
    sqs: Any, cloudwatch: Any, queue_url: str, rules: list[str], now: datetime | None = None
) -> Check:
    """Every out-of-band change warning of the last day reached the warning topic: no guard rule's invocation failed
    (`FailedInvocations`, which also counts one that could not reach the dead-letter queue:
    `InvocationsFailedToBeSentToDLQ`), and the change guard's dead-letter queue is empty (components/change_guard.py).
    No failure cannot be caused on demand without breaking the topic; this reads what EventBridge reports."""
    name = "change warnings delivered"
    now = now or datetime.now(UTC)
    totals = dict.fromkeys(("FailedInvocations", "InvocationsFailedToBeSentToDLQ"), 0.0)
    for metric in totals:
        for rule in rules:
            datapoints = cloudwatch.get_metric_statistics(
                Namespace="AWS/Events", MetricName=metric, Dimensions=[{"Name": "RuleName", "Value": rule}],
                StartTime=now - timedelta(days=1), EndTime=now, Period=3600, Statistics=["Sum"],
            )["Datapoints"]  # fmt: skip
            totals[metric] += sum(d["Sum"] for d in datapoints)
    attributes = sqs.get_queue_attributes(
        QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    waiting = sum(int(value) for value in attributes.values())
    queue = queue_url.rsplit("/", 1)[-1]
    if totals["InvocationsFailedToBeSentToDLQ"]:
        return failed(
            name,
            f"{totals['InvocationsFailedToBeSentToDLQ']:g} out-of-band change warning(s) in the last 24 h reached "
            f"neither the warning topic nor {queue}: they are lost; check both policies and the keys",
        )
    if waiting or totals["FailedInvocations"]:
        return failed(
            name,
            f"{waiting} out-of-band change warning(s) could not reach the warning topic and wait in {queue} "
            f"({totals['FailedInvocations']:g} failed in the last 24 h): read them (`aws sqs receive-message`), "
            "repair the topic, its policy or its key, then delete them",
        )
    return passed(name, f"{len(rules)} rules, no failed invocation in 24 h, nothing waiting in {queue}")


# S3 Replication Time Control replicates 99.99 % of objects within 15 minutes: a canary still pending after that
# has missed the time control the templates configure.
REPLICATION_WAIT_SECONDS = 900
REPLICATION_POLL_SECONDS = 15


def canary_key(now: datetime) -> str:
    """Where verify writes a replication canary: outside every prefix a log writer uses, dated, unique."""
    return f"verify/replication-canary/{now:%Y/%m/%d}/{now:%H%M%S}-{uuid.uuid4().hex[:8]}.txt"


def canary_replicated(
    s3: Any,
    standby_s3: Any,
    buckets: dict[str, str],
    replica_of: Callable[[str], str],
    *,
    now: datetime | None = None,
    wait: float = REPLICATION_WAIT_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
) -> Check:
    """Write a canary object into each audit bucket that replicates (`buckets`: kind -> source bucket) and follow it
    to the standby region: S3 reports COMPLETED on the source (FAILED: the replication role, a bucket policy or a key
    refused it) and the replica bucket (`replica_of(kind)`) holds it as a REPLICA. The canaries stay: audit buckets
    let nobody but the break-glass role delete, and their lifecycle expires them with the records."""
    name = "canary replicated"
    now = now or datetime.now(UTC)
    key = canary_key(now)
    body = f"replication canary written by make verify at {now:%Y-%m-%dT%H:%M:%SZ}\n".encode()
    for bucket in buckets.values():
        # A checksum: the log archive is under Object Lock, which refuses a write without one.
        s3.put_object(Bucket=bucket, Key=key, Body=body, ChecksumAlgorithm="SHA256")
    pending = dict(buckets)
    done: list[str] = []
    waited = 0.0
    while True:
        for kind, bucket in list(pending.items()):
            status = s3.head_object(Bucket=bucket, Key=key).get("ReplicationStatus", "none")
            if status == "COMPLETED":
                replica = replica_of(kind)
                try:
                    copied = standby_s3.head_object(Bucket=replica, Key=key).get("ReplicationStatus")
                except ClientError as error:
                    copied = error.response.get("Error", {}).get("Code", "missing")
                if copied != "REPLICA":
                    return failed(name, f"{bucket}/{key} reported COMPLETED, but {replica} answers {copied}")
                done.append(f"{kind} in {waited:.0f} s")
                del pending[kind]
            elif status == "none":  # S3 sets PENDING as it stores an object a replication rule applies to
                return failed(name, f"{bucket}/{key} has no replication status: no replication rule applies to it")
            elif status != "PENDING":
                return failed(name, f"{bucket}/{key} replication status {status}")
        if not pending:
            return passed(name, f"{key} replicated to the standby: " + ", ".join(done))
        if waited >= wait:
            return failed(
                name, f"{', '.join(f'{b}/{key}' for b in pending.values())} still PENDING after {wait:.0f} s "
                "(S3 Replication Time Control's 15 minutes)",
            )  # fmt: skip
        sleep(REPLICATION_POLL_SECONDS)
        waited += REPLICATION_POLL_SECONDS
