"""The service's DNS name: `tls.domain_name` answers with this region's ALB, by a plain alias, or, in an
environment with a standby region, by a Route 53 failover record that follows the region's health.

A region is healthy while its target group has a healthy task: the load balancer's own health checks of
`/health` decide, and a CloudWatch alarm on the healthy-target count carries that to Route 53 (a
CLOUDWATCH_METRIC health check). Route 53's checkers never call the service themselves: behind mutual TLS
they could not, as they present no client certificate, and an allowance for their addresses would be a
second, unauthenticated way in.
"""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_route53 as route53
from constructs import Construct

from rules.acknowledge import HIPAA_SECURITY, NIST_800_53_R5, acknowledge
from settings.sections import TlsSettings

# The region is unhealthy after 2 one-minute periods without a healthy target: failover within about 2 to 3
# minutes plus the record's TTL. No datapoint (no target at all, as in a pilot-light standby) is unhealthy.
PERIOD = Duration.minutes(1)
UNHEALTHY_PERIODS = 2
# The PRIMARY record follows a CALCULATED check over the region's health: healthy while at least SERVES of its one
# child is. `python -m ops failover` sets STEPS_ASIDE (more than it has children: always unhealthy, so Route 53
# answers with the standby while that is healthy); `failback` sets SERVES again.
SERVES = 1
STEPS_ASIDE = 2


def hosted_zone(scope: Construct, tls: TlsSettings) -> route53.IHostedZone:
    """The profile's hosted zone, imported by its id and name (synth looks nothing up)."""
    if tls.hosted_zone_id is None or tls.zone_name is None:
        raise ValueError("tls: a hosted zone id and name are required")
    return route53.HostedZone.from_hosted_zone_attributes(
        scope, "Zone", hosted_zone_id=tls.hosted_zone_id, zone_name=tls.zone_name
    )


class ServiceDnsRecord(Construct):
    """The service name's record in this region. With `failover`, PRIMARY (or SECONDARY when not `primary`)
    with a health check that follows the healthy-target alarm of `target_group`; without, an alias of the ALB.

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
        target_group: elbv2.ApplicationTargetGroup,
        failover: bool,
        primary: bool = True,
    ) -> None:
        super().__init__(scope, id_)
        if tls.domain_name is None:
            raise ValueError("tls: a domain name is required for the service's DNS record")
        zone = hosted_zone(self, tls)
        self.health_check: route53.CfnHealthCheck | None = None
        self.healthy_targets_alarm: cloudwatch.Alarm | None = None
        # The primary's record follows its preference: the region's health, unless an operator failed over.
        self.preference: route53.CfnHealthCheck | None = None
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
        self.healthy_targets_alarm = cloudwatch.Alarm(
            self,
            "NoHealthyTarget",
            alarm_description=f"{tls.domain_name} in {region}: no healthy task behind the load balancer "
            "(Route 53 fails over to the other region)",
            metric=target_group.metrics.healthy_host_count(period=PERIOD, statistic="Minimum"),
            threshold=1,
            comparison_operator=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
            evaluation_periods=UNHEALTHY_PERIODS,
            datapoints_to_alarm=UNHEALTHY_PERIODS,
            treat_missing_data=cloudwatch.TreatMissingData.BREACHING,
        )
        acknowledge(
            self.healthy_targets_alarm,
            "CloudWatchAlarmAction",
            packs=(NIST_800_53_R5, HIPAA_SECURITY),
            reason="Read by the Route 53 failover health check, not a notification; compensating control: the "
            "Observability stack's paging alarms on tasks that do not start and targets that fail (TasksNotStarting, "
            "UnhealthyTargets)",
        )
        self.health_check = route53.CfnHealthCheck(
            self,
            "HealthCheck",
            health_check_config=route53.CfnHealthCheck.HealthCheckConfigProperty(
                type="CLOUDWATCH_METRIC",
                alarm_identifier=route53.CfnHealthCheck.AlarmIdentifierProperty(
                    name=self.healthy_targets_alarm.alarm_name, region=region
                ),
                insufficient_data_health_status="Unhealthy",
            ),
            health_check_tags=[
                route53.CfnHealthCheck.HealthCheckTagProperty(key="Name", value=f"{tls.domain_name} in {region}")
            ],
        )
        record_check = self.health_check
        if primary:
            self.preference = route53.CfnHealthCheck(
                self,
                "Preference",
                health_check_config=route53.CfnHealthCheck.HealthCheckConfigProperty(
                    type="CALCULATED",
                    child_health_checks=[self.health_check.attr_health_check_id],
                    health_threshold=SERVES,
                ),
                health_check_tags=[
                    route53.CfnHealthCheck.HealthCheckTagProperty(
                        key="Name", value=f"{tls.domain_name} served from {region} (ops failover steps it aside)"
                    )
                ],
            )
            record_check = self.preference
        self.record = route53.CfnRecordSet(
            self,
            "Record",
            hosted_zone_id=zone.hosted_zone_id,
            name=tls.domain_name,
            type="A",
            set_identifier=region,
            failover="PRIMARY" if primary else "SECONDARY",
            health_check_id=record_check.attr_health_check_id,
            alias_target=route53.CfnRecordSet.AliasTargetProperty(
                dns_name=load_balancer.load_balancer_dns_name,
                hosted_zone_id=load_balancer.load_balancer_canonical_hosted_zone_id,
                evaluate_target_health=True,
            ),
        )
