"""One dashboard for the service: health, latency against the objective, capacity, WAF and business KPIs."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import Construct

from components.service_alarms import LATENCY_OBJECTIVE_SECONDS
from components.service_metrics import ServiceMetrics

WIDTH = 12
HEIGHT = 6


def _graph(
    title: str,
    left: Sequence[cloudwatch.IMetric],
    *,
    right: Sequence[cloudwatch.IMetric] | None = None,
    left_annotations: Sequence[cloudwatch.HorizontalAnnotation] | None = None,
) -> cloudwatch.GraphWidget:
    return cloudwatch.GraphWidget(
        title=title,
        left=list(left),
        right=list(right or []),
        left_annotations=list(left_annotations or []),
        width=WIDTH,
        height=HEIGHT,
    )


class ServiceDashboard(Construct):
    """CloudWatch dashboard; every metric comes from `ServiceMetrics`, so names and region come from the stacks."""

    def __init__(self, scope: Construct, id_: str, *, metrics: ServiceMetrics, alarms: list[cloudwatch.IAlarm]) -> None:
        super().__init__(scope, id_)
        self.dashboard = cloudwatch.Dashboard(self, "Dashboard", default_interval=None)
        objective = cloudwatch.HorizontalAnnotation(value=LATENCY_OBJECTIVE_SECONDS, label="200 ms objective")
        self.dashboard.add_widgets(
            cloudwatch.AlarmStatusWidget(title="Alarms", alarms=alarms, width=24, height=3),
        )
        self.dashboard.add_widgets(
            _graph(
                "Latency (s): p50 and p99 against the objective",
                [metrics.latency("p50"), metrics.latency("p99")],
                left_annotations=[objective],
            ),
            _graph(
                "Requests, 4xx and 5xx",
                [metrics.requests()],
                right=[metrics.alb_4xx(), metrics.alb_5xx(), metrics.target_4xx(), metrics.target_5xx()],
            ),
        )
        self.dashboard.add_widgets(
            _graph("CPU and memory (%)", [metrics.cpu(), metrics.memory()]),
            _graph("Tasks: desired and running", [metrics.desired_tasks(), metrics.running_tasks()]),
        )
        self.dashboard.add_widgets(
            _graph("Targets: healthy and unhealthy", [metrics.healthy_targets(), metrics.unhealthy_targets()]),
            _graph(
                "WAF: allowed and blocked",
                [metrics.waf("AllowedRequests"), metrics.waf_blocked()],
                right=metrics.waf_blocked_by_rule(),
            ),
        )
        self.dashboard.add_widgets(
            _graph(
                "Payments: accepted and rejected",
                [metrics.business("PaymentsAccepted"), metrics.business("PaymentsRejected")],
                right=[metrics.rejection_rate()],
            ),
            _graph(
                "Payments: amount and latency",
                [metrics.business("PaymentAmount")],
                right=[metrics.business("PaymentLatency", "p99")],
            ),
        )
