"""VPC endpoints: the tasks' only way to AWS, each open to this account's callers and resources only.

What a task reaches, and through which endpoint (the execution role's calls at task start, the task role's
calls from the service):

| Endpoint | Calls |
|---|---|
| `ecr.api`, `ecr.dkr` | the image's manifest and layer locations (execution role) |
| S3 gateway | the image layers, from ECR's layer bucket of the region (presigned by ECR) |
| `logs` | the awslogs driver's log streams and events (execution role) |
| `secretsmanager` | the processor secret, injected at task start (execution role) |
| DynamoDB gateway | the ledger table (task role) |

Nothing else is called from the VPC: metrics are log lines, the secret's key is used by Secrets Manager and the
table's by DynamoDB, and task credentials come from ECS, not STS. So there is no `monitoring`, `kms` or `sts`
endpoint. The interface endpoints' security group admits the tasks' security group only (`admit`).
"""

from __future__ import annotations

from collections.abc import Iterable

from aws_cdk import Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from constructs import Construct

GATEWAY_ENDPOINTS: dict[str, ec2.GatewayVpcEndpointAwsService] = {
    "S3": ec2.GatewayVpcEndpointAwsService.S3,
    "DynamoDb": ec2.GatewayVpcEndpointAwsService.DYNAMODB,
}
INTERFACE_ENDPOINTS: dict[str, ec2.InterfaceVpcEndpointAwsService] = {
    "EcrApi": ec2.InterfaceVpcEndpointAwsService.ECR,
    "EcrDocker": ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER,
    "Logs": ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
    "SecretsManager": ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
}
HTTPS_PORT = 443
HTTPS = ec2.Port.tcp(HTTPS_PORT)


def layer_bucket(region: str) -> str:
    """ECR's bucket of image layers in `region` (AWS documents it for S3 gateway endpoint policies)."""
    return f"prod-{region}-starport-layer-bucket"


class ServiceEndpoints(Construct):
    """Gateway endpoints for S3 and DynamoDB; interface endpoints with private DNS in the private subnets.

    `image_accounts`: the accounts of the ECR repositories the tasks pull from besides this one (pinned images).
    """

    def __init__(self, scope: Construct, id_: str, *, vpc: ec2.IVpc, image_accounts: Iterable[str] = ()) -> None:
        super().__init__(scope, id_)
        stack = Stack.of(self)
        region, account = stack.region, stack.account
        # Where the endpoints are, and the ones AWS services create in the VPC (GuardDuty's, for its runtime agent).
        self.vpc_cidr: str = vpc.vpc_cidr_block
        self.security_group: ec2.SecurityGroup = ec2.SecurityGroup(
            self,
            "SecurityGroup",
            vpc=vpc,
            description="Interface endpoints: HTTPS from the payment tasks only",
            allow_all_outbound=False,
        )
        callers = {"StringEquals": {"aws:PrincipalAccount": account}}
        repositories = [f"arn:aws:ecr:{region}:{owner}:repository/*" for owner in sorted({account, *image_accounts})]
        interface_policies: dict[str, list[iam.PolicyStatement]] = {
            "EcrApi": _ecr_statements(repositories, callers),
            "EcrDocker": _ecr_statements(repositories, callers),
            "Logs": [_allow("logs:*", [f"arn:aws:logs:{region}:{account}:log-group:*"], callers)],
            "SecretsManager": [
                _allow("secretsmanager:*", [f"arn:aws:secretsmanager:{region}:{account}:secret:*"], callers)
            ],
        }
        gateway_policies: dict[str, list[iam.PolicyStatement]] = {
            # Layer downloads are presigned by ECR, so the caller is not a principal of this account.
            "S3": [_allow("s3:GetObject", [f"arn:aws:s3:::{layer_bucket(region)}/*"], None)],
            "DynamoDb": [_allow("dynamodb:*", [f"arn:aws:dynamodb:{region}:{account}:table/*"], callers)],
        }
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
        for name, gateway in self.gateway_endpoints.items():
            for statement in gateway_policies[name]:
                gateway.add_to_policy(statement)
        for name, interface in self.interface_endpoints.items():
            for statement in interface_policies[name]:
                interface.add_to_policy(statement)

    def admit(self, tasks: ec2.ISecurityGroup) -> None:
        """The tasks' security group may reach the interface endpoints over HTTPS; nothing else may."""
        tasks.connections.allow_to(self.security_group, HTTPS, "HTTPS to the VPC endpoints")


def _allow(actions: str, resources: list[str], conditions: dict[str, dict[str, str]] | None) -> iam.PolicyStatement:
    return iam.PolicyStatement(
        principals=[iam.AnyPrincipal()], actions=[actions], resources=resources, conditions=conditions
    )


def _ecr_statements(repositories: list[str], callers: dict[str, dict[str, str]]) -> list[iam.PolicyStatement]:
    return [
        # The registry login names no repository.
        _allow("ecr:GetAuthorizationToken", ["*"], callers),
        _allow("ecr:*", repositories, callers),
    ]
