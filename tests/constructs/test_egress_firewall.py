"""components/egress_firewall.py: with `network.processor_hosts`, every packet a task sends to the internet crosses
its zone's Network Firewall on the way out and on the way back, the firewall passes TLS to the processor's names
only, and each drop is logged, archived and warns. Without the setting nothing of it is built."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns

from components.egress_firewall import DROPPED_METRIC, RULE_GROUP_CAPACITY, EgressFirewall, EgressFirewallAlarm
from components.vpc import EGRESS, FIREWALL, PUBLIC, PaymentVpc
from settings.naming import PhysicalNames
from settings.sections import MAX_PROCESSOR_HOSTS, NetworkSettings
from tests.support.bare import bare_stack, one, properties, resources, template
from tests.support.synthesized import Synthesized

ZONES = ("us-east-1a", "us-east-1b", "us-east-1c")
HOSTS = ("API.Processor.Example", ".gateway.processor.example")
NAMES = PhysicalNames("payments", "test")
PROCESSOR = "203.0.113.10"  # any internet address: the route is the same for every one


def build(az_count: int) -> dict[str, Any]:
    stack = bare_stack()
    network = PaymentVpc(
        stack,
        "Network",
        network=NetworkSettings(az_count=az_count, vpc_cidr="10.10.0.0/16", processor_hosts=HOSTS),
        availability_zones=ZONES[:az_count],
        flow_log_bucket=s3.Bucket(stack, "FlowLogBucket"),
    )
    vpc = network.vpc
    EgressFirewall(
        stack,
        "EgressFirewall",
        vpc=vpc,
        hosts=HOSTS,
        private_subnets=vpc.private_subnets,
        firewall_subnets=vpc.select_subnets(subnet_group_name=FIREWALL).subnets,
        nat_subnets=vpc.select_subnets(subnet_group_name=EGRESS).subnets,
        names=NAMES,
    )
    return template(stack)


@pytest.fixture(scope="module", params=[2, 3], ids=["2 zones", "3 zones"])
def document(request: pytest.FixtureRequest) -> dict[str, Any]:
    return build(request.param)


class Network:
    """The template's routing, walked as the VPC router forwards a packet: longest prefix first, the VPC's own
    range delivered locally."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.subnets = resources(document, "AWS::EC2::Subnet")
        self.vpc_cidr = ipaddress.ip_network(one(document, "AWS::EC2::VPC")["CidrBlock"])
        self.table_of = {
            a["Properties"]["SubnetId"]["Ref"]: a["Properties"]["RouteTableId"]["Ref"]
            for a in resources(document, "AWS::EC2::SubnetRouteTableAssociation").values()
        }
        self.routes: dict[str, list[dict[str, Any]]] = {}
        for route in properties(document, "AWS::EC2::Route"):
            self.routes.setdefault(route["RouteTableId"]["Ref"], []).append(route)
        self.nat_subnet = {
            lid: r["Properties"]["SubnetId"]["Ref"] for lid, r in resources(document, "AWS::EC2::NatGateway").items()
        }
        self.firewall_subnet = {
            lid: r["Properties"]["SubnetMappings"][0]["SubnetId"]["Ref"]
            for lid, r in resources(document, "AWS::NetworkFirewall::Firewall").items()
        }

    def group(self, subnet: str) -> str:
        tags = {t["Key"]: t["Value"] for t in self.subnets[subnet]["Properties"]["Tags"]}
        return str(tags["aws-cdk:subnet-name"])

    def zone(self, subnet: str) -> str:
        return str(self.subnets[subnet]["Properties"]["AvailabilityZone"])

    def in_group(self, group: str) -> list[str]:
        return sorted(s for s in self.subnets if self.group(s) == group)

    def address_in(self, subnet: str) -> str:
        return str(ipaddress.ip_network(self.subnets[subnet]["Properties"]["CidrBlock"])[10])

    def next_hop(self, subnet: str, destination: str) -> tuple[str, str]:
        """("local", "") inside the VPC, else (kind, id) of the matching route's target."""
        address = ipaddress.ip_address(destination)
        matching = [
            r
            for r in self.routes.get(self.table_of[subnet], [])
            if address in ipaddress.ip_network(r["DestinationCidrBlock"])
        ]
        best = max(matching, key=lambda r: ipaddress.ip_network(r["DestinationCidrBlock"]).prefixlen, default=None)
        if best is None or (address in self.vpc_cidr and ipaddress.ip_network(best["DestinationCidrBlock"]).prefixlen
                            < self.vpc_cidr.prefixlen):  # fmt: skip
            return ("local", "") if address in self.vpc_cidr else ("none", "")
        if "NatGatewayId" in best:
            return ("nat", best["NatGatewayId"]["Ref"])
        if "GatewayId" in best:
            return ("internet gateway", best["GatewayId"]["Ref"])
        # Fn::Select 1 of Fn::Split ":" of Fn::Select 0 of a firewall's EndpointIds: that firewall's endpoint.
        firewall = best["VpcEndpointId"]["Fn::Select"][1]["Fn::Split"][1]["Fn::Select"][1]["Fn::GetAtt"][0]
        return ("firewall", firewall)

    def walk_out(self, subnet: str, destination: str) -> list[tuple[str, str]]:
        """Every hop from `subnet` to the internet gateway: (kind, subnet the hop sits in)."""
        hops: list[tuple[str, str]] = []
        for _ in range(5):
            kind, target = self.next_hop(subnet, destination)
            if kind in ("internet gateway", "none", "local"):
                return [*hops, (kind, "")]
            subnet = self.nat_subnet[target] if kind == "nat" else self.firewall_subnet[target]
            hops.append((kind, subnet))
        raise AssertionError(f"routing loop from {subnet}")


