"""Compute stack: the HTTPS load balancer, WAF association, the payment service on Fargate and its DNS name."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aws_cdk import CfnOutput, Stack
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct, IDependable

from components.container_contract import CONTRACT
from components.endpoints import ServiceEndpoints
from components.fargate_service import PaymentFargateService, ServiceLedger, TaskEgress, pulled_image
from components.load_balancer import HttpsLoadBalancer
from components.service_dns import ServiceDnsRecord
from components.task_roles import TaskRoles
from settings.environment import EnvironmentConfig
from settings.regions import gateway_prefix_lists, guardduty_agent_repository
from settings.sections import ClientAuthentication


class ComputeStack(Stack):
    """Stateless: replacing it loses no data (logs, keys and secrets live in the Security stack)."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        config: EnvironmentConfig,
        vpc: ec2.IVpc,
        endpoints: ServiceEndpoints,
        egress_ready: Sequence[IDependable],
        certificate: acm.ICertificate,
        web_acl_arn: str,
        alb_log_bucket: s3.IBucket,
        app_log_group: logs.ILogGroup,
        secrets_key: kms.IKey,
        processor_secret: secretsmanager.ISecret,
        ledger_table: dynamodb.ITable,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, id_, **kwargs)
        compute = config.compute
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
            client_ca_bundle=config.tls.client_ca_bundle_path
            if config.tls.client_authentication is ClientAuthentication.MUTUAL_TLS
            else None,
        )
        image = pulled_image(self, compute.container_image, compute.cpu_architecture)
        sidecar_images = {
            sidecar.name: pulled_image(self, sidecar.image, compute.cpu_architecture, id_prefix=sidecar.name)
            for sidecar in compute.sidecars
        }
        roles = TaskRoles(
            self,
            "Roles",
            repository_arns=[
                image.repository_arn,
                *(pulled.repository_arn for pulled in sidecar_images.values()),
                # GuardDuty adds its Fargate agent to every task once Runtime Monitoring manages it, pulled with
                # this role; a refused pull leaves the task running unwatched (GuardDuty starts it anyway).
                guardduty_agent_repository(config.region),
            ],
            log_group=app_log_group,
            secret_arn=secret.secret_arn,
            key_arn=secrets_key.key_arn,
            ledger_table_arn=ledger_table.table_arn,
            # Named: the processor secret's policy in the Security stack lets only this role read it.
            execution_role_name=config.names.execution_role(config.region),
        )
        self.payments = PaymentFargateService(
            self,
            "Payments",
            compute=compute,
            names=config.names,
            vpc=vpc,
            image=image.image,
            sidecar_images={name: pulled.image for name, pulled in sidecar_images.items()},
            execution_role=roles.execution_role.without_policy_updates(),
            task_role=roles.task_role.without_policy_updates(),
            log_group=app_log_group,
            secret=secret,
            ledger=ServiceLedger(
                table_name=ledger_table.table_name,
                client_authentication=config.tls.client_authentication,
                idempotency_hours=config.ledger.idempotency_hours,
            ),
            target_group=self.load_balancer.target_group,
            load_balancer_security_group=self.load_balancer.security_group,
            egress=TaskEgress(
                endpoints=endpoints,
                prefix_lists=gateway_prefix_lists(config.region),
                processor_cidrs=config.network.processor_cidrs,
                processor_hosts_firewalled=bool(config.network.processor_hosts),
            ),
            egress_ready=egress_ready,
            on_demand_base=config.on_demand_base,
        )

        alb = self.load_balancer.load_balancer
        host = alb.load_balancer_dns_name
        # The alarm Route 53's failover health check follows, where the region is meant to serve.
        self.region_health_alarm: cloudwatch.IAlarm | None = None
        if config.tls.domain_name and config.tls.hosted_zone_id:
            record = ServiceDnsRecord(
                self,
                ServiceDnsRecord.id_for(config.has_failover),
                tls=config.tls,
                load_balancer=alb,
                target_group=self.load_balancer.target_group,
                failover=config.has_failover,
                primary=not config.is_standby,
            )
            if not config.runs_idle:
                self.region_health_alarm = record.healthy_targets_alarm
            host = config.tls.domain_name
            # What `python -m ops failover` and `failback` read and set (ops/failover.py).
            if record.health_check is not None:
                CfnOutput(self, "RegionHealthCheckId", value=record.health_check.attr_health_check_id)
            if record.preference is not None:
                CfnOutput(self, "PreferenceHealthCheckId", value=record.preference.attr_health_check_id)
        CfnOutput(self, "ServiceUrl", value=f"https://{host}", description="HTTPS endpoint of the payment API")
        CfnOutput(self, "LoadBalancerDnsName", value=alb.load_balancer_dns_name)
        CfnOutput(self, "ClusterName", value=self.payments.cluster.cluster_name)
        CfnOutput(self, "ServiceName", value=self.payments.service.service_name)
        CfnOutput(self, "TargetGroupArn", value=self.load_balancer.target_group.target_group_arn)
