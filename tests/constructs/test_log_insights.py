"""components/log_insights.py: saved queries for the common investigations, and server errors counted."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import aws_logs as logs

from components.log_insights import LogInsights
from tests.support.bare import bare_stack, one, properties, template
from tests.support.builders import NAMES


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    stack = bare_stack()
    LogInsights(
        stack,
        "LogInsights",
        prefix=NAMES.prefix,
        app_log_group=logs.LogGroup(stack, "AppLogGroup"),
        waf_log_group=logs.LogGroup(stack, "WafLogGroup"),
        metrics_namespace=NAMES.metrics_namespace,
    )
    return template(stack)


def test_saved_queries_cover_the_common_investigations(document: dict[str, Any]) -> None:
    queries = {
        q["Name"].removeprefix(f"{NAMES.prefix}/"): q for q in properties(document, "AWS::Logs::QueryDefinition")
    }
    assert set(queries) == {"ErrorsByRequestId", "SlowestRequests", "RejectedPaymentsByReason", "WafBlocksByRule"}
    assert "sort duration_ms desc" in queries["SlowestRequests"]["QueryString"]
    assert "by RejectionReason" in queries["RejectedPaymentsByReason"]["QueryString"]
    assert "terminatingRuleId" in queries["WafBlocksByRule"]["QueryString"]
    assert queries["WafBlocksByRule"]["LogGroupNames"][0]["Ref"].startswith("WafLogGroup")


def test_server_errors_are_counted_from_the_json_request_log(document: dict[str, Any]) -> None:
    metric_filter = one(document, "AWS::Logs::MetricFilter")
    assert metric_filter["FilterPattern"] == '{ ($.message = "request") && ($.status >= 500) }'
    (transformation,) = metric_filter["MetricTransformations"]
    assert (transformation["MetricNamespace"], transformation["MetricName"]) == (
        NAMES.metrics_namespace,
        "ServerErrors",
    )
