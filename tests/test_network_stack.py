"""Network stack guarantees: NAT per zone, no public IPs, closed default SG, endpoints, flow logs."""

from __future__ import annotations

from typing import Any

import pytest

from components.endpoints import INTERFACE_ENDPOINTS
from tests.conftest import Synthesized, synthesize

NETWORK = "Network"


def subnets_of_type(synthesized: Synthesized, subnet_type: str) -> dict[str, dict[str, Any]]:
    return {
        logical_id: resource
        for logical_id, resource in synthesized.resources(NETWORK, "AWS::EC2::Subnet").items()
        if {"Key": "aws-cdk:subnet-type", "Value": subnet_type} in resource["Properties"]["Tags"]
    }


def test_one_nat_gateway_per_availability_zone(each_profile: Synthesized) -> None:
    public = subnets_of_type(each_profile, "Public")
    gateways = each_profile.properties(NETWORK, "AWS::EC2::NatGateway")
    assert len(gateways) == each_profile.config.az_count == len(public)
    assert {gateway["SubnetId"]["Ref"] for gateway in gateways} == set(public)
    zones = {public[gateway["SubnetId"]["Ref"]]["Properties"]["AvailabilityZone"] for gateway in gateways}
    assert zones == set(each_profile.config.availability_zones)


def test_each_private_subnet_routes_through_the_nat_gateway_in_its_own_zone(each_profile: Synthesized) -> None:
    subnets = each_profile.resources(NETWORK, "AWS::EC2::Subnet")
    zone_of_table = {
        a["Properties"]["RouteTableId"]["Ref"]: subnets[a["Properties"]["SubnetId"]["Ref"]]["Properties"][
            "AvailabilityZone"
        ]
        for a in each_profile.resources(NETWORK, "AWS::EC2::SubnetRouteTableAssociation").values()
    }
    nats = each_profile.resources(NETWORK, "AWS::EC2::NatGateway")
    nat_routes = [r for r in each_profile.properties(NETWORK, "AWS::EC2::Route") if "NatGatewayId" in r]
    assert len(nat_routes) == len(subnets_of_type(each_profile, "Private"))
    for route in nat_routes:
        nat_subnet = nats[route["NatGatewayId"]["Ref"]]["Properties"]["SubnetId"]["Ref"]
        assert route["DestinationCidrBlock"] == "0.0.0.0/0"
        assert subnets[nat_subnet]["Properties"]["AvailabilityZone"] == zone_of_table[route["RouteTableId"]["Ref"]]


def test_vpc_spans_the_profiles_zones_in_three_tiers(each_profile: Synthesized) -> None:
    for tier in ("Public", "Private", "Isolated"):
        subnets = subnets_of_type(each_profile, tier)
        zones = sorted(s["Properties"]["AvailabilityZone"] for s in subnets.values())
        assert zones == sorted(each_profile.config.availability_zones)


def test_no_subnet_assigns_public_ips_on_launch(each_profile: Synthesized) -> None:
    for subnet in each_profile.properties(NETWORK, "AWS::EC2::Subnet"):
        assert subnet["MapPublicIpOnLaunch"] is False


def test_default_security_group_is_stripped_of_all_rules(dev: Synthesized) -> None:
    (restrict,) = dev.properties(NETWORK, "Custom::VpcRestrictDefaultSG")
    vpc_id = dev.logical_id(dev.stacks.network.vpc)
    assert restrict["DefaultSecurityGroupId"] == {"Fn::GetAtt": [vpc_id, "DefaultSecurityGroup"]}


def test_nat_gateways_get_new_elastic_ips_by_default(dev: Synthesized) -> None:
    assert len(dev.resources(NETWORK, "AWS::EC2::EIP")) == dev.config.az_count


def test_nat_gateways_reuse_given_elastic_ip_allocations() -> None:
    allocations = ["eipalloc-0aaaaaaaaaaaaaaa1", "eipalloc-0aaaaaaaaaaaaaaa2"]
    reused = synthesize("dev", {"config.nat_eip_allocation_ids": ",".join(allocations)})
    assert reused.resources(NETWORK, "AWS::EC2::EIP") == {}
    assert sorted(g["AllocationId"] for g in reused.properties(NETWORK, "AWS::EC2::NatGateway")) == allocations


