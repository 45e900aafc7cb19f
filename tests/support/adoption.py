"""The profile an adopting team adds, built by the suite beside the app's own.

Another region with two zones and its own Elastic IPs, an image of its own with its own health check, a sidecar, a
bigger task, its processor by host name (an egress firewall), its own domain, a tighter WAF limit, longer
retention, someone paged, and a warm standby region. Every value differs from the app's profiles' where it can, so
a stack that ignored a setting would show. `each_profile` includes it, so every app-level test (cdk-nag, delivery
paths, deploy traps, retained resources, tags, both regions) runs on it too, whatever the app's own profiles hold:
a new profile needs no test edit. Its image meets the container contract (`tests/support/container/images/minimal`,
the health check below).
"""

from __future__ import annotations

from settings import (
    PROFILES,
    AlertingSettings,
    ComputeSettings,
    DisasterRecoverySettings,
    EdgeSettings,
    EnvironmentConfig,
    GovernanceMode,
    NetworkSettings,
    RetentionSettings,
    Sidecar,
    StandbyMode,
    TlsSettings,
)
from settings.resolve import availability_zone_context_key
from tests.support.synthesized import Synthesized, synthesize

ACCOUNT, REGION, STANDBY_REGION = "444444444444", "us-east-2", "us-west-2"
IMAGE = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/payments-trial@sha256:" + "5" * 64
HEALTH_CHECK = ("CMD", "python", "/srv/check.py")

ADOPTED = EnvironmentConfig(
    name="trial",
    account=ACCOUNT,
    region=REGION,
    cost_center="payments-trial",
    # An account without an organization's trail, Config, Security Hub or GuardDuty: the app creates them.
    governance=GovernanceMode.CREATE,
    network=NetworkSettings(
        az_count=2,
        vpc_cidr="10.40.0.0/16",
        nat_eip_allocation_ids=("eipalloc-0123456789abcdef0", "eipalloc-0123456789abcdef1"),
        # By name, through the egress firewall (the app's profiles have none: no internet egress).
        processor_hosts=("api.processor.example", ".Gateway.Processor.Example"),
    ),
    compute=ComputeSettings(
        task_cpu=1024,
        task_memory_mib=2048,
        spot_weight=2,
        requests_per_target=500,
        min_tasks=2,
        desired_tasks=2,
        max_tasks=6,
        container_image=IMAGE,
        health_check_command=HEALTH_CHECK,
        sidecars=(
            Sidecar(
                name="otel",
                image=f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/otel-collector@sha256:" + "6" * 64,
                memory_reservation_mib=128,
            ),
        ),
    ),
    retention=RetentionSettings(log_retention_days=180, audit_archive_days=730),
    disaster_recovery=DisasterRecoverySettings(standby_region=STANDBY_REGION, standby_mode=StandbyMode.WARM),
    edge=EdgeSettings(waf_rate_limit=500),
    alerting=AlertingSettings(
        paging_emails=("oncall@trial.example.org",),
        monthly_budget_usd=800,
        budget_alert_percentages=(80, 100),
    ),
    tls=TlsSettings(
        domain_name="payments.trial.example.org",
        hosted_zone_id="Z0EXAMPLETRIAL000001",
        hosted_zone_name="trial.example.org",
        client_ca_bundle="certs/clients-ca.pem",
    ),
)
PROFILES_WITH_ADOPTION = {**PROFILES, ADOPTED.name: ADOPTED}
# Every profile the suite builds: the app's own, then the adopter's.
EVERY_PROFILE = list(PROFILES_WITH_ADOPTION)
# What the adopter records in cdk.context.json (synth looks nothing up).
CONTEXT = {
    availability_zone_context_key(ACCOUNT, region): [f"{region}{zone}" for zone in "abc"]
    for region in (REGION, STANDBY_REGION)
}


def profile(name: str, cache: dict[str, Synthesized]) -> Synthesized:
    """Profile `name` (the app's or the adopter's), synthesized once: `cache` keeps it for the session."""
    if name not in cache:
        cache[name] = synthesize(name, CONTEXT if name == ADOPTED.name else {}, PROFILES_WITH_ADOPTION)
    return cache[name]
