"""What an environment derives from its sections, and the rules that span sections."""

from __future__ import annotations

from dataclasses import replace

import pytest

from settings import PROFILES, ConfigError, EnvironmentConfig, Role, Sidecar, StandbyMode, TlsSettings
from settings.profiles import DEFAULT_PROFILE
from settings.sections import DisasterRecoverySettings

DEV = PROFILES[DEFAULT_PROFILE]
REGION = DEV.region
STANDBY = "us-west-2" if REGION != "us-west-2" else "us-east-1"
ELSEWHERE = "eu-west-1" if REGION != "eu-west-1" else "eu-west-2"
# A Route 53 zone, with the profile's own client authentication.
ZONE = replace(
    DEV.tls,
    certificate_arn=None,
    domain_name="pay.example.com",
    hosted_zone_id="Z0EXAMPLE00000001",
    hosted_zone_name="example.com",
)
CERTIFICATE = f"arn:aws:acm:{REGION}:111111111111:certificate/00000000-0000-4000-8000-000000000000"


def problems_of(config: EnvironmentConfig) -> str:
    with pytest.raises(ConfigError) as caught:
        config.validated()
    return str(caught.value)


@pytest.mark.parametrize(
    ("tls", "expected"),
    [
        (TlsSettings(), "tls: set tls.certificate_arn, or all of tls.domain_name"),
        (TlsSettings(domain_name="pay.example.com"), "hosted_zone_id=None"),
        (TlsSettings(certificate_arn=CERTIFICATE.removesuffix("-000000000000")), "is not an ACM certificate ARN"),
        (
            TlsSettings(certificate_arn=CERTIFICATE.replace(REGION, ELSEWHERE)),
            f"certificate is in {ELSEWHERE!r} but the ALB is in {REGION!r}",
        ),
        (
            TlsSettings(domain_name="pay.example.org", hosted_zone_id="Z123", hosted_zone_name="example.com"),
            "tls.domain_name: 'pay.example.org' is not inside hosted zone 'example.com'",
        ),
        (
            TlsSettings(domain_name="pay.example.com", hosted_zone_id="zone-1", hosted_zone_name="example.com"),
            "tls.hosted_zone_id: 'zone-1' is not a Route 53 hosted zone id",
        ),
        (TlsSettings(certificate_arn=CERTIFICATE, domain_name="pay.example.com"), "not both"),
    ],
)  # fmt: skip
def test_bad_tls_settings_are_refused(tls: TlsSettings, expected: str) -> None:
    assert expected in problems_of(replace(DEV, tls=tls))


@pytest.mark.parametrize("name", ["Dev", "dev_1", "-dev", "dev-", "dév"])
def test_environment_name_outside_lowercase_digits_and_dash_is_refused(name: str) -> None:
    assert f"name: '{name}' must use only lower-case letters" in problems_of(replace(DEV, name=name))


def test_environment_name_too_long_for_a_name_it_goes_into_is_refused() -> None:
    message = problems_of(replace(DEV, name="e" * 120))
    assert "the limit is 128: shorten the environment name to at most" in message


@pytest.mark.parametrize(
    ("service", "environment", "expected"),
    [
        # the long part is the service's: both are named, and each part's room is given, in the profile's region
        ("p" * 40, "dev", "service_name '" + "p" * 40 + f"' and name 'dev' make the execution role name in {REGION} "),
        ("p" * 40, "dev", "the limit is 64: shorten service_name to at most 35 characters"),
        ("payments", "d" * 60, "the limit is 64: shorten the environment name to at most 30 characters"),
    ],
)
def test_a_name_that_is_too_long_names_both_of_its_parts(service: str, environment: str, expected: str) -> None:
    """A long service_name used to be reported as the environment name making a name too long."""
    assert expected in problems_of(replace(DEV, service_name=service, name=environment))


def with_standby(mode: StandbyMode) -> EnvironmentConfig:
    """dev with a standby region (failover needs a DNS zone, so with one)."""
    recovery = DisasterRecoverySettings(standby_region=STANDBY, standby_mode=mode)
    return replace(
        DEV,
        tls=ZONE,
        disaster_recovery=recovery,
        standby_availability_zones=tuple(f"{STANDBY}{zone}" for zone in "abc"[: DEV.network.az_count]),
    )


