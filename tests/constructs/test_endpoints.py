"""components/endpoints.py: the tasks' only way to AWS, open to the tasks and to this account only."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import aws_ec2 as ec2

from components.endpoints import GATEWAY_ENDPOINTS, INTERFACE_ENDPOINTS, ServiceEndpoints, layer_bucket
from tests.support.bare import ACCOUNT, REGION, bare_stack, properties, resources, template

CIDR = "10.10.0.0/16"
IMAGE_ACCOUNT = "999999999999"


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    stack = bare_stack()
    vpc = ec2.Vpc(
        stack, "Vpc", ip_addresses=ec2.IpAddresses.cidr(CIDR), availability_zones=["us-east-1a", "us-east-1b"]
    )
    endpoints = ServiceEndpoints(stack, "Endpoints", vpc=vpc, image_accounts=[IMAGE_ACCOUNT])
    endpoints.admit(ec2.SecurityGroup(stack, "Tasks", vpc=vpc, allow_all_outbound=False))
    return template(stack)


def endpoints(document: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    """Endpoints of `kind` by the service they reach (`s3`, `ecr.api`, ...)."""
    found = {}
    for endpoint in properties(document, "AWS::EC2::VPCEndpoint"):
        if endpoint["VpcEndpointType"] != kind:
            continue
        name = endpoint["ServiceName"]
        service = name.removeprefix(f"com.amazonaws.{REGION}.") if isinstance(name, str) else name["Fn::Join"][1][-1]
        found[service.lstrip(".")] = endpoint
    return found


def test_gateway_endpoints_for_s3_and_dynamodb_serve_every_route_table(document: dict[str, Any]) -> None:
    gateways = endpoints(document, "Gateway")
    assert sorted(gateways) == ["dynamodb", "s3"]
    assert len(gateways) == len(GATEWAY_ENDPOINTS)
    route_tables = set(resources(document, "AWS::EC2::RouteTable"))
    for endpoint in gateways.values():
        assert {ref["Ref"] for ref in endpoint["RouteTableIds"]} == route_tables


def test_interface_endpoints_are_exactly_what_a_task_calls_with_private_dns(document: dict[str, Any]) -> None:
    """Pull an image (ECR API and registry; layers through the S3 gateway endpoint), ship logs, read the secret
    at start. Metrics are log lines, keys are used by the services that hold the data, credentials come from
    ECS: no `monitoring`, `kms` or `sts` endpoint."""
    interfaces = endpoints(document, "Interface")
    assert sorted(interfaces) == ["ecr.api", "ecr.dkr", "logs", "secretsmanager"]
    assert len(interfaces) == len(INTERFACE_ENDPOINTS)
    assert all(endpoint["PrivateDnsEnabled"] is True for endpoint in interfaces.values())


def test_endpoint_security_group_admits_only_https_from_the_tasks(document: dict[str, Any]) -> None:
    group_ids = {g["Fn::GetAtt"][0] for e in endpoints(document, "Interface").values() for g in e["SecurityGroupIds"]}
    (group_id,) = group_ids
    group = resources(document, "AWS::EC2::SecurityGroup")[group_id]["Properties"]
    assert "SecurityGroupIngress" not in group
    (ingress,) = properties(document, "AWS::EC2::SecurityGroupIngress")
    assert ingress["GroupId"] == {"Fn::GetAtt": [group_id, "GroupId"]}
    assert ingress["SourceSecurityGroupId"]["Fn::GetAtt"][0].startswith("Tasks")
    assert (ingress["IpProtocol"], ingress["FromPort"], ingress["ToPort"]) == ("tcp", 443, 443)
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


def statements(endpoint: dict[str, Any]) -> list[dict[str, Any]]:
    return list(endpoint["PolicyDocument"]["Statement"])


def test_every_endpoint_admits_only_this_accounts_callers_and_resources(document: dict[str, Any]) -> None:
    expected = {
        "ecr.api": [
            "*",
            f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/*",
            f"arn:aws:ecr:{REGION}:{IMAGE_ACCOUNT}:repository/*",
        ],
        "logs": [f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:*"],
        "secretsmanager": [f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:*"],
        "dynamodb": [f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/*"],
    }
    expected["ecr.dkr"] = expected["ecr.api"]
    every = endpoints(document, "Interface") | endpoints(document, "Gateway")
    for service, resources_ in expected.items():
        found = statements(every[service])
        assert all(s["Effect"] == "Allow" and s["Principal"] == {"AWS": "*"} for s in found), service
        assert all(s["Condition"] == {"StringEquals": {"aws:PrincipalAccount": ACCOUNT}} for s in found), service
        named = [r for s in found for r in (s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]])]
        assert sorted(named) == sorted(resources_), service
    (token,) = [s for s in statements(every["ecr.api"]) if s["Resource"] == "*"]
    assert token["Action"] == "ecr:GetAuthorizationToken"


def test_the_s3_gateway_endpoint_reaches_ecrs_layer_bucket_and_nothing_else(document: dict[str, Any]) -> None:
    (statement,) = statements(endpoints(document, "Gateway")["s3"])
    assert (statement["Action"], statement["Resource"]) == ("s3:GetObject", f"arn:aws:s3:::{layer_bucket(REGION)}/*")
    assert "Condition" not in statement  # layer URLs are presigned by ECR: the caller is not this account