def test_a_task_reaches_the_internet_only_through_its_zones_firewall_then_nat(document: dict[str, Any]) -> None:
    network = Network(document)
    for private in network.in_group("Private"):
        hops = network.walk_out(private, PROCESSOR)
        assert [kind for kind, _ in hops] == ["firewall", "nat", "internet gateway"], private
        assert [network.group(subnet) for _, subnet in hops[:2]] == [FIREWALL, EGRESS]
        assert {network.zone(subnet) for _, subnet in hops[:2]} == {network.zone(private)}


def test_replies_from_the_nat_gateway_return_through_the_same_firewall(document: dict[str, Any]) -> None:
    network = Network(document)
    for private in network.in_group("Private"):
        out_firewall = network.next_hop(private, PROCESSOR)
        (nat_subnet,) = [s for s in network.in_group(EGRESS) if network.zone(s) == network.zone(private)]
        assert network.next_hop(nat_subnet, network.address_in(private)) == out_firewall


def test_the_load_balancer_reaches_the_tasks_directly_and_holds_no_nat_gateway(document: dict[str, Any]) -> None:
    """The ALB's subnets keep their own route tables: its traffic to the tasks never crosses a firewall."""
    network = Network(document)
    for public in network.in_group(PUBLIC):
        for private in network.in_group("Private"):
            assert network.next_hop(public, network.address_in(private)) == ("local", "")
            assert network.next_hop(private, network.address_in(public)) == ("local", "")
        assert network.next_hop(public, PROCESSOR)[0] == "internet gateway"
    assert set(network.nat_subnet.values()) == set(network.in_group(EGRESS))


def test_one_single_zone_firewall_per_zone_in_its_own_subnet_under_change_protection(document: dict[str, Any]) -> None:
    network = Network(document)
    firewalls = properties(document, "AWS::NetworkFirewall::Firewall")
    assert sorted(network.zone(s) for s in network.firewall_subnet.values()) == sorted(
        network.zone(s) for s in network.in_group("Private")
    )
    assert all(network.group(s) == FIREWALL for s in network.firewall_subnet.values())
    for firewall in firewalls:
        assert len(firewall["SubnetMappings"]) == 1
        assert firewall["FirewallPolicyChangeProtection"] is True
        assert firewall["SubnetChangeProtection"] is True


def test_the_policy_passes_tls_to_the_processor_hosts_and_drops_every_other_established_flow(
    document: dict[str, Any],
) -> None:
    policy = one(document, "AWS::NetworkFirewall::FirewallPolicy")["FirewallPolicy"]
    assert policy["StatelessDefaultActions"] == policy["StatelessFragmentDefaultActions"] == ["aws:forward_to_sfe"]
    assert policy["StatefulEngineOptions"] == {"RuleOrder": "STRICT_ORDER", "StreamExceptionPolicy": "DROP"}
    # Application layer: a ClientHello split over two packets (post-quantum key shares) is read whole before the
    # default drops the flow; `aws:drop_established` would drop it at the first packet.
    assert policy["StatefulDefaultActions"] == ["aws:drop_established_app_layer", "aws:alert_established_app_layer"]
    (rule_group_id,) = resources(document, "AWS::NetworkFirewall::RuleGroup")
    assert [r["ResourceArn"]["Fn::GetAtt"][0] for r in policy["StatefulRuleGroupReferences"]] == [rule_group_id]
    rule_group = one(document, "AWS::NetworkFirewall::RuleGroup")
    assert rule_group["Type"] == "STATEFUL"
    assert rule_group["RuleGroup"]["RulesSource"]["RulesSourceList"] == {
        "GeneratedRulesType": "ALLOWLIST",
        "TargetTypes": ["TLS_SNI"],
        "Targets": [".gateway.processor.example", "api.processor.example"],
    }
    assert rule_group["RuleGroup"]["StatefulRuleOptions"] == {"RuleOrder": "STRICT_ORDER"}