@pytest.mark.parametrize(
    ("mode", "idle"), [(StandbyMode.PILOT_LIGHT, True), (StandbyMode.WARM, False), (StandbyMode.HOT, False)]
)
def test_the_standby_runs_none_one_per_zone_or_the_primarys_capacity_by_mode(mode: StandbyMode, idle: bool) -> None:
    primary = with_standby(mode)
    primary = replace(primary, compute=replace(primary.compute, min_tasks=3, desired_tasks=4, max_tasks=8))
    standby = primary.standby()
    zones = len(primary.standby_availability_zones)
    expected = {StandbyMode.PILOT_LIGHT: (0, 0), StandbyMode.WARM: (zones, zones), StandbyMode.HOT: (3, 4)}[mode]
    assert (standby.region, standby.role, standby.is_standby, standby.runs_idle) == (
        STANDBY,
        Role.STANDBY,
        True,
        idle,
    )
    assert (standby.compute.min_tasks, standby.compute.desired_tasks) == expected
    assert standby.compute.max_tasks == primary.compute.max_tasks
    # Once it serves, its first tasks are the primary's minimum, on demand (never waiting for Spot capacity).
    assert standby.on_demand_base == primary.on_demand_base == 3
    assert standby.availability_zones == primary.standby_availability_zones
    assert standby.standby_region is None
    assert standby.has_failover
    assert primary.has_failover
    assert not DEV.has_failover
    assert standby.validated() is standby


def test_the_standby_takes_no_primary_elastic_ip_and_pulls_sidecars_from_its_own_registry() -> None:
    account = DEV.account
    sidecar_image = f"{account}.dkr.ecr.{REGION}.amazonaws.com/agent@sha256:" + "c" * 64
    primary = with_standby(StandbyMode.WARM)
    primary = replace(
        primary,
        network=replace(
            primary.network, nat_eip_allocation_ids=("eipalloc-0123456789abcdef0", "eipalloc-0123456789abcdef1")
        ),
        compute=replace(primary.compute, sidecars=(Sidecar(name="agent", image=sidecar_image),)),
    )
    standby = primary.standby()
    assert standby.network.nat_eip_allocation_ids == ()
    (sidecar,) = standby.compute.sidecars
    assert sidecar.image == sidecar_image.replace(f".{REGION}.", f".{STANDBY}.")


def test_a_standby_region_needs_a_dns_zone_for_failover() -> None:
    config = replace(with_standby(StandbyMode.PILOT_LIGHT), tls=TlsSettings(certificate_arn=CERTIFICATE))
    assert "standby_region: DNS failover needs a Route 53 zone" in problems_of(config)


def test_the_standby_region_must_differ_from_the_primary() -> None:
    config = replace(DEV, disaster_recovery=DisasterRecoverySettings(standby_region=REGION))
    assert f"standby_region: {REGION!r} is the primary region" in problems_of(config)


def test_without_a_standby_region_there_is_no_standby_configuration() -> None:
    with pytest.raises(ValueError, match="has no standby region"):
        DEV.standby()


SIDECAR_IMAGE = f"{DEV.account}.dkr.ecr.{REGION}.amazonaws.com/agent@sha256:" + "c" * 64


@pytest.mark.parametrize(
    ("cpu", "memory", "sidecar", "expected"),
    [
        (512, 1024, 1024, "task_memory_mib: 1024 leaves the service container -128 MiB after the sidecars' 1024 MiB "
         "and GuardDuty's runtime agent's 128 MiB; it needs at least 512"),
        (512, 1024, 400, "task_memory_mib: 1024 leaves the service container 496 MiB after the sidecars' 400 MiB"),
        # No sidecar of its own: GuardDuty's agent alone leaves the smallest task too little.
        (256, 512, 0, "task_memory_mib: 512 leaves the service container 384 MiB after the sidecars' 0 MiB and "
         "GuardDuty's runtime agent's 128 MiB"),
    ],
)  # fmt: skip
def test_the_task_must_leave_the_service_container_enough_memory(
    cpu: int, memory: int, sidecar: int, expected: str
) -> None:
    sidecars = (Sidecar(name="agent", image=SIDECAR_IMAGE, memory_reservation_mib=sidecar),) if sidecar else ()
    compute = replace(DEV.compute, task_cpu=cpu, task_memory_mib=memory, sidecars=sidecars)
    assert expected in problems_of(replace(DEV, compute=compute))


