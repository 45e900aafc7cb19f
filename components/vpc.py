"""Three-tier VPC with a NAT gateway in every zone, closed default security group, and flow logs."""

from __future__ import annotations

from aws_cdk import CfnResource, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_s3 as s3
from constructs import Construct

from rules.acknowledge import acknowledge
from settings.sections import NetworkSettings

PUBLIC_SUBNET_MASK = 24
PRIVATE_SUBNET_MASK = 22
ISOLATED_SUBNET_MASK = 24
# Parquet, partitioned by hour in Hive layout: cheaper to store and directly queryable with Athena. Passed as
# typed options so that CDK writes the bucket policy for the path Hive layout delivers to
# (PREFIX/AWSLogs/aws-account-id=ACCOUNT/...), not the plain layout's (PREFIX/AWSLogs/ACCOUNT/...).
FLOW_LOG_FORMAT = ec2.FlowLogFileFormat.PARQUET
# Subnet groups. With `network.processor_hosts`, two more: the NAT gateways move into their own public subnets
# (`EGRESS`), apart from the load balancer's, and the egress firewall's endpoints get theirs (`FIREWALL`).
PUBLIC = "Public"
EGRESS = "Egress"
FIREWALL = "Firewall"
# AWS's smallest subnet; a NAT gateway or a firewall endpoint needs one address of it.
APPLIANCE_SUBNET_MASK = 28


class PaymentVpc(Construct):
    """VPC whose private subnets keep egress when one zone's NAT gateway fails, and whose traffic is logged.

    Public subnets hold only the ALB and the NAT gateways and never hand out public IPs.
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        network: NetworkSettings,
        availability_zones: tuple[str, ...],
        flow_log_bucket: s3.IBucket,
    ) -> None:
        super().__init__(scope, id_)
        self.firewalled = bool(network.processor_hosts)
        appliances = (
            [
                ec2.SubnetConfiguration(
                    name=EGRESS,
                    subnet_type=ec2.SubnetType.PUBLIC,
                    cidr_mask=APPLIANCE_SUBNET_MASK,
                    map_public_ip_on_launch=False,
                ),
                ec2.SubnetConfiguration(
                    name=FIREWALL, subnet_type=ec2.SubnetType.PRIVATE_ISOLATED, cidr_mask=APPLIANCE_SUBNET_MASK
                ),
            ]
            if self.firewalled
            else []
        )
        self.vpc: ec2.Vpc = ec2.Vpc(
            self,
            "Vpc",
            ip_addresses=ec2.IpAddresses.cidr(network.vpc_cidr),
            availability_zones=list(availability_zones),
            nat_gateways=len(availability_zones),
            nat_gateway_provider=ec2.NatProvider.gateway(
                eip_allocation_ids=list(network.nat_eip_allocation_ids) or None
            ),
            nat_gateway_subnets=ec2.SubnetSelection(subnet_group_name=EGRESS if self.firewalled else PUBLIC),
            restrict_default_security_group=True,
            subnet_configuration=[
                ec2.SubnetConfiguration(
                    name=PUBLIC,
                    subnet_type=ec2.SubnetType.PUBLIC,
                    cidr_mask=PUBLIC_SUBNET_MASK,
                    map_public_ip_on_launch=False,
                ),
                ec2.SubnetConfiguration(
                    name="Private", subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS, cidr_mask=PRIVATE_SUBNET_MASK
                ),
                ec2.SubnetConfiguration(
                    name="Isolated", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED, cidr_mask=ISOLATED_SUBNET_MASK
                ),
                # Last: the subnets above keep their address ranges whether or not these exist.
                *appliances,
            ],
        )
        self.flow_log: ec2.FlowLog = self.vpc.add_flow_log(
            "FlowLog",
            traffic_type=ec2.FlowLogTrafficType.ALL,
            max_aggregation_interval=ec2.FlowLogMaxAggregationInterval.ONE_MINUTE,
            destination=ec2.FlowLogDestination.to_s3(
                flow_log_bucket,
                "vpc-flow-logs/",
                file_format=FLOW_LOG_FORMAT,
                hive_compatible_partitions=True,
                per_hour_partition=True,
            ),
        )
        # The typed options above make CDK write the bucket policy for the Hive path. CDK then emits the options
        # with camelCase keys, which AWS::EC2::FlowLog does not read (aws-cdk issue 25432): delivery would fall back
        # to plain text on the non-Hive path that policy no longer allows. Rename the keys to what AWS reads.
        flow_log_resource = self.flow_log.node.default_child
        assert isinstance(flow_log_resource, ec2.CfnFlowLog)
        options = Stack.of(self).resolve(flow_log_resource.destination_options)
        for key, value in options.items():
            flow_log_resource.add_property_deletion_override(f"DestinationOptions.{key}")
            flow_log_resource.add_property_override(f"DestinationOptions.{key[0].upper()}{key[1:]}", value)
        _drop_redundant_provider_dependency(self)
        for subnet in self.vpc.public_subnets:
            acknowledge(
                subnet.node.find_child("DefaultRoute"),
                "VPCNoUnrestrictedRouteToIGW",
                reason="Public subnets hold only the internet-facing ALB and the NAT gateways; compensating "
                "controls: no public IPs on launch, WAF on the ALB, security groups admitting 443/80 only",
            )


def _drop_redundant_provider_dependency(scope: Construct) -> None:
    """The default-security-group provider's handler both DependsOn and GetAtts its role; keep the GetAtt."""
    provider = Stack.of(scope).node.try_find_child("Custom::VpcRestrictDefaultSGCustomResourceProvider")
    if provider is None:
        return
    handler = provider.node.find_child("Handler")
    role = provider.node.find_child("Role")
    assert isinstance(handler, CfnResource)
    assert isinstance(role, CfnResource)
    handler.remove_resource_dependency(role)
