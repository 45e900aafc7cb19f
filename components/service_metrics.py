"""The metrics alarms and the dashboard watch, each built from the construct that publishes it."""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from constructs import Construct

from components.fargate_service import PaymentFargateService
from components.load_balancer import HttpsLoadBalancer
from settings.naming import WAF_RULES, PhysicalNames

ONE_MINUTE = Duration.minutes(1)
FIVE_MINUTES = Duration.minutes(5)


class ServiceMetrics(Construct):
    """Metric factory. ALB and target group dimensions are full names (`app/<name>/<id>`), from CDK's helpers."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        load_balancer: HttpsLoadBalancer,
        payments: PaymentFargateService,
        names: PhysicalNames,
    ) -> None:
        super().__init__(scope, id_)
        self.load_balancer = load_balancer.load_balancer
        self.target_group = load_balancer.target_group
        self.service = payments.service
        self.cluster = payments.cluster
        self.names = names
        # The dimensions the service puts on its Embedded Metric Format lines.
        self._business_dimensions = {"Service": names.service, "Environment": names.environment}
        self.region = Stack.of(self).region

    def requests(self, period: Duration = ONE_MINUTE) -> cloudwatch.Metric:
        return self.load_balancer.metrics.request_count(period=period, statistic="Sum")

    def alb_5xx(self, period: Duration = ONE_MINUTE) -> cloudwatch.Metric:
        return self.load_balancer.metrics.http_code_elb(elbv2.HttpCodeElb.ELB_5XX_COUNT, period=period, statistic="Sum")

    def alb_4xx(self, period: Duration = ONE_MINUTE) -> cloudwatch.Metric:
        return self.load_balancer.metrics.http_code_elb(elbv2.HttpCodeElb.ELB_4XX_COUNT, period=period, statistic="Sum")

    def target_5xx(self, period: Duration = ONE_MINUTE) -> cloudwatch.Metric:
        return self.load_balancer.metrics.http_code_target(
            elbv2.HttpCodeTarget.TARGET_5XX_COUNT, period=period, statistic="Sum"
        )

    def target_4xx(self, period: Duration = ONE_MINUTE) -> cloudwatch.Metric:
        return self.load_balancer.metrics.http_code_target(
            elbv2.HttpCodeTarget.TARGET_4XX_COUNT, period=period, statistic="Sum"
        )

    def _rate(self, errors: cloudwatch.Metric, label: str) -> cloudwatch.MathExpression:
        return cloudwatch.MathExpression(
            expression="100 * FILL(errors, 0) / requests",
            using_metrics={"errors": errors, "requests": self.requests()},
            label=label,
            period=ONE_MINUTE,
        )

    def alb_5xx_rate(self) -> cloudwatch.MathExpression:
        return self._rate(self.alb_5xx(), "ALB 5xx (% of requests)")

    def target_5xx_rate(self) -> cloudwatch.MathExpression:
        return self._rate(self.target_5xx(), "Target 5xx (% of requests)")

    def latency(self, statistic: str) -> cloudwatch.Metric:
        return self.load_balancer.metrics.target_response_time(period=ONE_MINUTE, statistic=statistic)

    def latency_p99(self) -> cloudwatch.Metric:
        return self.latency("p99")

    def unhealthy_targets(self) -> cloudwatch.Metric:
        return self.target_group.metrics.unhealthy_host_count(period=ONE_MINUTE, statistic="Maximum")

    def healthy_targets(self) -> cloudwatch.Metric:
        return self.target_group.metrics.healthy_host_count(period=ONE_MINUTE, statistic="Minimum")

    def cpu(self) -> cloudwatch.Metric:
        return self.service.metric_cpu_utilization(period=ONE_MINUTE, statistic="Average")

    def memory(self) -> cloudwatch.Metric:
        return self.service.metric_memory_utilization(period=ONE_MINUTE, statistic="Average")

    def _container_insights(self, metric_name: str, period: Duration, statistic: str) -> cloudwatch.Metric:
        return cloudwatch.Metric(
            namespace="ECS/ContainerInsights",
            metric_name=metric_name,
            dimensions_map={"ClusterName": self.cluster.cluster_name, "ServiceName": self.service.service_name},
            period=period,
            statistic=statistic,
        )

    def running_tasks(self, period: Duration = ONE_MINUTE) -> cloudwatch.Metric:
        return self._container_insights("RunningTaskCount", period, "Minimum")

    def desired_tasks(self) -> cloudwatch.Metric:
        return self._container_insights("DesiredTaskCount", ONE_MINUTE, "Maximum")

    def task_shortfall(self) -> cloudwatch.MathExpression:
        """Tasks asked for but not running: 0 in an idle standby (none asked for), and whenever the service has
        what it asked for; positive while tasks cannot start. No datapoint while the service reports nothing."""
        return cloudwatch.MathExpression(
            expression="desired - FILL(running, 0)",
            using_metrics={"desired": self.desired_tasks(), "running": self.running_tasks()},
            label="Desired tasks not running",
            period=ONE_MINUTE,
        )

    def waf(self, metric_name: str, rule: str = "ALL") -> cloudwatch.Metric:
        return cloudwatch.Metric(
            namespace="AWS/WAFV2",
            metric_name=metric_name,
            dimensions_map={"WebACL": self.names.web_acl, "Region": self.region, "Rule": rule},
            period=FIVE_MINUTES,
            statistic="Sum",
        )

    def waf_blocked(self) -> cloudwatch.Metric:
        return self.waf("BlockedRequests")

    def waf_blocked_by_rule(self) -> list[cloudwatch.Metric]:
        return [self.waf("BlockedRequests", self.names.waf_metric(rule)) for rule in WAF_RULES]

    def business(self, metric_name: str, statistic: str = "Sum", period: Duration = FIVE_MINUTES) -> cloudwatch.Metric:
        return cloudwatch.Metric(
            namespace=self.names.metrics_namespace,
            metric_name=metric_name,
            dimensions_map=self._business_dimensions,
            period=period,
            statistic=statistic,
        )

    def rejection_rate(self) -> cloudwatch.MathExpression:
        return cloudwatch.MathExpression(
            expression="100 * rejected / (FILL(accepted, 0) + rejected)",
            using_metrics={
                "accepted": self.business("PaymentsAccepted"),
                "rejected": self.business("PaymentsRejected"),
            },
            label="Rejected payments (%)",
            period=FIVE_MINUTES,
        )

    def no_payments_during_traffic(self, minimum_requests: int) -> cloudwatch.MathExpression:
        return cloudwatch.MathExpression(
            expression=f"IF(requests > {minimum_requests} AND FILL(accepted, 0) == 0, 1, 0)",
            using_metrics={"requests": self.requests(FIVE_MINUTES), "accepted": self.business("PaymentsAccepted")},
            label="Business traffic without accepted payments",
            period=FIVE_MINUTES,
        )
