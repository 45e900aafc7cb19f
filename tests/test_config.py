"""Configuration: every bad setting is refused at synth time with a message naming setting, value and rule."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import replace
from typing import Any

import pytest

from components.log_group import RETENTION
from settings import PROFILES, ConfigError, EnvironmentConfig, TlsSettings, resolve_config
from settings.profile import CLOUDWATCH_RETENTION_DAYS, FARGATE_SIZES, MIN_LOG_RETENTION_DAYS
from settings.resolve import availability_zone_context_key
from tests.conftest import ROOT, cdk_context

DEV = PROFILES["dev"]


def resolve(overrides: dict[str, Any] | None = None, environ: dict[str, str] | None = None) -> EnvironmentConfig:
    return resolve_config(cdk_context() | (overrides or {}), environ or {}).config


def error_of(overrides: dict[str, Any] | None = None, environ: dict[str, str] | None = None) -> str:
    with pytest.raises(ConfigError) as caught:
        resolve(overrides, environ)
    return str(caught.value)


def test_defaults_fix_the_seed_sizing_and_retention() -> None:
    config = resolve()
    assert (config.task_cpu, config.task_memory_mib, config.log_retention_days) == (512, 1024, 90)


def test_every_profile_is_valid_and_keeps_one_task_per_zone() -> None:
    for name in ("dev", "staging", "prod"):
        config = resolve({"env": name})
        assert config.name == name
        assert config.min_tasks >= config.az_count == len(config.availability_zones)


def test_no_environment_given_means_dev_with_a_one_line_notice() -> None:
    resolution = resolve_config(cdk_context(), {})
    assert resolution.config.name == "dev"
    assert len(resolution.notices) == 1
    assert "\n" not in resolution.notices[0]
    assert "'dev'" in resolution.notices[0]


def test_environment_from_environment_suffix_variable() -> None:
    assert resolve(environ={"ENVIRONMENT_SUFFIX": "staging"}).name == "staging"


def test_context_and_environment_suffix_that_disagree_are_refused() -> None:
    message = error_of({"env": "prod"}, {"ENVIRONMENT_SUFFIX": "dev"})
    assert "-c env='prod'" in message
    assert "ENVIRONMENT_SUFFIX='dev'" in message


def test_context_and_environment_suffix_that_agree_are_accepted() -> None:
    assert resolve({"env": "prod"}, {"ENVIRONMENT_SUFFIX": "prod"}).name == "prod"


def test_unknown_environment_lists_the_profiles() -> None:
    assert "'qa' is not a profile; use one of ['dev', 'prod', 'staging']" in error_of({"env": "qa"})


@pytest.mark.parametrize("variable", ["AWS_REGION", "AWS_DEFAULT_REGION", "CDK_DEFAULT_REGION"])
def test_region_variable_that_disagrees_with_the_profile_is_refused(variable: str) -> None:
    message = error_of(environ={variable: "eu-west-1"})
    assert f"{variable}='eu-west-1' disagrees with region 'us-east-1'" in message


def test_region_variable_that_agrees_is_accepted() -> None:
    assert resolve(environ={"AWS_REGION": "us-east-1", "CDK_DEFAULT_REGION": "us-east-1"}).region == "us-east-1"


def test_profile_without_account_takes_cdk_default_account() -> None:
    key = availability_zone_context_key("444444444444", "us-east-1")
    context = {"config.account": "", key: ["us-east-1a", "us-east-1b"]}
    assert resolve(context, {"CDK_DEFAULT_ACCOUNT": "444444444444"}).account == "444444444444"


def test_profile_without_account_and_no_credentials_is_refused() -> None:
    assert "names no account and CDK_DEFAULT_ACCOUNT is not set" in error_of({"config.account": ""})


def test_zones_come_from_committed_context_not_lookups() -> None:
    context = {key: value for key, value in cdk_context().items() if not key.startswith("availability-zones")}
    with pytest.raises(ConfigError, match=re.escape("cdk.context.json has no list under 'availability-zones:account=")):
        resolve_config(context, {})


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"config.task_cpu": "300"}, "task_cpu: 300 is not a Fargate CPU size; use one of [256, 512"),
        ({"config.task_memory_mib": "512"}, "task_memory_mib: 512 is not allowed with task_cpu 512"),
        ({"config.task_cpu": "256", "config.task_memory_mib": "4096"}, "task_memory_mib: 4096 is not allowed"),
        ({"config.log_retention_days": "30"}, "log_retention_days: 30 is not allowed; use one of [90, 120"),
        ({"config.log_retention_days": "100"}, "log_retention_days: 100 is not allowed"),
        ({"config.audit_archive_days": "90"}, "audit_archive_days: 90 is too short"),
        ({"config.min_tasks": "3"}, "min_tasks/desired_tasks/max_tasks: 3/2/4 must satisfy 1 <= min <= desired"),
        ({"config.max_tasks": "1"}, "min_tasks/desired_tasks/max_tasks: 2/2/1"),
        ({"config.az_count": "3"}, "min_tasks: 2 is fewer than az_count (3)"),
        ({"config.az_count": "4", "config.min_tasks": "4", "config.desired_tasks": "4"}, "az_count: 4 is not allowed"),
        ({"config.az_count": "1", "config.min_tasks": "1"}, "az_count: 1 is not allowed; use 2 or 3"),
        ({"config.vpc_cidr": "10.0.0.0/24"}, "vpc_cidr: '10.0.0.0/24' has prefix /24; use /16 to /18"),
        ({"config.vpc_cidr": "8.8.0.0/16"}, "vpc_cidr: '8.8.0.0/16' is not a private (RFC 1918) range"),
        ({"config.vpc_cidr": "banana"}, "vpc_cidr: 'banana' is not an IPv4 network"),
        ({"config.waf_rate_limit": "5"}, "waf_rate_limit: 5 is outside 10..2000000000"),
        ({"config.cpu_architecture": "MIPS"}, "cpu_architecture: 'MIPS' is not one of ['X86_64', 'ARM64']"),
        ({"config.data_classification": "secret"}, "data_classification: 'secret' is not one of"),
        ({"config.cost_center": ""}, "cost_center: '' must be 1-256 characters"),
        ({"config.service_name": "Payments"}, "service_name: 'Payments' must use only lower-case"),
        ({"config.region": "mars-1"}, "region: 'mars-1' is not an AWS region name"),
        ({"config.nat_eip_allocation_ids": "eipalloc-0123456789abcdef0"}, "nat_eip_allocation_ids: 1 given"),
        (
            {"config.nat_eip_allocation_ids": "eipalloc-0123456789abcdef0,eip-1"},
            "nat_eip_allocation_ids: ['eip-1'] are not Elastic IP allocation ids",
        ),
        ({"config.task_cpu": "lots"}, "config.task_cpu: 'lots' is not a whole number"),
        ({"config.termination_protection": "maybe"}, "config.termination_protection: 'maybe' is not true or false"),
        ({"config.colour": "blue"}, "config.colour: no such setting; settings are account, audit_archive_days"),
        ({"config.name": "prod"}, "config.name: no such setting"),
    ],
)
def test_bad_setting_is_refused_with_setting_value_and_rule(overrides: dict[str, Any], expected: str) -> None:
    assert expected in error_of(overrides)


@pytest.mark.parametrize(
    ("tls", "expected"),
    [
        (TlsSettings(), "tls: set tls.certificate_arn, or all of tls.domain_name"),
        (TlsSettings(domain_name="pay.example.com"), "hosted_zone_id=None"),
        (
            TlsSettings(certificate_arn="arn:aws:acm:us-east-1:111111111111:certificate/x"),
            "is not an ACM certificate ARN",
        ),
        (
            TlsSettings(
                certificate_arn="arn:aws:acm:eu-west-1:111111111111:certificate/00000000-0000-4000-8000-000000000000"
            ),
            "certificate is in 'eu-west-1' but the ALB is in 'us-east-1'",
        ),
        (
            TlsSettings(domain_name="pay.example.org", hosted_zone_id="Z123", hosted_zone_name="example.com"),
            "tls.domain_name: 'pay.example.org' is not inside hosted zone 'example.com'",
        ),
        (
            TlsSettings(domain_name="pay.example.com", hosted_zone_id="zone-1", hosted_zone_name="example.com"),
            "tls.hosted_zone_id: 'zone-1' is not a Route 53 hosted zone id",
        ),
        (
            TlsSettings(
                certificate_arn="arn:aws:acm:us-east-1:111111111111:certificate/00000000-0000-4000-8000-000000000000",
                domain_name="pay.example.com",
            ),
            "not both",
        ),
    ],
)
def test_bad_tls_settings_are_refused(tls: TlsSettings, expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        replace(DEV, tls=tls)
    assert expected in str(caught.value)


def test_tls_override_can_switch_to_an_imported_certificate() -> None:
    arn = "arn:aws:acm:us-east-1:111111111111:certificate/00000000-0000-4000-8000-000000000001"
    config = resolve(
        {
            "config.tls.certificate_arn": arn,
            "config.tls.domain_name": "",
            "config.tls.hosted_zone_id": "",
            "config.tls.hosted_zone_name": "",
        }
    )
    assert config.tls == TlsSettings(certificate_arn=arn)


@pytest.mark.parametrize("name", ["Dev", "dev_1", "-dev", "dev-", "dév"])
def test_environment_name_outside_lowercase_digits_and_dash_is_refused(name: str) -> None:
    with pytest.raises(ConfigError, match=f"name: '{name}' must use only lower-case letters"):
        replace(DEV, name=name)


def test_environment_name_too_long_for_a_name_it_goes_into_is_refused() -> None:
    with pytest.raises(ConfigError) as caught:
        replace(DEV, name="e" * 120)
    assert "the limit is 128, so the environment name may be at most" in str(caught.value)


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(ConfigError) as caught:
        replace(DEV, task_cpu=300, log_retention_days=7, waf_rate_limit=1)
    assert len(caught.value.problems) == 3


def test_fargate_size_table_matches_the_documented_pairs() -> None:
    assert FARGATE_SIZES[512] == (1024, 2048, 3072, 4096)
    assert FARGATE_SIZES[256] == (512, 1024, 2048)
    assert FARGATE_SIZES[16384][-1] == 122880


def test_every_retention_the_config_accepts_maps_to_a_cloudwatch_value() -> None:
    assert set(RETENTION) == {days for days in CLOUDWATCH_RETENTION_DAYS if days >= MIN_LOG_RETENTION_DAYS}


def run_app(context: dict[str, Any], environ: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {key: value for key, value in os.environ.items() if key not in ("AWS_REGION", "ENVIRONMENT_SUFFIX")}
    return subprocess.run(
        [sys.executable, "app.py"],
        cwd=ROOT,
        env=clean | environ | {"CDK_CONTEXT_JSON": json.dumps(cdk_context() | context)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_app_reports_a_user_mistake_as_one_clear_line_and_no_traceback() -> None:
    result = run_app({"env": "prod"}, {"ENVIRONMENT_SUFFIX": "dev", "CDK_OUTDIR": "/nonexistent"})
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().startswith("error: environment: -c env='prod' and ENVIRONMENT_SUFFIX='dev'")


PINNED = "333333333333.dkr.ecr.{region}.amazonaws.com/payments@sha256:" + "b" * 64


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (
            {"config.container_image": PINNED.format(region="us-east-1"),
             "config.standby_container_image": PINNED.format(region="us-east-1")},
            "standby_container_image: repository is in 'us-east-1'; tasks in 'us-west-2' pull from their own",
        ),
        (
            {"config.standby_container_image": PINNED.format(region="us-west-2")},
            "standby_container_image: set, but container_image is not",
        ),
        (
            {"config.container_image": PINNED.format(region="us-east-1"), "config.standby_container_image": "latest"},
            "standby_container_image: 'latest' must be an ECR image pinned by digest",
        ),
    ],
)  # fmt: skip
def test_each_region_needs_its_own_copy_of_a_pinned_image(overrides: dict[str, Any], expected: str) -> None:
    assert expected in error_of({"env": "prod", **overrides})


def test_a_standby_image_without_a_standby_region_is_refused() -> None:
    assert "standby_container_image: set, but there is no standby_region" in error_of(
        {"config.standby_container_image": PINNED.format(region="us-west-2")}
    )


def test_prod_with_a_pinned_image_pulls_it_from_each_regions_registry() -> None:
    config = resolve({"env": "prod", "config.container_image": PINNED.format(region="us-east-1")})
    assert config.standby().container_image == PINNED.format(region="us-west-2")


def test_a_mistake_only_the_standby_region_makes_is_one_line_and_exit_2() -> None:
    """The standby's configuration is derived; what it refuses is reported like any other setting."""
    result = run_app(
        {"env": "prod", "config.container_image": PINNED.format(region="us-east-1"),
         "config.standby_container_image": PINNED.format(region="eu-west-1")},
        {"CDK_OUTDIR": "/nonexistent"},
    )  # fmt: skip
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert (
        result.stderr.strip()
        .splitlines()[-1]
        .startswith("error: environment 'prod': standby_container_image: repository is in 'eu-west-1'")
    )
