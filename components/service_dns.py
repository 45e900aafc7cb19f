"""The service's DNS name: `tls.domain_name` answers with this region's ALB, by a plain alias, or, in an
environment with a standby region, by a Route 53 failover record that follows an HTTPS health check."""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_route53 as route53
from constructs import Construct

from components.load_balancer import HEALTH_CHECK_PATH
from settings.sections import TlsSettings

# Route 53 marks an endpoint unhealthy after 3 failed checks 10 s apart: failover within about 30 s + TTL.
CHECK_INTERVAL_SECONDS = 10
FAILURE_THRESHOLD = 3


def hosted_zone(scope: Construct, tls: TlsSettings) -> route53.IHostedZone:
    """The profile's hosted zone, imported by its id and name (synth looks nothing up)."""
    if tls.hosted_zone_id is None or tls.zone_name is None:
        raise ValueError("tls: a hosted zone id and name are required")
    return route53.HostedZone.from_hosted_zone_attributes(
        scope, "Zone", hosted_zone_id=tls.hosted_zone_id, zone_name=tls.zone_name
    )


class ServiceDnsRecord(Construct):
    """The service name's record in this region. With `failover`, PRIMARY (or SECONDARY when not `primary`)
    with an HTTPS health check on `/health`; without, an alias of the ALB.

    Build it with `id_=ServiceDnsRecord.id_for(failover)`: the records keep the construct paths, and so the
    logical ids, they were first deployed with (a replaced record of the same name cannot be created beside
    the old one).
    """

    @staticmethod
    def id_for(failover: bool) -> str:
        return "Failover" if failover else "ServiceAlias"

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        tls: TlsSettings,
        load_balancer: elbv2.IApplicationLoadBalancer,
        failover: bool,
        primary: bool = True,
    ) -> None:
        super().__init__(scope, id_)
        if tls.domain_name is None:
            raise ValueError("tls: a domain name is required for the service's DNS record")
        zone = hosted_zone(self, tls)
        self.health_check: route53.CfnHealthCheck | None = None
        if not failover:
            self.record = route53.CfnRecordSet(
                self,
                "Resource",
                hosted_zone_id=zone.hosted_zone_id,
                name=f"{tls.domain_name}.",
                type="A",
                alias_target=route53.CfnRecordSet.AliasTargetProperty(
                    dns_name=f"dualstack.{load_balancer.load_balancer_dns_name}",
                    hosted_zone_id=load_balancer.load_balancer_canonical_hosted_zone_id,
                ),
            )
            return
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
                route53.CfnHealthCheck.HealthCheckTagProperty(key="Name", value=f"{tls.domain_name} in {region}")
            ],
        )
        self.record = route53.CfnRecordSet(
            self,
            "Record",
            hosted_zone_id=zone.hosted_zone_id,
            name=tls.domain_name,
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
