"""components/service_metrics.py: every metric it makes names a resource that publishes it.

An ALB or target group dimension must be the full name (`app/<name>/<id>`); the seed's bare ids named no
metric at all. Business metrics carry exactly the namespace and dimensions the container is told to emit.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk import Stack
from aws_cdk import aws_cloudwatch as cloudwatch

from components.container_contract import BUSINESS_METRICS
from components.service_metrics import ServiceMetrics
from settings.naming import WAF_RULES
from tests.support.bare import REGION, bare_stack
from tests.support.builders import NAMES, load_balanced_service


@pytest.fixture(scope="module")
def built() -> tuple[Stack, ServiceMetrics]:
    stack = bare_stack()
    service = load_balanced_service(stack)
    return stack, ServiceMetrics(
        stack, "Metrics", load_balancer=service.load_balancer, payments=service.payments, names=NAMES
    )


def every_metric(metrics: ServiceMetrics) -> dict[str, Any]:
    """Each metric the factory makes, including those inside its math expressions."""
    made: dict[str, Any] = {
        "requests": metrics.requests(),
        "alb_5xx_rate": metrics.alb_5xx_rate(),
        "alb_4xx": metrics.alb_4xx(),
        "target_5xx_rate": metrics.target_5xx_rate(),
        "target_4xx": metrics.target_4xx(),
        "latency_p99": metrics.latency_p99(),
        "unhealthy_targets": metrics.unhealthy_targets(),
        "healthy_targets": metrics.healthy_targets(),
        "cpu": metrics.cpu(),
        "memory": metrics.memory(),
        "running_tasks": metrics.running_tasks(),
        "desired_tasks": metrics.desired_tasks(),
        "waf_blocked": metrics.waf_blocked(),
        "rejection_rate": metrics.rejection_rate(),
        "no_payments_during_traffic": metrics.no_payments_during_traffic(100),
        **{f"business_{name}": metrics.business(name) for name in BUSINESS_METRICS},
        **{f"waf_blocked_by_rule_{i}": m for i, m in enumerate(metrics.waf_blocked_by_rule())},
    }
    found: dict[str, Any] = {}
    for name, metric in made.items():
        if isinstance(metric, cloudwatch.MathExpression):
            found |= {f"{name}.{key}": inner for key, inner in metric.using_metrics.items()}
        else:
            found[name] = metric
    return found


def test_every_metric_names_the_resource_that_publishes_it(built: tuple[Stack, ServiceMetrics]) -> None:
    stack, metrics = built
    resolve = stack.resolve
    alb = resolve(metrics.load_balancer.load_balancer_full_name)
    listeners = [resolve(listener.listener_arn) for listener in metrics.load_balancer.listeners]
    for name, metric in every_metric(metrics).items():
        dimensions = {key: resolve(value) for key, value in (metric.dimensions or {}).items()}
        if metric.namespace == "AWS/ApplicationELB":
            balancer = dimensions.pop("LoadBalancer")
            # Target group helpers cut `app/<name>/<id>` out of a listener ARN of the same ALB.
            assert balancer == alb or any(json.dumps(arn) in json.dumps(balancer) for arn in listeners), name
            if "TargetGroup" in dimensions:
                assert dimensions.pop("TargetGroup") == resolve(metrics.target_group.target_group_full_name), name
        elif metric.namespace in ("AWS/ECS", "ECS/ContainerInsights"):
            assert dimensions.pop("ClusterName") == resolve(metrics.cluster.cluster_name), name
            assert dimensions.pop("ServiceName") == resolve(metrics.service.service_name), name
        elif metric.namespace == "AWS/WAFV2":
            assert (dimensions.pop("WebACL"), dimensions.pop("Region")) == (NAMES.web_acl, REGION), name
            assert dimensions.pop("Rule") in ("ALL", *(NAMES.waf_metric(rule) for rule in WAF_RULES)), name
        else:
            assert metric.namespace == NAMES.metrics_namespace, name
            assert metric.metric_name in BUSINESS_METRICS, name
            assert dimensions.pop("Service") == NAMES.service
            assert dimensions.pop("Environment") == NAMES.environment
        assert dimensions == {}, (name, dimensions)


def test_blocked_requests_are_watched_for_every_rule_of_the_web_acl(built: tuple[Stack, ServiceMetrics]) -> None:
    _, metrics = built
    rules = [metric.dimensions["Rule"] for metric in metrics.waf_blocked_by_rule()]  # type: ignore[index]
    assert rules == [NAMES.waf_metric(rule) for rule in WAF_RULES]
