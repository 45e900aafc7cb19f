"""Route 53 failover: the service name answers with this region's ALB while its /health check passes."""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_route53 as route53
from constructs import Construct

from components.load_balancer import HEALTH_CHECK_PATH

# Route 53 marks an endpoint unhealthy after 3 failed checks 10 s apart: failover within about 30 s + TTL.
CHECK_INTERVAL_SECONDS = 10
FAILURE_THRESHOLD = 3


class FailoverRecord(Construct):
    """PRIMARY or SECONDARY alias record for the service name, with an HTTPS health check on /health."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        zone: route53.IHostedZone,
        domain_name: str,
        load_balancer: elbv2.IApplicationLoadBalancer,
        primary: bool,
    ) -> None:
        super().__init__(scope, id_)
        region = Stack.of(self).region
        self.health_check = route53.CfnHealthCheck(
            self,
            "HealthCheck",
            health_check_config=route53.CfnHealthCheck.HealthCheckConfigProperty(
                type="HTTPS",
                fully_qualified_domain_name=load_balancer.load_balancer_dns_name,
                port=443,
                resource_path=HEALTH_CHECK_PATH,
                request_interval=CHECK_INTERVAL_SECONDS,
                failure_threshold=FAILURE_THRESHOLD,
                enable_sni=True,
            ),
            health_check_tags=[
                route53.CfnHealthCheck.HealthCheckTagProperty(key="Name", value=f"{domain_name} in {region}")
            ],
        )
        self.record = route53.CfnRecordSet(
            self,
            "Record",
            hosted_zone_id=zone.hosted_zone_id,
            name=domain_name,
            type="A",
            set_identifier=region,
            failover="PRIMARY" if primary else "SECONDARY",
            health_check_id=self.health_check.attr_health_check_id,
            alias_target=route53.CfnRecordSet.AliasTargetProperty(
                dns_name=load_balancer.load_balancer_dns_name,
                hosted_zone_id=load_balancer.load_balancer_canonical_hosted_zone_id,
                evaluate_target_health=True,
            ),
        )