def test_the_rule_group_holds_the_most_hosts_the_settings_allow() -> None:
    assert RULE_GROUP_CAPACITY >= MAX_PROCESSOR_HOSTS


def test_every_firewall_logs_its_alerts_to_the_named_log_group(document: dict[str, Any]) -> None:
    firewalls = resources(document, "AWS::NetworkFirewall::Firewall")
    configurations = properties(document, "AWS::NetworkFirewall::LoggingConfiguration")
    assert sorted(c["FirewallArn"]["Fn::GetAtt"][0] for c in configurations) == sorted(firewalls)
    for configuration in configurations:
        (destination,) = configuration["LoggingConfiguration"]["LogDestinationConfigs"]
        assert destination["LogDestination"] == {"logGroup": NAMES.egress_log_group}
        assert (destination["LogDestinationType"], destination["LogType"]) == ("CloudWatchLogs", "ALERT")


def test_a_drop_in_the_alert_log_warns() -> None:
    stack = bare_stack()
    group = logs.LogGroup(stack, "Alerts")
    topic = sns.Topic(stack, "Warning")
    EgressFirewallAlarm(stack, "Egress", log_group=group, namespace="payments/test", warning_topic=topic)
    document = template(stack)
    metric_filter = one(document, "AWS::Logs::MetricFilter")
    (group_id,) = resources(document, "AWS::Logs::LogGroup")
    (topic_id,) = resources(document, "AWS::SNS::Topic")
    assert metric_filter["LogGroupName"] == {"Ref": group_id}
    assert metric_filter["FilterPattern"] == '{ $.event.event_type = "alert" }'
    (transformation,) = metric_filter["MetricTransformations"]
    alarm = one(document, "AWS::CloudWatch::Alarm")
    assert (alarm["Namespace"], alarm["MetricName"]) == (
        transformation["MetricNamespace"],
        transformation["MetricName"],
    )
    assert (alarm["ComparisonOperator"], alarm["Threshold"]) == ("GreaterThanThreshold", 0)
    assert alarm["AlarmActions"] == [{"Ref": topic_id}]


def test_a_profile_with_processor_hosts_keeps_archives_and_watches_the_alert_log(adopted: Synthesized) -> None:
    assert adopted.config.network.processor_hosts
    for prefix in ("", "Standby"):
        groups = adopted.resources(f"{prefix}Security", "AWS::Logs::LogGroup")
        (group_id,) = [
            lid
            for lid, r in groups.items()
            if r["Properties"].get("LogGroupName") == adopted.config.names.egress_log_group
        ]
        assert "KmsKeyId" in groups[group_id]["Properties"]
        assert groups[group_id]["Properties"]["RetentionInDays"] >= 90
        archived = [s["LogGroupName"] for s in adopted.properties(f"{prefix}Security", "AWS::Logs::SubscriptionFilter")]
        assert {"Ref": group_id} in archived
        (watched,) = [
            f["LogGroupName"]
            for f in adopted.properties(f"{prefix}Observability", "AWS::Logs::MetricFilter")
            if f["MetricTransformations"][0]["MetricName"] == DROPPED_METRIC
        ]
        # By name: an export would make removing processor_hosts fail ("export in use").
        assert watched == adopted.config.names.egress_log_group
        firewalls = adopted.resources(f"{prefix}Network", "AWS::NetworkFirewall::Firewall")
        assert len(firewalls) == len(adopted.config.availability_zones)


def test_without_processor_hosts_nothing_of_it_is_built(dev: Synthesized) -> None:
    assert not dev.config.network.processor_hosts
    for stack, document in dev.every_document.items():
        types = {r["Type"] for r in document["Resources"].values()}
        assert not any(t.startswith("AWS::NetworkFirewall::") for t in types), stack
        assert "ProcessorHostsEgress" not in str(document), stack
    groups = {s["Tags"][0]["Value"] for s in dev.properties("Network", "AWS::EC2::Subnet")}
    assert not groups & {EGRESS, FIREWALL}
