"""Alarms on the audit trail itself (PCI DSS 10.7.2): a failure of a critical security control is detected and
reported, not found at the next audit.

Each alarm notifies the warning topic: the archive stream failing to deliver to S3 or falling behind; an audit
bucket's replication to the standby region failing or lagging past its 15-minute time control; the app's logs
arriving far outside their usual volume; and, in a region that serves, Route 53 taking the region out of the
service name (its failover health check follows the `NoHealthyTarget` alarm; a pilot-light standby is out on
purpose, so it gets none). The service's own log lines cannot be dropped unseen: the task's log driver blocks
instead of dropping (`components/fargate_service.py`), so there is no dropped-log count to alarm on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_sns as sns
from constructs import Construct

from components.audit_bucket import REPLICATION_RULE_ID

FIVE_MINUTES = Duration.minutes(5)
# Firehose buffers up to 300 s before it writes; three times that is falling behind.
ARCHIVE_FRESHNESS_SECONDS = 900
# S3 Replication Time Control replicates 99.99 % of objects within 15 minutes.
REPLICATION_LATENCY_SECONDS = 900
LOG_VOLUME_BAND_STD_DEVS = 4
ABOVE = cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD
BELOW = cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD


@dataclass(frozen=True)
class ReplicatedBucket:
    source: str
    replica: str


@dataclass(frozen=True)
class AuditTrail:
    """What carries the audit trail in one region: the archive stream, the buckets that replicate, the log group
    whose volume is watched, and the alarm Route 53's failover health check follows (where the region serves)."""

    archive_stream: str
    replicated: Sequence[ReplicatedBucket]
    app_log_group: str
    region_health: cloudwatch.IAlarm | None


@dataclass(frozen=True)
class AuditAlarmSpec:
    """One metric alarm: `datapoints` bad five-minute periods of the last `periods`. No datapoint means nothing
    was delivered or replicated in the period, so nothing failed."""

    name: str
    namespace: str
    metric: str
    statistic: str
    description: str
    threshold: float
    comparison: cloudwatch.ComparisonOperator
    datapoints: int
    periods: int


ARCHIVE_ALARMS = (
    AuditAlarmSpec("ArchiveDeliveryFailing", "AWS/Firehose", "DeliveryToS3.Success", "Minimum",
                   "The log archive stream failed to write to S3 in 2 of 3 five-minute periods", 1, BELOW, 2, 3),
    AuditAlarmSpec("ArchiveFallingBehind", "AWS/Firehose", "DeliveryToS3.DataFreshness", "Maximum",
                   f"The log archive stream's oldest record over {ARCHIVE_FRESHNESS_SECONDS} s old in 2 of 3 "
                   "five-minute periods", ARCHIVE_FRESHNESS_SECONDS, ABOVE, 2, 3),
)  # fmt: skip
REPLICATION_ALARMS = (
    AuditAlarmSpec("ReplicationFailing", "AWS/S3", "OperationsFailedReplication", "Sum",
                   "An audit bucket's object failed to replicate to the standby region", 0, ABOVE, 1, 1),
    AuditAlarmSpec("ReplicationLagging", "AWS/S3", "ReplicationLatency", "Maximum",
                   f"An audit bucket's replication over {REPLICATION_LATENCY_SECONDS} s behind (its time control) "
                   "in 2 of 3 five-minute periods", REPLICATION_LATENCY_SECONDS, ABOVE, 2, 3),
)  # fmt: skip
LOG_VOLUME_DESCRIPTION = (
    f"The app's log volume above its anomaly band ({LOG_VOLUME_BAND_STD_DEVS} standard deviations) in 3 of 3 "
    "five-minute periods: a flood, or a component logging what it should not"
)
REGION_OUT_DESCRIPTION = (
    "Route 53's failover health check of this region is failing: the service name no longer answers with it"
)


class AuditTrailAlarms(Construct):
    def __init__(self, scope: Construct, id_: str, *, trail: AuditTrail, warning_topic: sns.ITopic) -> None:
        super().__init__(scope, id_)
        self._warning = actions.SnsAction(warning_topic)
        self.alarms: dict[str, cloudwatch.AlarmBase] = {}
        for spec in ARCHIVE_ALARMS:
            self._metric_alarm(spec.name, spec, {"DeliveryStreamName": trail.archive_stream})
        for index, pair in enumerate(trail.replicated):
            dimensions = {"SourceBucket": pair.source, "DestinationBucket": pair.replica, "RuleId": REPLICATION_RULE_ID}
            for spec in REPLICATION_ALARMS:
                self._metric_alarm(f"{spec.name}{index}", spec, dimensions)
        volume = cloudwatch.Metric(
            namespace="AWS/Logs",
            metric_name="IncomingBytes",
            dimensions_map={"LogGroupName": trail.app_log_group},
            statistic="Sum",
            period=FIVE_MINUTES,
        )
        self._notify(
            cloudwatch.AnomalyDetectionAlarm(
                self,
                "LogVolumeSpike",
                metric=volume,
                std_devs=LOG_VOLUME_BAND_STD_DEVS,
                alarm_description=LOG_VOLUME_DESCRIPTION,
                evaluation_periods=3,
                datapoints_to_alarm=3,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_UPPER_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
        )
        if trail.region_health is not None:
            self._notify(
                cloudwatch.CompositeAlarm(
                    self,
                    "RegionOutOfDns",
                    alarm_description=REGION_OUT_DESCRIPTION,
                    alarm_rule=cloudwatch.AlarmRule.from_alarm(trail.region_health, cloudwatch.AlarmState.ALARM),
                )
            )

    def _metric_alarm(self, name: str, spec: AuditAlarmSpec, dimensions: dict[str, str]) -> None:
        metric = cloudwatch.Metric(
            namespace=spec.namespace,
            metric_name=spec.metric,
            dimensions_map=dimensions,
            statistic=spec.statistic,
            period=FIVE_MINUTES,
        )
        alarm = cloudwatch.Alarm(
            self,
            name,
            metric=metric,
            alarm_description=spec.description,
            threshold=spec.threshold,
            comparison_operator=spec.comparison,
            evaluation_periods=spec.periods,
            datapoints_to_alarm=spec.datapoints,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        self._notify(alarm)

    def _notify(self, alarm: cloudwatch.AlarmBase) -> None:
        alarm.add_alarm_action(self._warning)
        self.alarms[alarm.node.id] = alarm
