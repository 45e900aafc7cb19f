"""components/dashboard.py: one dashboard with every view an on-call engineer starts from."""

from __future__ import annotations

import json

from aws_cdk import aws_cloudwatch as cloudwatch

from components.dashboard import ServiceDashboard
from components.service_metrics import ServiceMetrics
from settings.naming import WAF_RULES
from tests.support.bare import bare_stack, one, template
from tests.support.builders import NAMES, load_balanced_service


def test_dashboard_shows_every_view_with_the_latency_objective() -> None:
    stack = bare_stack()
    service = load_balanced_service(stack)
    metrics = ServiceMetrics(
        stack, "Metrics", load_balancer=service.load_balancer, payments=service.payments, names=NAMES
    )
    alarm = cloudwatch.Alarm(stack, "Alarm", metric=metrics.cpu(), threshold=1, evaluation_periods=1)
    ServiceDashboard(stack, "Dashboard", metrics=metrics, alarms=[alarm])
    body = json.dumps(one(template(stack), "AWS::CloudWatch::Dashboard")["DashboardBody"])
    for title in (
        "CPU and memory",
        "Latency (s): p50 and p99 against the objective",
        "Requests, 4xx and 5xx",
        "Tasks: desired and running",
        "Targets: healthy and unhealthy",
        "WAF: allowed and blocked",
        "Payments: accepted and rejected",
    ):
        assert title in body
    assert "200 ms objective" in body
    for rule in WAF_RULES:
        assert NAMES.waf_metric(rule) in body
