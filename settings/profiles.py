"""The environment profiles. Edit the account ids, domains and zones before a real deploy.

Profiles are data: nothing is validated when this module is imported. `resolve_config` validates the profile
it picks, so a mistake here is the same one-line error as a bad `-c config.…` override, naming the profile.
"""

from __future__ import annotations

from settings.environment import EnvironmentConfig
from settings.sections import (
    AlertingSettings,
    AuditLockMode,
    ClientAuthentication,
    ComputeSettings,
    DataClassification,
    DisasterRecoverySettings,
    EdgeSettings,
    NetworkSettings,
    RetentionSettings,
    StandbyMode,
    TlsSettings,
)

# Account ids and DNS names below are placeholders in reserved ranges (example.com); they make synth
# deterministic and are the first thing to replace before `cdk deploy` (see README, "Before you deploy").
# A placeholder: the CA of your API clients goes here (see README, "Before you deploy").
CLIENT_CA_BUNDLE = "certs/clients-ca.pem"
PROFILES: dict[str, EnvironmentConfig] = {
    "dev": EnvironmentConfig(
        name="dev",
        account="111111111111",
        region="us-east-1",
        cost_center="payments-dev",
        # dev holds no card data, so its clients need no certificate.
        data_classification=DataClassification.INTERNAL,
        network=NetworkSettings(az_count=2, vpc_cidr="10.10.0.0/16"),
        compute=ComputeSettings(min_tasks=2, desired_tasks=2, max_tasks=4, spot_weight=3),
        alerting=AlertingSettings(monthly_budget_usd=600),
        tls=TlsSettings(
            domain_name="payments.dev.example.com",
            hosted_zone_id="Z0EXAMPLEDEV000000001",
            hosted_zone_name="dev.example.com",
            client_authentication=ClientAuthentication.OFF,
        ),
    ),
    "staging": EnvironmentConfig(
        name="staging",
        account="222222222222",
        region="us-east-1",
        cost_center="payments-staging",
        network=NetworkSettings(az_count=3, vpc_cidr="10.20.0.0/16"),
        compute=ComputeSettings(min_tasks=3, desired_tasks=3, max_tasks=6),
        alerting=AlertingSettings(monthly_budget_usd=1200),
        tls=TlsSettings(
            certificate_arn="arn:aws:acm:us-east-1:222222222222:certificate/00000000-0000-4000-8000-000000000000",
            client_ca_bundle=CLIENT_CA_BUNDLE,
        ),
    ),
    "prod": EnvironmentConfig(
        name="prod",
        account="333333333333",
        region="us-east-1",
        cost_center="payments-prod",
        termination_protection=True,
        network=NetworkSettings(az_count=3, vpc_cidr="10.30.0.0/16"),
        compute=ComputeSettings(min_tasks=3, desired_tasks=3, max_tasks=10, on_demand_weight=3),
        edge=EdgeSettings(waf_rate_limit=1000),
        retention=RetentionSettings(audit_lock_mode=AuditLockMode.COMPLIANCE),
        alerting=AlertingSettings(monthly_budget_usd=3000, budget_alert_percentages=(50, 80, 100, 120)),
        disaster_recovery=DisasterRecoverySettings(standby_region="us-west-2", standby_mode=StandbyMode.PILOT_LIGHT),
        tls=TlsSettings(
            domain_name="payments.example.com",
            hosted_zone_id="Z0EXAMPLEPROD00000001",
            hosted_zone_name="example.com",
            client_ca_bundle=CLIENT_CA_BUNDLE,
        ),
    ),
}
DEFAULT_PROFILE = "dev"
