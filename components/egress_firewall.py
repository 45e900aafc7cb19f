"""The payment processor by host name: an AWS Network Firewall domain allow-list between the private subnets and
the NAT gateways (`network.processor_hosts`; built only when set).

Route of a task's HTTPS to the processor, in each zone:

    private subnet --0.0.0.0/0--> firewall endpoint --0.0.0.0/0--> NAT gateway --> internet gateway
    NAT gateway's subnet --private subnet's range--> firewall endpoint (the replies: one path both ways)

The NAT gateways sit in their own subnets (`Egress`), apart from the load balancer's, so that the ALB's traffic to
the tasks never crosses the firewall; the firewall endpoints sit in theirs (`Firewall`). Each zone has its own
firewall with one endpoint, so that its endpoint id is known to the template (a firewall with several zones lists
its endpoints in no set order). All of them share one policy: strict rule order, a pass for TLS whose server name
(SNI) is a processor host, and drop (and alert) every other established flow once its first application-layer
message is read. It checks names, not addresses: a TCP handshake passes, and so does TLS to any address that names
a processor host. The task security group still
admits HTTPS only; what the firewall drops is logged to the Security stack's egress log group (ALERT) and warns
(`EgressFirewallAlarm`).

Costs money: each endpoint is billed by the hour and each GB it processes (`make cost`).
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Duration, Fn
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_logs as logs
from aws_cdk import aws_networkfirewall as networkfirewall
from aws_cdk import aws_sns as sns
from constructs import Construct, IDependable

from settings.naming import PhysicalNames

# Each host is one stateful rule (TLS SNI); fixed, because a rule group's capacity cannot change in place and
# its name is set: a replacement would fail with "already exists". settings.sections.MAX_PROCESSOR_HOSTS fits.
RULE_GROUP_CAPACITY = 100
DROPPED_METRIC = "EgressDropped"


class EgressFirewall(Construct):
    """One firewall per zone in `firewall_subnets`, routing `private_subnets`' internet traffic through it to the
    NAT gateway of `nat_subnets` in the same zone."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        vpc: ec2.IVpc,
        hosts: Sequence[str],
        private_subnets: Sequence[ec2.ISubnet],
        firewall_subnets: Sequence[ec2.ISubnet],
        nat_subnets: Sequence[ec2.ISubnet],
        names: PhysicalNames,
    ) -> None:
        super().__init__(scope, id_)
        rule_group = networkfirewall.CfnRuleGroup(
            self,
            "ProcessorHosts",
            rule_group_name=names.egress_rule_group,
            type="STATEFUL",
            capacity=RULE_GROUP_CAPACITY,
            description="TLS only to the payment processor's host names",
            rule_group=networkfirewall.CfnRuleGroup.RuleGroupProperty(
                rule_variables=networkfirewall.CfnRuleGroup.RuleVariablesProperty(
                    ip_sets={"HOME_NET": networkfirewall.CfnRuleGroup.IPSetProperty(definition=[vpc.vpc_cidr_block])}
                ),
                rules_source=networkfirewall.CfnRuleGroup.RulesSourceProperty(
                    rules_source_list=networkfirewall.CfnRuleGroup.RulesSourceListProperty(
                        generated_rules_type="ALLOWLIST",
                        target_types=["TLS_SNI"],
                        targets=sorted({host.lower() for host in hosts}),
                    )
                ),
                stateful_rule_options=networkfirewall.CfnRuleGroup.StatefulRuleOptionsProperty(
                    rule_order="STRICT_ORDER"
                ),
            ),
        )
        self.policy = networkfirewall.CfnFirewallPolicy(
            self,
            "Policy",
            firewall_policy_name=names.egress_policy,
            description="Drop every established flow but TLS to the payment processor",
            firewall_policy=networkfirewall.CfnFirewallPolicy.FirewallPolicyProperty(
                stateless_default_actions=["aws:forward_to_sfe"],
                stateless_fragment_default_actions=["aws:forward_to_sfe"],
                stateful_engine_options=networkfirewall.CfnFirewallPolicy.StatefulEngineOptionsProperty(
                    rule_order="STRICT_ORDER", stream_exception_policy="DROP"
                ),
                # The application-layer variants wait for the whole TLS ClientHello: one with a post-quantum key
                # share (about 1.5 KB) spans two packets, and plain `drop_established` would drop the flow at the
                # first, before the server name is read.
                stateful_default_actions=["aws:drop_established_app_layer", "aws:alert_established_app_layer"],
                stateful_rule_group_references=[
                    networkfirewall.CfnFirewallPolicy.StatefulRuleGroupReferenceProperty(
                        resource_arn=rule_group.attr_rule_group_arn, priority=1
                    )
                ],
            ),
        )
        self.firewalls: list[networkfirewall.CfnFirewall] = []
        self.routes: list[IDependable] = []
        nat_by_zone = {subnet.availability_zone: subnet for subnet in nat_subnets}
        firewall_by_zone = {subnet.availability_zone: subnet for subnet in firewall_subnets}
        for index, private in enumerate(private_subnets):
            zone = private.availability_zone
            firewall = networkfirewall.CfnFirewall(
                self,
                f"Firewall{index + 1}",
                firewall_name=names.egress_firewall(index + 1),
                description=f"Egress allow-list for {zone}",
                firewall_policy_arn=self.policy.attr_firewall_policy_arn,
                vpc_id=vpc.vpc_id,
                subnet_mappings=[
                    networkfirewall.CfnFirewall.SubnetMappingProperty(subnet_id=firewall_by_zone[zone].subnet_id)
                ],
                # Nobody re-points it at another policy or subnet, CloudFormation included: changing either takes
                # turning these off first (docs/RUNBOOK.md, the egress firewall).
                firewall_policy_change_protection=True,
                subnet_change_protection=True,
            )
            self.firewalls.append(firewall)
            # "us-east-1a:vpce-0123..." -> "vpce-0123...": the one endpoint of this zone's firewall.
            endpoint = Fn.select(1, Fn.split(":", Fn.select(0, firewall.attr_endpoint_ids)))
            networkfirewall.CfnLoggingConfiguration(
                self,
                f"Firewall{index + 1}Logging",
                firewall_arn=firewall.attr_firewall_arn,
                logging_configuration=networkfirewall.CfnLoggingConfiguration.LoggingConfigurationProperty(
                    log_destination_configs=[
                        networkfirewall.CfnLoggingConfiguration.LogDestinationConfigProperty(
                            log_destination={"logGroup": names.egress_log_group},
                            log_destination_type="CloudWatchLogs",
                            log_type="ALERT",
                        )
                    ]
                ),
            )
            default_route = private.node.find_child("DefaultRoute")
            assert isinstance(default_route, ec2.CfnRoute)
            default_route.nat_gateway_id = None
            default_route.vpc_endpoint_id = endpoint
            nat_subnet = nat_by_zone[zone]
            nat_gateway = nat_subnet.node.find_child("NATGateway")
            assert isinstance(nat_gateway, ec2.CfnNatGateway)
            to_nat = ec2.CfnRoute(
                self,
                f"Firewall{index + 1}ToNat",
                route_table_id=firewall_by_zone[zone].route_table.route_table_id,
                destination_cidr_block="0.0.0.0/0",
                nat_gateway_id=nat_gateway.ref,
            )
            replies = ec2.CfnRoute(
                self,
                f"Nat{index + 1}RepliesThroughFirewall",
                route_table_id=nat_subnet.route_table.route_table_id,
                destination_cidr_block=private.ipv4_cidr_block,
                vpc_endpoint_id=endpoint,
            )
            self.routes += [default_route, to_nat, replies]


class EgressFirewallAlarm(Construct):
    """Warn when the firewall drops a flow: something in the tasks tried to reach a host that is not the
    processor (or the processor moved to a name not yet listed). Counted from the firewall's own alert log, which
    records every drop (`aws:alert_established`), so the alarm reads what the log keeps as evidence."""

    def __init__(
        self, scope: Construct, id_: str, *, log_group: logs.ILogGroup, namespace: str, warning_topic: sns.ITopic
    ) -> None:
        super().__init__(scope, id_)
        self.metric_filter = logs.MetricFilter(
            self,
            "Dropped",
            log_group=log_group,
            filter_pattern=logs.FilterPattern.string_value("$.event.event_type", "=", "alert"),
            metric_namespace=namespace,
            metric_name=DROPPED_METRIC,
            metric_value="1",
        )
        self.alarm = cloudwatch.Alarm(
            self,
            "Alarm",
            alarm_description="The egress firewall dropped traffic to a host that is not the payment processor",
            metric=self.metric_filter.metric(statistic="Sum", period=Duration.minutes(5)),
            threshold=0,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluation_periods=1,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        self.alarm.add_alarm_action(cloudwatch_actions.SnsAction(warning_topic))
