"""Network stack: the VPC, its NAT gateways, endpoints and flow logs."""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from constructs import Construct, IDependable

from components.egress_firewall import EgressFirewall
from components.endpoints import ServiceEndpoints
from components.generated_functions import harden_generated_functions
from components.vpc import EGRESS, FIREWALL, PaymentVpc
from settings.environment import EnvironmentConfig
from settings.limits import ECR_IMAGE_PATTERN
from settings.regions import GUARDDUTY_AGENT_ACCOUNTS


class NetworkStack(Stack):
    """Stateless network; its flow logs land in the security stack's bucket so replacing it loses none."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        config: EnvironmentConfig,
        flow_log_bucket: s3.IBucket,
        generated_function_log_group: logs.ILogGroup,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, id_, **kwargs)
        network = PaymentVpc(
            self,
            "Network",
            network=config.network,
            availability_zones=config.availability_zones,
            flow_log_bucket=flow_log_bucket,
        )
        self.vpc: ec2.IVpc = network.vpc
        harden_generated_functions(self, log_group=generated_function_log_group)
        images = [config.compute.container_image, *(sidecar.image for sidecar in config.compute.sidecars)]
        self.endpoints = endpoints = ServiceEndpoints(
            self,
            "Endpoints",
            vpc=self.vpc,
            image_accounts=[match["account"] for image in images if image and (match := ECR_IMAGE_PATTERN.match(image))]
            # GuardDuty's Fargate agent, which the execution role pulls once Runtime Monitoring manages it.
            + [GUARDDUTY_AGENT_ACCOUNTS[config.region]],
        )
        # What a task needs before it can start: egress through NAT, and the endpoints that stand in for it.
        self.egress_ready: list[IDependable] = [
            *(subnet.internet_connectivity_established for subnet in self.vpc.private_subnets),
            *endpoints.interface_endpoints.values(),
            *endpoints.gateway_endpoints.values(),
        ]
        self.egress_firewall: EgressFirewall | None = None
        if network.firewalled:
            self.egress_firewall = EgressFirewall(
                self,
                "EgressFirewall",
                vpc=self.vpc,
                hosts=config.network.processor_hosts,
                private_subnets=self.vpc.private_subnets,
                firewall_subnets=self.vpc.select_subnets(subnet_group_name=FIREWALL).subnets,
                nat_subnets=self.vpc.select_subnets(subnet_group_name=EGRESS).subnets,
                names=config.names,
            )
            self.egress_ready += [*self.egress_firewall.firewalls, *self.egress_firewall.routes]
