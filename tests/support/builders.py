"""Real constructs of the app, built together in a bare stack, for the tests of the constructs that watch them."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Stack
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager

from components.container_contract import CONTRACT
from components.endpoints import ServiceEndpoints
from components.fargate_service import PaymentFargateService, ServiceLedger, TaskEgress, pulled_image
from components.load_balancer import HttpsLoadBalancer
from settings.naming import PhysicalNames
from settings.regions import gateway_prefix_lists
from settings.sections import ClientAuthentication, ComputeSettings
from tests.support.bare import ACCOUNT, REGION

NAMES = PhysicalNames(service="payments", environment="test")
LEDGER = ServiceLedger(table_name="ledger", client_authentication=ClientAuthentication.MUTUAL_TLS, idempotency_hours=24)
IMAGE = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/payments@sha256:" + "a" * 64


@dataclass(frozen=True)
class LoadBalancedService:
    load_balancer: HttpsLoadBalancer
    payments: PaymentFargateService


def load_balanced_service(stack: Stack, compute: ComputeSettings | None = None) -> LoadBalancedService:
    """The ALB and the Fargate service as the Compute stack builds them, with stand-in inputs."""
    compute = compute or ComputeSettings(container_image=IMAGE)
    vpc = ec2.Vpc(stack, "Vpc", availability_zones=["us-east-1a", "us-east-1b"])
    certificate = acm.Certificate.from_certificate_arn(
        stack, "Certificate", f"arn:aws:acm:{REGION}:{ACCOUNT}:certificate/00000000-0000-4000-8000-000000000000"
    )
    load_balancer = HttpsLoadBalancer(
        stack,
        "Ingress",
        vpc=vpc,
        certificate=certificate,
        web_acl_arn=f"arn:aws:wafv2:{REGION}:{ACCOUNT}:regional/webacl/{NAMES.web_acl}/abc",
        access_log_bucket=s3.Bucket(stack, "AlbAccessLogBucket"),
        target_port=CONTRACT.port,
        deletion_protection=False,
    )
    role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com"))
    payments = PaymentFargateService(
        stack,
        "Payments",
        compute=compute,
        names=NAMES,
        vpc=vpc,
        image=pulled_image(stack, compute.container_image, compute.cpu_architecture).image,
        sidecar_images={},
        execution_role=role,
        task_role=role,
        log_group=logs.LogGroup(stack, "AppLogGroup"),
        secret=secretsmanager.Secret(stack, "ProcessorSecret"),
        ledger=LEDGER,
        target_group=load_balancer.target_group,
        load_balancer_security_group=load_balancer.security_group,
        egress=TaskEgress(ServiceEndpoints(stack, "Endpoints", vpc=vpc), gateway_prefix_lists(REGION)),
        egress_ready=[],
    )
    return LoadBalancedService(load_balancer, payments)
