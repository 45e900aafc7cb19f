"""Alarms that page on what matters and stay quiet otherwise.

Every alarm needs several bad datapoints in a window (M of N), and says on purpose what missing data
means. Dimensions come from the constructs' own metric helpers (full ALB and target group names), so
they always match the metrics AWS publishes.

Paging signals (the service is failing its users) feed one composite alarm, the only thing that pages;
they and the warnings (capacity and cost trends) notify the warning topic on their own.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_sns as sns
from constructs import Construct

from components.service_metrics import ServiceMetrics

ONE_MINUTE = Duration.minutes(1)
FIVE_MINUTES = Duration.minutes(5)
LATENCY_OBJECTIVE_SECONDS = 0.2
ERROR_RATE_PERCENT = 1
REJECTION_RATE_PERCENT = 20
CPU_PERCENT = 85
MEMORY_PERCENT = 85
WAF_BLOCKED_PER_5_MINUTES = 1000
# Below this many requests in 5 minutes there is no business traffic to expect payments from.
BUSINESS_TRAFFIC_REQUESTS = 100
PINNED_AT_MAX_HOURS = 1


@dataclass(frozen=True)
class AlarmSpec:
    description: str
    threshold: float
    evaluation_periods: int
    datapoints_to_alarm: int
    comparison: cloudwatch.ComparisonOperator
    missing: cloudwatch.TreatMissingData
    pages: bool


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
    ) -> None:
        super().__init__(scope, id_)
        above = cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD
        at_least = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD
        below = cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD
        quiet = cloudwatch.TreatMissingData.NOT_BREACHING
        breaching = cloudwatch.TreatMissingData.BREACHING
        self._warning = actions.SnsAction(warning_topic)
        self.alarms: dict[str, cloudwatch.Alarm] = {}
        self.specs: dict[str, AlarmSpec] = {}

        self._add(
            "AlbErrorRate",
            metrics.alb_5xx_rate(),
            # No traffic means no errors.
            AlarmSpec(
                f"ALB 5xx above {ERROR_RATE_PERCENT}% of requests in 3 of 5 minutes",
                ERROR_RATE_PERCENT,
                5,
                3,
                above,
                quiet,
                pages=True,
            ),
        )
        self._add(
            "TargetErrorRate",
            metrics.target_5xx_rate(),
            AlarmSpec(
                f"Target 5xx above {ERROR_RATE_PERCENT}% of requests in 3 of 5 minutes",
                ERROR_RATE_PERCENT,
                5,
                3,
                above,
                quiet,
                pages=True,
            ),
        )
        self._add(
            "UnhealthyTargets",
            metrics.unhealthy_targets(),
            # The ALB reports host counts every minute; a gap means the target group is gone.
            AlarmSpec("At least one unhealthy target for 3 of 3 minutes", 1, 3, 3, at_least, breaching, pages=True),
        )
        self._add(
            "LatencyP99",
            metrics.latency_p99(),
            AlarmSpec(
                f"Target response time p99 above {LATENCY_OBJECTIVE_SECONDS * 1000:.0f} ms in 3 of 5 minutes",
                LATENCY_OBJECTIVE_SECONDS,
                5,
                3,
                above,
                quiet,
                pages=True,
            ),
        )
        self._add(
            "RunningTasksBelowMinimum",
            metrics.running_tasks(),
            # Container Insights reports every minute while the service exists; silence means no tasks.
            AlarmSpec(
                f"Fewer than {min_tasks} running tasks for 3 of 3 minutes",
                min_tasks,
                3,
                3,
                below,
                breaching,
                pages=True,
            ),
        )
        self._add(
            "NoPayments",
            metrics.no_payments_during_traffic(BUSINESS_TRAFFIC_REQUESTS),
            AlarmSpec(
                f"No accepted payment for 15 minutes while the ALB served over {BUSINESS_TRAFFIC_REQUESTS} "
                "requests per 5 minutes",
                1,
                3,
                3,
                at_least,
                quiet,
                pages=True,
            ),
        )
        self._add(
            "CpuHigh",
            metrics.cpu(),
            # No datapoints while no task runs; RunningTasksBelowMinimum covers that.
            AlarmSpec(
                f"Service CPU above {CPU_PERCENT}% in 4 of 5 minutes", CPU_PERCENT, 5, 4, above, quiet, pages=False
            ),
        )
        self._add(
            "MemoryHigh",
            metrics.memory(),
            AlarmSpec(
                f"Service memory above {MEMORY_PERCENT}% in 4 of 5 minutes (OOM kills follow)",
                MEMORY_PERCENT,
                5,
                4,
                above,
                quiet,
                pages=False,
            ),
        )
        periods = PINNED_AT_MAX_HOURS * 12
        self._add(
            "PinnedAtMaxCapacity",
            metrics.running_tasks(FIVE_MINUTES),
            AlarmSpec(
                f"Service at max capacity ({max_tasks} tasks) for {PINNED_AT_MAX_HOURS} hour: runaway scaling "
                "or an inefficient release; review before raising max_tasks",
                max_tasks,
                periods,
                periods,
                at_least,
                quiet,
                pages=False,
            ),
        )
        self._add(
            "WafBlockedSpike",
            metrics.waf_blocked(),
            AlarmSpec(
                f"WAF blocked over {WAF_BLOCKED_PER_5_MINUTES} requests per 5 minutes, twice in 15 minutes",
                WAF_BLOCKED_PER_5_MINUTES,
                3,
                2,
                above,
                quiet,
                pages=False,
            ),
        )
        self._add(
            "PaymentRejectionRate",
            metrics.rejection_rate(),
            AlarmSpec(
                f"Over {REJECTION_RATE_PERCENT}% of payments rejected in 3 of 4 five-minute periods",
                REJECTION_RATE_PERCENT,
                4,
                3,
                above,
                quiet,
                pages=False,
            ),
        )

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

    def _add(self, name: str, metric: cloudwatch.IMetric, spec: AlarmSpec) -> None:
        alarm = cloudwatch.Alarm(
            self,
            name,
            metric=metric,
            alarm_description=spec.description,
            threshold=spec.threshold,
            evaluation_periods=spec.evaluation_periods,
            datapoints_to_alarm=spec.datapoints_to_alarm,
            comparison_operator=spec.comparison,
            treat_missing_data=spec.missing,
        )
        alarm.add_alarm_action(self._warning)
        self.alarms[name] = alarm
        self.specs[name] = spec
