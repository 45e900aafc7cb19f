"""The app factory that both app.py and the tests call, so tests check exactly what synth deploys."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import App, Environment, Stack, Tags

from compliance.packs import register_checks
from settings.profile import EnvironmentConfig
from stacks.compute import ComputeStack
from stacks.network import NetworkStack
from stacks.observability import ObservabilityStack
from stacks.security import SecurityStack


@dataclass(frozen=True)
class PaymentServiceStacks:
    security: SecurityStack
    network: NetworkStack
    compute: ComputeStack
    observability: ObservabilityStack

    def all(self) -> tuple[Stack, ...]:
        return (self.security, self.network, self.compute, self.observability)


def build_payment_app(app: App, config: EnvironmentConfig, *, checks: bool = True) -> PaymentServiceStacks:
    """Add one environment's stacks to `app`; `checks` registers the cdk-nag packs that fail synth on any finding."""
    env = Environment(account=config.account, region=config.region)
    names = config.names
    security = SecurityStack(
        app,
        "Security",
        config=config,
        env=env,
        stack_name=names.stack("Security"),
        description=f"{config.service_name} ({config.name}): KMS keys, audit log stores, WAF, certificate",
        termination_protection=config.termination_protection,
    )
    network = NetworkStack(
        app,
        "Network",
        config=config,
        flow_log_bucket=security.flow_log_bucket,
        env=env,
        stack_name=names.stack("Network"),
        description=f"{config.service_name} ({config.name}): VPC, NAT gateway per zone, endpoints, flow logs",
    )
    compute = ComputeStack(
        app,
        "Compute",
        config=config,
        vpc=network.vpc,
        egress_ready=network.egress_ready,
        certificate=security.certificate,
        web_acl_arn=security.web_acl_arn,
        alb_log_bucket=security.alb_log_bucket,
        app_log_group=security.app_log_group,
        data_key=security.data_key,
        processor_secret=security.processor_secret,
        env=env,
        stack_name=names.stack("Compute"),
        description=f"{config.service_name} ({config.name}): HTTPS ALB with WAF, payment service on ECS Fargate",
    )
    observability = ObservabilityStack(
        app,
        "Observability",
        config=config,
        load_balancer=compute.load_balancer.load_balancer,
        target_group=compute.load_balancer.target_group,
        service=compute.payments.service,
        cluster=compute.payments.cluster,
        app_log_group=security.app_log_group,
        waf_log_group=security.waf_log_group,
        data_key=security.data_key,
        env=env,
        stack_name=names.stack("Observability"),
        description=f"{config.service_name} ({config.name}): alarms, dashboard, log queries, cost budget",
    )
    for key, value in config.tags.items():
        Tags.of(app).add(key, value)
    if checks:
        register_checks(app)
    return PaymentServiceStacks(security=security, network=network, compute=compute, observability=observability)
