"""components/vpc.py: one NAT gateway per zone, three tiers, no public IPs, a closed default security group,
and flow logs of all traffic to S3 in the layout their bucket policy admits."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import aws_s3 as s3

from components.vpc import PaymentVpc
from settings.sections import NetworkSettings
from tests.support.bare import ACCOUNT, bare_stack, one, properties, resources, template

ZONES = ("us-east-1a", "us-east-1b", "us-east-1c")
REUSED = ("eipalloc-0aaaaaaaaaaaaaaa1", "eipalloc-0aaaaaaaaaaaaaaa2", "eipalloc-0aaaaaaaaaaaaaaa3")


def build(network: NetworkSettings) -> dict[str, Any]:
    stack = bare_stack()
    PaymentVpc(
        stack,
        "Network",
        network=network,
        availability_zones=ZONES[: network.az_count],
        flow_log_bucket=s3.Bucket(stack, "FlowLogBucket"),
    )
    return template(stack)


@pytest.fixture(scope="module", params=[2, 3], ids=["2 zones", "3 zones"])
def network(request: pytest.FixtureRequest) -> tuple[int, dict[str, Any]]:
    zones: int = request.param
    return zones, build(NetworkSettings(az_count=zones, vpc_cidr="10.10.0.0/16"))


def subnets_of_type(document: dict[str, Any], subnet_type: str) -> dict[str, dict[str, Any]]:
    return {
        logical_id: resource
        for logical_id, resource in resources(document, "AWS::EC2::Subnet").items()
        if {"Key": "aws-cdk:subnet-type", "Value": subnet_type} in resource["Properties"]["Tags"]
    }


def test_one_nat_gateway_per_availability_zone(network: tuple[int, dict[str, Any]]) -> None:
    zones, document = network
    public = subnets_of_type(document, "Public")
    gateways = properties(document, "AWS::EC2::NatGateway")
    assert len(gateways) == zones == len(public)
    assert {gateway["SubnetId"]["Ref"] for gateway in gateways} == set(public)
    assert {public[g["SubnetId"]["Ref"]]["Properties"]["AvailabilityZone"] for g in gateways} == set(ZONES[:zones])


def test_each_private_subnet_routes_through_the_nat_gateway_in_its_own_zone(
    network: tuple[int, dict[str, Any]],
) -> None:
    _, document = network
    subnets = resources(document, "AWS::EC2::Subnet")
    zone_of_table = {
        a["Properties"]["RouteTableId"]["Ref"]: subnets[a["Properties"]["SubnetId"]["Ref"]]["Properties"][
            "AvailabilityZone"
        ]
        for a in resources(document, "AWS::EC2::SubnetRouteTableAssociation").values()
    }
    nats = resources(document, "AWS::EC2::NatGateway")
    nat_routes = [r for r in properties(document, "AWS::EC2::Route") if "NatGatewayId" in r]
    assert len(nat_routes) == len(subnets_of_type(document, "Private"))
    for route in nat_routes:
        nat_subnet = nats[route["NatGatewayId"]["Ref"]]["Properties"]["SubnetId"]["Ref"]
        assert route["DestinationCidrBlock"] == "0.0.0.0/0"
        assert subnets[nat_subnet]["Properties"]["AvailabilityZone"] == zone_of_table[route["RouteTableId"]["Ref"]]


def test_vpc_spans_every_zone_in_three_tiers(network: tuple[int, dict[str, Any]]) -> None:
    zones, document = network
    for tier in ("Public", "Private", "Isolated"):
        found = sorted(s["Properties"]["AvailabilityZone"] for s in subnets_of_type(document, tier).values())
        assert found == list(ZONES[:zones])


def test_no_subnet_assigns_public_ips_on_launch(network: tuple[int, dict[str, Any]]) -> None:
    _, document = network
    for subnet in properties(document, "AWS::EC2::Subnet"):
        assert subnet["MapPublicIpOnLaunch"] is False


def test_default_security_group_is_stripped_of_all_rules(network: tuple[int, dict[str, Any]]) -> None:
    _, document = network
    restrict = one(document, "Custom::VpcRestrictDefaultSG")
    (vpc_id,) = resources(document, "AWS::EC2::VPC")
    assert restrict["DefaultSecurityGroupId"] == {"Fn::GetAtt": [vpc_id, "DefaultSecurityGroup"]}


def test_nat_gateways_get_new_elastic_ips_unless_given_allocations() -> None:
    assert len(resources(build(NetworkSettings(az_count=3)), "AWS::EC2::EIP")) == 3
    reused = build(NetworkSettings(az_count=3, nat_eip_allocation_ids=REUSED))
    assert resources(reused, "AWS::EC2::EIP") == {}
    assert sorted(g["AllocationId"] for g in properties(reused, "AWS::EC2::NatGateway")) == list(REUSED)


def test_flow_log_captures_all_traffic_as_hourly_hive_parquet_in_the_path_the_bucket_admits(
    network: tuple[int, dict[str, Any]],
) -> None:
    _, document = network
    flow_log = one(document, "AWS::EC2::FlowLog")
    (vpc_id,) = resources(document, "AWS::EC2::VPC")
    assert (flow_log["ResourceType"], flow_log["ResourceId"]) == ("VPC", {"Ref": vpc_id})
    assert (flow_log["TrafficType"], flow_log["LogDestinationType"]) == ("ALL", "s3")
    assert flow_log["MaxAggregationInterval"] == 60
    # PascalCase: what AWS::EC2::FlowLog reads (CDK writes camelCase, aws-cdk issue 25432).
    assert flow_log["DestinationOptions"] == {
        "FileFormat": "parquet",
        "HiveCompatiblePartitions": True,
        "PerHourPartition": True,
    }
    assert flow_log["LogDestination"]["Fn::Join"][1][1] == "/vpc-flow-logs/"
    (policy,) = properties(document, "AWS::S3::BucketPolicy")
    writes = [s for s in policy["PolicyDocument"]["Statement"] if s["Action"] == "s3:PutObject"]
    (write,) = writes
    assert write["Resource"]["Fn::Join"][1][1] == f"/vpc-flow-logs/AWSLogs/aws-account-id={ACCOUNT}/*"