def test_gateway_endpoints_for_s3_and_dynamodb_serve_every_route_table(dev: Synthesized) -> None:
    gateways = [e for e in dev.properties(NETWORK, "AWS::EC2::VPCEndpoint") if "RouteTableIds" in e]
    services = sorted(e["ServiceName"]["Fn::Join"][1][-1] for e in gateways)
    assert services == [".dynamodb", ".s3"]
    route_tables = set(dev.resources(NETWORK, "AWS::EC2::RouteTable"))
    for endpoint in gateways:
        assert {ref["Ref"] for ref in endpoint["RouteTableIds"]} == route_tables


def test_interface_endpoints_let_tasks_run_without_nat(dev: Synthesized) -> None:
    interfaces = [e for e in dev.properties(NETWORK, "AWS::EC2::VPCEndpoint") if e["VpcEndpointType"] == "Interface"]
    services = {e["ServiceName"] for e in interfaces}
    # Pull an image (ECR API + Docker registry; layers come through the S3 gateway endpoint), ship logs,
    # publish metrics, read secrets, decrypt, and assume the task role.
    required = {
        f"com.amazonaws.us-east-1.{name}"
        for name in ("ecr.api", "ecr.dkr", "logs", "monitoring", "secretsmanager", "kms", "sts")
    }
    assert services == required
    assert len(interfaces) == len(INTERFACE_ENDPOINTS)
    private = set(subnets_of_type(dev, "Private"))
    for endpoint in interfaces:
        assert endpoint["PrivateDnsEnabled"] is True
        assert {ref["Ref"] for ref in endpoint["SubnetIds"]} == private


def test_endpoint_security_group_admits_only_https_from_the_vpc(each_profile: Synthesized) -> None:
    endpoints = each_profile.properties(NETWORK, "AWS::EC2::VPCEndpoint")
    group_ids = {
        group["Fn::GetAtt"][0]
        for e in endpoints
        if e["VpcEndpointType"] == "Interface"
        for group in e["SecurityGroupIds"]
    }
    assert len(group_ids) == 1
    (group,) = [each_profile.resources(NETWORK, "AWS::EC2::SecurityGroup")[gid] for gid in group_ids]
    (ingress,) = group["Properties"]["SecurityGroupIngress"]
    assert ingress == {
        "CidrIp": each_profile.config.vpc_cidr,
        "Description": "HTTPS from the VPC",
        "FromPort": 443,
        "IpProtocol": "tcp",
        "ToPort": 443,
    }
    # CDK's placeholder for "no egress": a rule that matches no traffic.
    assert group["Properties"]["SecurityGroupEgress"] == [
        {
            "CidrIp": "255.255.255.255/32",
            "Description": "Disallow all traffic",
            "FromPort": 252,
            "IpProtocol": "icmp",
            "ToPort": 86,
        }
    ]


def test_flow_logs_capture_all_traffic_into_the_security_stacks_bucket(dev: Synthesized) -> None:
    (flow_log,) = dev.properties(NETWORK, "AWS::EC2::FlowLog")
    assert flow_log["ResourceType"] == "VPC"
    assert flow_log["ResourceId"] == {"Ref": dev.logical_id(dev.stacks.network.vpc)}
    assert flow_log["TrafficType"] == "ALL"
    assert flow_log["LogDestinationType"] == "s3"
    assert flow_log["DestinationOptions"] == {
        "FileFormat": "parquet",
        "HiveCompatiblePartitions": True,
        "PerHourPartition": True,
    }
    bucket = dev.logical_id(dev.stacks.security.flow_log_bucket)
    destination = flow_log["LogDestination"]["Fn::Join"][1]
    assert destination[0]["Fn::ImportValue"].startswith(f"payments-dev-Security:ExportsOutputFnGetAtt{bucket}Arn")
    assert destination[1] == "/vpc-flow-logs/"


@pytest.mark.parametrize("profile", ["dev", "prod"])
def test_network_stack_exposes_what_tasks_must_wait_for(profile: str, request: pytest.FixtureRequest) -> None:
    synthesized: Synthesized = request.getfixturevalue(profile)
    network = synthesized.stacks.network
    # One NAT route per private subnet plus every endpoint.
    assert len(network.egress_ready) == synthesized.config.az_count + len(INTERFACE_ENDPOINTS) + 2