@pytest.mark.parametrize(
    ("cidrs", "expected"),
    [
        (("0.0.0.0/0",), "processor_cidrs: '0.0.0.0/0' is not a public network of /16 or narrower"),
        (("10.1.0.0/24",), "processor_cidrs: '10.1.0.0/24' is not a public network of /16 or narrower"),
        (("processor.example.com",), "processor_cidrs: 'processor.example.com' is not an IPv4 network"),
        (("198.51.100.0/24", "198.51.100.0/24"), "processor_cidrs: ['198.51.100.0/24', '198.51.100.0/24'] repeats"),
    ],
)
def test_the_processor_is_named_by_its_own_public_networks(cidrs: tuple[str, ...], expected: str) -> None:
    assert expected in problems_of(replace(DEV, network=replace(DEV.network, processor_cidrs=cidrs)))


@pytest.mark.parametrize(
    ("hosts", "expected"),
    [
        (("*.processor.example",), "processor_hosts: '*.processor.example' is not a DNS name"),
        (("https://api.processor.example",), "processor_hosts: 'https://api.processor.example' is not a DNS name"),
        (("api.processor.example:443",), "processor_hosts: 'api.processor.example:443' is not a DNS name"),
        (("203.0.113.10",), "processor_hosts: '203.0.113.10' is not a DNS name"),
        ((".com",), "processor_hosts: '.com' is not a DNS name"),
        (("localhost",), "processor_hosts: 'localhost' is not a DNS name"),
        ((f"{'a' * 63}." * 4 + "example",), "is not a DNS name"),
        (("api.processor.example", "API.processor.example"), "processor_hosts: ['api.processor.example', 'API"),
        (tuple(f"h{n}.processor.example" for n in range(26)), "processor_hosts: 26 names given; at most 25"),
        (("api.processor.example",), "processor_cidrs and processor_hosts: both set"),
    ],
)
def test_the_processor_hosts_are_dns_names_the_firewall_can_match(hosts: tuple[str, ...], expected: str) -> None:
    cidrs = ("198.51.100.0/24",) if "both set" in expected else ()
    network = replace(DEV.network, processor_hosts=hosts, processor_cidrs=cidrs)
    assert expected in problems_of(replace(DEV, network=network))


def test_processor_hosts_in_any_case_and_with_subdomains_are_accepted() -> None:
    hosts = ("API.Processor.Example", ".gateway.processor.example", "xn--bcher-kva.example")
    replace(DEV, network=replace(DEV.network, processor_hosts=hosts)).validated()


def test_a_region_without_known_gateway_prefix_lists_is_refused_before_synth() -> None:
    elsewhere = "ap-southeast-7"
    assert (
        f"region: {elsewhere!r} has no gateway prefix lists in settings/regions.py; synth looks nothing up, so add "
        f"the ids of com.amazonaws.{elsewhere}.s3 and com.amazonaws.{elsewhere}.dynamodb there"
    ) in problems_of(replace(DEV, region=elsewhere, availability_zones=()))


@pytest.mark.parametrize(
    ("versions", "expected"),
    [
        (("AWSManagedRulesAmazonIpReputationList=Version_1.0",), "is not GROUP=Version_N.N for a versioned group"),
        (("AWSManagedRulesCommonRuleSet=latest",), "'AWSManagedRulesCommonRuleSet=latest' is not GROUP=Version_N.N"),
        (
            ("AWSManagedRulesCommonRuleSet=Version_1.0", "AWSManagedRulesCommonRuleSet=Version_1.1"),
            "pins a group twice",
        ),
    ],
)
def test_rule_group_versions_are_pinned_one_per_versioned_group(versions: tuple[str, ...], expected: str) -> None:
    assert expected in problems_of(replace(DEV, edge=replace(DEV.edge, waf_rule_versions=versions)))


@pytest.mark.parametrize(("count", "refused"), [(9, False), (10, True), (12, True)])
def test_no_more_sidecars_than_fit_beside_the_service_container(count: int, refused: bool) -> None:
    """ECS takes 10 containers per task definition: the service's and nine sidecars (GuardDuty adds its agent to
    the task, not the definition)."""
    sidecars = tuple(Sidecar(name=f"agent{n}", image=SIDECAR_IMAGE, memory_reservation_mib=6) for n in range(count))
    config = replace(DEV, compute=replace(DEV.compute, sidecars=sidecars))
    expected = (
        f"sidecars: {count} given; at most 9 fit beside the service container: ECS takes 10 containers per task "
        "definition"
    )
    assert (expected in str(config.problems())) is refused
    assert config.problems() == ([] if not refused else [expected])
