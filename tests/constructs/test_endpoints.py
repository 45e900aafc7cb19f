"""components/endpoints.py: tasks pull images, ship logs and reach AWS APIs with every NAT gateway down."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import aws_ec2 as ec2

from components.endpoints import GATEWAY_ENDPOINTS, INTERFACE_ENDPOINTS, ServiceEndpoints
from tests.support.bare import REGION, bare_stack, properties, resources, template

CIDR = "10.10.0.0/16"


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    stack = bare_stack()
    vpc = ec2.Vpc(
        stack, "Vpc", ip_addresses=ec2.IpAddresses.cidr(CIDR), availability_zones=["us-east-1a", "us-east-1b"]
    )
    ServiceEndpoints(stack, "Endpoints", vpc=vpc, vpc_cidr=CIDR)
    return template(stack)


def test_gateway_endpoints_for_s3_and_dynamodb_serve_every_route_table(document: dict[str, Any]) -> None:
    gateways = [e for e in properties(document, "AWS::EC2::VPCEndpoint") if "RouteTableIds" in e]
    assert sorted(e["ServiceName"]["Fn::Join"][1][-1] for e in gateways) == [".dynamodb", ".s3"]
    assert len(gateways) == len(GATEWAY_ENDPOINTS)
    route_tables = set(resources(document, "AWS::EC2::RouteTable"))
    for endpoint in gateways:
        assert {ref["Ref"] for ref in endpoint["RouteTableIds"]} == route_tables


def test_interface_endpoints_cover_what_a_task_needs_with_private_dns(document: dict[str, Any]) -> None:
    interfaces = [e for e in properties(document, "AWS::EC2::VPCEndpoint") if e["VpcEndpointType"] == "Interface"]
    # Pull an image (ECR API + Docker registry; layers come through the S3 gateway endpoint), ship logs,
    # publish metrics, read secrets, decrypt, and assume the task role.
    required = {
        f"com.amazonaws.{REGION}.{name}"
        for name in ("ecr.api", "ecr.dkr", "logs", "monitoring", "secretsmanager", "kms", "sts")
    }
    assert {e["ServiceName"] for e in interfaces} == required
    assert len(interfaces) == len(INTERFACE_ENDPOINTS)
    for endpoint in interfaces:
        assert endpoint["PrivateDnsEnabled"] is True


def test_endpoint_security_group_admits_only_https_from_the_vpc(document: dict[str, Any]) -> None:
    interfaces = [e for e in properties(document, "AWS::EC2::VPCEndpoint") if e["VpcEndpointType"] == "Interface"]
    group_ids = {group["Fn::GetAtt"][0] for e in interfaces for group in e["SecurityGroupIds"]}
    assert len(group_ids) == 1
    (group,) = [resources(document, "AWS::EC2::SecurityGroup")[gid]["Properties"] for gid in group_ids]
    (ingress,) = group["SecurityGroupIngress"]
    assert ingress == {
        "CidrIp": CIDR,
        "Description": "HTTPS from the VPC",
        "FromPort": 443,
        "IpProtocol": "tcp",
        "ToPort": 443,
    }
    # CDK's placeholder for "no egress": a rule that matches no traffic.
    assert group["SecurityGroupEgress"] == [
        {
            "CidrIp": "255.255.255.255/32",
            "Description": "Disallow all traffic",
            "FromPort": 252,
            "IpProtocol": "icmp",
            "ToPort": 86,
        }
    ]
