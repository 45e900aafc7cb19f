"""Compute stack: the HTTPS load balancer, WAF association and the payment service on Fargate."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aws_cdk import CfnOutput, Stack
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_route53 as route53
from aws_cdk import aws_route53_targets as targets
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct, IDependable

from components.container_contract import CONTRACT
from components.failover_record import FailoverRecord
from components.fargate_service import PaymentFargateService, container_image
from components.load_balancer import HttpsLoadBalancer
from components.task_roles import TaskRoles
from settings.profile import EnvironmentConfig


class ComputeStack(Stack):
    """Stateless: replacing it loses no data (logs, keys and secrets live in the Security stack)."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        config: EnvironmentConfig,
        vpc: ec2.IVpc,
        egress_ready: Sequence[IDependable],
        certificate: acm.ICertificate,
        web_acl_arn: str,
        alb_log_bucket: s3.IBucket,
        app_log_group: logs.ILogGroup,
        data_key: kms.IKey,
        processor_secret: secretsmanager.ISecret,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, id_, **kwargs)
        # Referenced by ARN: an object from the Security stack would let grants write this stack's roles
        # into that stack's policies, a cross-stack cycle.
        secret = secretsmanager.Secret.from_secret_complete_arn(self, "ProcessorSecret", processor_secret.secret_arn)

        self.load_balancer = HttpsLoadBalancer(
            self,
            "Ingress",
            vpc=vpc,
            certificate=certificate,
            web_acl_arn=web_acl_arn,
            access_log_bucket=alb_log_bucket,
            target_port=CONTRACT.port,
            deletion_protection=config.termination_protection,
        )
        image, repository_arn = container_image(self, config)
        roles = TaskRoles(
            self,
            "Roles",
            repository_arn=repository_arn,
            log_group=app_log_group,
            secret_arn=secret.secret_arn,
            key_arn=data_key.key_arn,
        )
        self.payments = PaymentFargateService(
            self,
            "Payments",
            config=config,
            vpc=vpc,
            image=image,
            execution_role=roles.execution_role.without_policy_updates(),
            task_role=roles.task_role.without_policy_updates(),
            log_group=app_log_group,
            secret=secret,
            target_group=self.load_balancer.target_group,
            load_balancer_security_group=self.load_balancer.security_group,
            egress_ready=egress_ready,
        )

        alb = self.load_balancer.load_balancer
        host = alb.load_balancer_dns_name
        tls = config.tls
        if tls.domain_name and tls.hosted_zone_id and tls.hosted_zone_name:
            zone = route53.HostedZone.from_hosted_zone_attributes(
                self, "Zone", hosted_zone_id=tls.hosted_zone_id, zone_name=tls.hosted_zone_name.rstrip(".")
            )
            if config.standby_region or config.role == "standby":
                FailoverRecord(
                    self,
                    "Failover",
                    zone=zone,
                    domain_name=tls.domain_name,
                    load_balancer=alb,
                    primary=config.role == "primary",
                )
            else:
                route53.ARecord(
                    self,
                    "ServiceAlias",
                    zone=zone,
                    record_name=tls.domain_name,
                    target=route53.RecordTarget.from_alias(targets.LoadBalancerTarget(alb)),
                )
            host = tls.domain_name
        CfnOutput(self, "ServiceUrl", value=f"https://{host}", description="HTTPS endpoint of the payment API")
        CfnOutput(self, "LoadBalancerDnsName", value=alb.load_balancer_dns_name)
        CfnOutput(self, "ClusterName", value=self.payments.cluster.cluster_name)
        CfnOutput(self, "ServiceName", value=self.payments.service.service_name)
