"""VPC endpoints that let tasks pull images, ship logs and reach AWS APIs with every NAT gateway down."""

from __future__ import annotations

from aws_cdk import aws_ec2 as ec2
from constructs import Construct

GATEWAY_ENDPOINTS: dict[str, ec2.GatewayVpcEndpointAwsService] = {
    "S3": ec2.GatewayVpcEndpointAwsService.S3,
    "DynamoDb": ec2.GatewayVpcEndpointAwsService.DYNAMODB,
}
INTERFACE_ENDPOINTS: dict[str, ec2.InterfaceVpcEndpointAwsService] = {
    "EcrApi": ec2.InterfaceVpcEndpointAwsService.ECR,
    "EcrDocker": ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER,
    "Logs": ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
    "Monitoring": ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_MONITORING,
    "SecretsManager": ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
    "Kms": ec2.InterfaceVpcEndpointAwsService.KMS,
    "Sts": ec2.InterfaceVpcEndpointAwsService.STS,
}


class ServiceEndpoints(Construct):
    """Gateway endpoints for S3 and DynamoDB; interface endpoints with private DNS in the private subnets.

    All interface endpoints share one security group that admits HTTPS from the VPC's literal CIDR only
    (a literal, not a token, so that policy checks can read it).
    """

    def __init__(self, scope: Construct, id_: str, *, vpc: ec2.IVpc, vpc_cidr: str) -> None:
        super().__init__(scope, id_)
        self.security_group: ec2.SecurityGroup = ec2.SecurityGroup(
            self,
            "SecurityGroup",
            vpc=vpc,
            description="Interface endpoints: HTTPS from inside the VPC only",
            allow_all_outbound=False,
        )
        self.security_group.add_ingress_rule(ec2.Peer.ipv4(vpc_cidr), ec2.Port.tcp(443), "HTTPS from the VPC")
        self.gateway_endpoints: dict[str, ec2.GatewayVpcEndpoint] = {
            name: vpc.add_gateway_endpoint(name, service=service) for name, service in GATEWAY_ENDPOINTS.items()
        }
        self.interface_endpoints: dict[str, ec2.InterfaceVpcEndpoint] = {
            name: vpc.add_interface_endpoint(
                name,
                service=service,
                private_dns_enabled=True,
                open=False,
                security_groups=[self.security_group],
                subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
            )
            for name, service in INTERFACE_ENDPOINTS.items()
        }
