"""Alarms that page on what matters and stay quiet otherwise.

Every alarm needs several bad datapoints in a window (M of N), and says on purpose what missing data
means. Dimensions come from the constructs' own metric helpers (full ALB and target group names), so
they always match the metrics AWS publishes.

Paging signals (the service is failing its users) feed one composite alarm, the only thing that pages;
they and the warnings (capacity and cost trends) notify the warning topic on their own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_sns as sns
from constructs import Construct

from components.service_metrics import FIVE_MINUTES, ServiceMetrics

LATENCY_OBJECTIVE_SECONDS = 0.2
ERROR_RATE_PERCENT = 1
REJECTION_RATE_PERCENT = 20
CPU_PERCENT = 85
MEMORY_PERCENT = 85
WAF_BLOCKED_PER_5_MINUTES = 1000
# Below this many requests in 5 minutes there is no business traffic to expect payments from.
BUSINESS_TRAFFIC_REQUESTS = 100
PINNED_AT_MAX_HOURS = 1

ABOVE = cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD
AT_LEAST = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD
BELOW = cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD
# No datapoint means nothing happened (no traffic, no errors).
QUIET = cloudwatch.TreatMissingData.NOT_BREACHING
# No datapoint means the thing watched is gone.
BREACHING = cloudwatch.TreatMissingData.BREACHING


@dataclass(frozen=True)
class AlarmSpec:
    """One alarm: `datapoints` bad ones out of the last `periods` fire it."""

    name: str
    metric: Callable[[ServiceMetrics], cloudwatch.IMetric]
    description: str
    threshold: float
    comparison: cloudwatch.ComparisonOperator
    datapoints: int
    periods: int
    missing: cloudwatch.TreatMissingData
    pages: bool


def alarm_table(*, min_tasks: int, max_tasks: int, idle: bool = False) -> tuple[AlarmSpec, ...]:
    """Every alarm of the service, paging signals first.

    `idle`: a pilot-light standby, which runs no task until failover. Its alarms must stay quiet then and page once
    it serves: no fixed minimum of running tasks (it has none), but tasks asked for and not running; no target
    is no signal (it has none) until then.
    """
    hour = PINNED_AT_MAX_HOURS * 12
    minimum = (
        ()
        if min_tasks == 0
        else (
            AlarmSpec(
                name="RunningTasksBelowMinimum",
                metric=ServiceMetrics.running_tasks,
                # Container Insights reports every minute while the service exists; silence means no tasks.
                description=f"Fewer than {min_tasks} running tasks for 3 of 3 minutes",
                threshold=min_tasks, comparison=BELOW, datapoints=3, periods=3, missing=BREACHING, pages=True,
            ),
        )
    )  # fmt: skip
    return (
        AlarmSpec(
            name="AlbErrorRate",
            metric=ServiceMetrics.alb_5xx_rate,
            description=f"ALB 5xx above {ERROR_RATE_PERCENT}% of requests in 3 of 5 minutes",
            threshold=ERROR_RATE_PERCENT, comparison=ABOVE, datapoints=3, periods=5, missing=QUIET, pages=True,
        ),
        AlarmSpec(
            name="TargetErrorRate",
            metric=ServiceMetrics.target_5xx_rate,
            description=f"Target 5xx above {ERROR_RATE_PERCENT}% of requests in 3 of 5 minutes",
            threshold=ERROR_RATE_PERCENT, comparison=ABOVE, datapoints=3, periods=5, missing=QUIET, pages=True,
        ),
        AlarmSpec(
            name="UnhealthyTargets",
            metric=ServiceMetrics.unhealthy_targets,
            # The ALB reports host counts every minute; a gap means the target group is gone.
            description="At least one unhealthy target for 3 of 3 minutes",
            threshold=1, comparison=AT_LEAST, datapoints=3, periods=3, missing=QUIET if idle else BREACHING,
            pages=True,
        ),
        AlarmSpec(
            name="LatencyP99",
            metric=ServiceMetrics.latency_p99,
            description=f"Target response time p99 above {LATENCY_OBJECTIVE_SECONDS * 1000:.0f} ms in 3 of 5 minutes",
            threshold=LATENCY_OBJECTIVE_SECONDS, comparison=ABOVE, datapoints=3, periods=5, missing=QUIET, pages=True,
        ),
        *minimum,
        AlarmSpec(
            name="TasksNotStarting",
            metric=ServiceMetrics.task_shortfall,
            # Longer than a task takes to start and pass its health check (about 2 minutes on Fargate).
            description="Fewer tasks running than desired for 5 of 5 minutes: tasks cannot start",
            threshold=1, comparison=AT_LEAST, datapoints=5, periods=5, missing=QUIET, pages=True,
        ),
        AlarmSpec(
            name="NoPayments",
            metric=lambda metrics: metrics.no_payments_during_traffic(BUSINESS_TRAFFIC_REQUESTS),
            description=f"No accepted payment for 15 minutes while the ALB served over {BUSINESS_TRAFFIC_REQUESTS} "
            "requests per 5 minutes",
            threshold=1, comparison=AT_LEAST, datapoints=3, periods=3, missing=QUIET, pages=True,
        ),
        AlarmSpec(
            name="CpuHigh",
            metric=ServiceMetrics.cpu,
            # No datapoints while no task runs; TasksNotStarting (and RunningTasksBelowMinimum) cover that.
            description=f"Service CPU above {CPU_PERCENT}% in 4 of 5 minutes",
            threshold=CPU_PERCENT, comparison=ABOVE, datapoints=4, periods=5, missing=QUIET, pages=False,
        ),
        AlarmSpec(
            name="MemoryHigh",
            metric=ServiceMetrics.memory,
            description=f"Service memory above {MEMORY_PERCENT}% in 4 of 5 minutes (OOM kills follow)",
            threshold=MEMORY_PERCENT, comparison=ABOVE, datapoints=4, periods=5, missing=QUIET, pages=False,
        ),
        AlarmSpec(
            name="PinnedAtMaxCapacity",
            metric=lambda metrics: metrics.running_tasks(FIVE_MINUTES),
            description=f"Service at max capacity ({max_tasks} tasks) for {PINNED_AT_MAX_HOURS} hour: runaway "
            "scaling or an inefficient release; review before raising max_tasks",
            threshold=max_tasks, comparison=AT_LEAST, datapoints=hour, periods=hour, missing=QUIET, pages=False,
        ),
        AlarmSpec(
            name="WafBlockedSpike",
            metric=ServiceMetrics.waf_blocked,
            description=f"WAF blocked over {WAF_BLOCKED_PER_5_MINUTES} requests per 5 minutes, twice in 15 minutes",
            threshold=WAF_BLOCKED_PER_5_MINUTES, comparison=ABOVE, datapoints=2, periods=3, missing=QUIET,
            pages=False,
        ),
        AlarmSpec(
            name="PaymentRejectionRate",
            metric=ServiceMetrics.rejection_rate,
            description=f"Over {REJECTION_RATE_PERCENT}% of payments rejected in 3 of 4 five-minute periods",
            threshold=REJECTION_RATE_PERCENT, comparison=ABOVE, datapoints=3, periods=4, missing=QUIET, pages=False,
        ),
    )  # fmt: skip


class ServiceAlarms(Construct):
    """All alarms of the payment service and the composite alarm that pages."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        metrics: ServiceMetrics,
        paging_topic: sns.ITopic,
        warning_topic: sns.ITopic,
        min_tasks: int,
        max_tasks: int,
        page_alarm_name: str,
        idle: bool = False,
    ) -> None:
        super().__init__(scope, id_)
        warning = actions.SnsAction(warning_topic)
        self.specs = {spec.name: spec for spec in alarm_table(min_tasks=min_tasks, max_tasks=max_tasks, idle=idle)}
        self.alarms: dict[str, cloudwatch.Alarm] = {}
        for spec in self.specs.values():
            alarm = cloudwatch.Alarm(
                self,
                spec.name,
                metric=spec.metric(metrics),
                alarm_description=spec.description,
                threshold=spec.threshold,
                evaluation_periods=spec.periods,
                datapoints_to_alarm=spec.datapoints,
                comparison_operator=spec.comparison,
                treat_missing_data=spec.missing,
            )
            alarm.add_alarm_action(warning)
            self.alarms[spec.name] = alarm

        self.paging_signals = [self.alarms[name] for name, spec in self.specs.items() if spec.pages]
        self.composite = cloudwatch.CompositeAlarm(
            self,
            "Page",
            # Named, so that operators and `make verify` find the one alarm that pages by the environment's prefix.
            composite_alarm_name=page_alarm_name,
            alarm_description="Payment service failing its users: "
            + ", ".join(alarm.node.id for alarm in self.paging_signals),
            alarm_rule=cloudwatch.AlarmRule.any_of(*self.paging_signals),
        )
        self.composite.add_alarm_action(actions.SnsAction(paging_topic))
        self.composite.add_ok_action(actions.SnsAction(paging_topic))
