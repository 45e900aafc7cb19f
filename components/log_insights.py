"""Saved CloudWatch Logs Insights queries for common investigations, and a metric filter for server errors."""

from __future__ import annotations

from aws_cdk import aws_logs as logs
from constructs import Construct

SERVER_ERRORS_METRIC = "ServerErrors"


def app_queries() -> dict[str, logs.QueryString]:
    """Queries over the service's JSON request log and its EMF lines."""
    return {
        "ErrorsByRequestId": logs.QueryString(
            fields=["@timestamp", "request_id", "method", "path", "status", "message"],
            filter_statements=["level = 'ERROR' or status >= 500"],
            sort="@timestamp desc",
            limit=200,
        ),
        "SlowestRequests": logs.QueryString(
            fields=["@timestamp", "request_id", "method", "path", "status", "duration_ms"],
            filter_statements=["message = 'request'"],
            sort="duration_ms desc",
            limit=50,
        ),
        "RejectedPaymentsByReason": logs.QueryString(
            filter_statements=["PaymentsRejected = 1"],
            stats_statements=["count(*) as rejected by RejectionReason"],
            sort="rejected desc",
        ),
    }


def waf_query() -> logs.QueryString:
    return logs.QueryString(
        filter_statements=["action = 'BLOCK'"],
        stats_statements=["count(*) as blocked by terminatingRuleId, httpRequest.clientIp"],
        sort="blocked desc",
        limit=100,
    )


class LogInsights(Construct):
    """Queries saved against the app and WAF log groups, plus errors counted from the JSON request log."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        prefix: str,
        app_log_group: logs.ILogGroup,
        waf_log_group: logs.ILogGroup,
        metrics_namespace: str,
    ) -> None:
        super().__init__(scope, id_)
        saved = [(name, query, app_log_group) for name, query in app_queries().items()]
        saved.append(("WafBlocksByRule", waf_query(), waf_log_group))
        self.queries = [
            logs.QueryDefinition(
                self, name, query_definition_name=f"{prefix}/{name}", query_string=query, log_groups=[group]
            )
            for name, query, group in saved
        ]
        # The service emits its business metrics as EMF; server errors exist only as log lines.
        self.server_errors = logs.MetricFilter(
            self,
            "ServerErrorsFilter",
            log_group=app_log_group,
            metric_namespace=metrics_namespace,
            metric_name=SERVER_ERRORS_METRIC,
            filter_pattern=logs.FilterPattern.all(
                logs.FilterPattern.string_value("$.message", "=", "request"),
                logs.FilterPattern.number_value("$.status", ">=", 500),
            ),
            metric_value="1",
            default_value=0,
        )
