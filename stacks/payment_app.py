"""The app factory that both app.py and the tests call, so tests check exactly what synth deploys."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import App, Environment, Stack, Tags

from components.audit_alarms import AuditTrail
from rules.packs import register_checks
from settings.environment import EnvironmentConfig
from settings.errors import ConfigError
from stacks.compute import ComputeStack
from stacks.governance import GovernanceStack
from stacks.network import NetworkStack
from stacks.observability import ObservabilityStack
from stacks.security import SecurityStack


@dataclass(frozen=True)
class PaymentServiceStacks:
    """The four stacks of one region; `standby` holds the standby region's four, when the profile has one."""

    security: SecurityStack
    network: NetworkStack
    compute: ComputeStack
    observability: ObservabilityStack
    standby: PaymentServiceStacks | None = None
    # With `governance: create` only.
    governance: GovernanceStack | None = None

    def all(self) -> tuple[Stack, ...]:
        """This region's stacks (the standby region's are in `standby`)."""
        stacks: tuple[Stack, ...] = (self.security, self.network, self.compute, self.observability)
        return stacks + ((self.governance,) if self.governance else ())

    def every_region(self) -> tuple[Stack, ...]:
        return self.all() + (self.standby.all() if self.standby else ())


# Construct-id prefix of the standby region's stacks; the primary's keep their unprefixed ids.
STANDBY_PREFIX = "Standby"


def build_payment_app(app: App, config: EnvironmentConfig, *, checks: bool = True) -> PaymentServiceStacks:
    """Add one environment's stacks to `app` (in both regions when it has a standby); `checks` registers the
    cdk-nag packs that fail synth on any finding. `config` must come from `resolve_config` (it is validated
    again here, so that no stack ever sees a configuration that failed its checks)."""
    config.validated()
    if not config.availability_zones:
        raise ConfigError([f"environment {config.name!r}: no availability zones; build it with resolve_config"])
    standby = _region_stacks(app, config.standby(), STANDBY_PREFIX) if config.standby_region else None
    primary = _region_stacks(app, config, "")
    if standby is not None:
        # S3 refuses a replication rule whose destination bucket does not exist yet.
        primary.security.add_stack_dependency(standby.security, "the replica buckets must exist before replication")
    for key, value in config.tags.items():
        Tags.of(app).add(key, value)
    if checks:
        register_checks(app)
    return PaymentServiceStacks(
        security=primary.security,
        network=primary.network,
        compute=primary.compute,
        observability=primary.observability,
        standby=standby,
        governance=primary.governance,
    )


def _region_stacks(app: App, config: EnvironmentConfig, prefix: str) -> PaymentServiceStacks:
    """The four stacks in `config.region`; stack names are the same in both regions."""
    env = Environment(account=config.account, region=config.region)
    names = config.names
    where = f"{config.name}, {config.role} in {config.region}" if config.is_standby else config.name
    security = SecurityStack(
        app,
        f"{prefix}Security",
        config=config,
        env=env,
        stack_name=names.stack("Security"),
        description=f"{config.service_name} ({where}): KMS keys, audit log stores, WAF, certificate",
        termination_protection=config.termination_protection,
    )
    network = NetworkStack(
        app,
        f"{prefix}Network",
        config=config,
        flow_log_bucket=security.flow_log_bucket,
        generated_function_log_group=security.generated_function_log_group,
        env=env,
        stack_name=names.stack("Network"),
        description=f"{config.service_name} ({where}): VPC, NAT gateway per zone, endpoints, flow logs",
    )
    compute = ComputeStack(
        app,
        f"{prefix}Compute",
        config=config,
        vpc=network.vpc,
        endpoints=network.endpoints,
        egress_ready=network.egress_ready,
        certificate=security.certificate,
        web_acl_arn=security.web_acl_arn,
        alb_log_bucket=security.alb_log_bucket,
        app_log_group=security.app_log_group,
        secrets_key=security.secrets_key,
        processor_secret=security.processor_secret,
        ledger_table=security.ledger_table,
        env=env,
        stack_name=names.stack("Compute"),
        description=f"{config.service_name} ({where}): HTTPS ALB with WAF, payment service on ECS Fargate",
    )
    observability = ObservabilityStack(
        app,
        f"{prefix}Observability",
        config=config,
        load_balancer=compute.load_balancer,
        payments=compute.payments,
        app_log_group=security.app_log_group,
        waf_log_group=security.waf_log_group,
        topics_key=security.topics_key,
        data_key=security.data_key,
        audit_trail=AuditTrail(
            archive_stream=security.log_archive_stream_name,
            replicated=security.replicated_buckets,
            app_log_group=security.app_log_group.log_group_name,
            region_health=compute.region_health_alarm,
        ),
        audit_buckets=[
            security.server_access_log_bucket,
            security.flow_log_bucket,
            security.alb_log_bucket,
            security.log_archive_bucket,
            *security.replica_buckets.values(),
            # With `governance: create`: the trail's and AWS Config's bucket.
            *([security.governance_bucket] if security.governance_bucket is not None else []),
        ],
        endpoint_security_group=network.endpoints.security_group,
        env=env,
        stack_name=names.stack("Observability"),
        description=f"{config.service_name} ({where}): alarms, dashboard, log queries, cost budget",
    )
    governance = (
        GovernanceStack(
            app,
            f"{prefix}Governance",
            config=config,
            data_key=security.data_key,
            logs_key=security.logs_key,
            warning_topic=observability.topics.warning,
            env=env,
            stack_name=names.stack("Governance"),
            description=f"{config.service_name} ({where}): trail, AWS Config, Security Hub, GuardDuty, ECR scanning",
            # Deleting it removes the account's only trail, recorder, detector and hub.
            termination_protection=config.termination_protection,
        )
        if security.governance_bucket is not None
        else None
    )
    return PaymentServiceStacks(
        security=security, network=network, compute=compute, observability=observability, governance=governance
    )
