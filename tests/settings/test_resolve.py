"""Choosing and checking a profile: every mistake is one line naming the setting, the value and what is allowed."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from settings import PROFILES, ConfigError, EnvironmentConfig, resolve_config
from settings.catalog import by_name
from settings.profiles import DEFAULT_PROFILE
from settings.resolve import availability_zone_context_key
from settings.sections import ca_bundle_problems
from tests.support.synthesized import ROOT
from tooling.synthesis import cdk_context

TASKS = {"config.min_tasks": "2", "config.desired_tasks": "2", "config.max_tasks": "4"}
FOUR_TASKS = {"config.min_tasks": "4", "config.desired_tasks": "4", "config.max_tasks": "4"}
PINNED = "333333333333.dkr.ecr.{region}.amazonaws.com/payments@sha256:" + "b" * 64
STAGING_CERTIFICATE = "arn:aws:acm:us-east-1:{account}:certificate/00000000-0000-4000-8000-000000000000"
# A Route 53 zone instead of the default profile's TLS settings.
ZONE = {
    "config.tls.certificate_arn": "",
    "config.tls.domain_name": "pay.example.com",
    "config.tls.hosted_zone_id": "Z0EXAMPLE00000001",
    "config.tls.hosted_zone_name": "example.com",
}


def resolve(overrides: dict[str, Any] | None = None, environ: dict[str, str] | None = None) -> EnvironmentConfig:
    return resolve_config(cdk_context() | (overrides or {}), environ or {}).config


def error_of(overrides: dict[str, Any] | None = None, environ: dict[str, str] | None = None) -> str:
    with pytest.raises(ConfigError) as caught:
        resolve(overrides, environ)
    return str(caught.value)


def test_no_environment_given_means_the_default_profile_with_a_one_line_notice() -> None:
    resolution = resolve_config(cdk_context(), {})
    assert resolution.config.name == DEFAULT_PROFILE
    (notice,) = resolution.notices
    assert "\n" not in notice
    assert repr(DEFAULT_PROFILE) in notice


@pytest.mark.parametrize("name", sorted(PROFILES))
def test_each_profile_is_chosen_by_context_or_by_environment_suffix(name: str) -> None:
    assert resolve({"env": name}).name == name
    assert resolve(environ={"ENVIRONMENT_SUFFIX": name}).name == name
    assert resolve({"env": name}, {"ENVIRONMENT_SUFFIX": name}).name == name


def test_context_and_environment_suffix_that_disagree_are_refused() -> None:
    message = error_of({"env": "prod"}, {"ENVIRONMENT_SUFFIX": "dev"})
    assert "-c env='prod'" in message
    assert "ENVIRONMENT_SUFFIX='dev'" in message


def test_unknown_environment_lists_the_profiles() -> None:
    assert f"'qa' is not a profile; use one of {sorted(PROFILES)}" in error_of({"env": "qa"})


@pytest.mark.parametrize(
    ("context", "expected"),
    [
        # an empty or non-text environment is a mistake, not "no environment given"
        ({"env": ""}, "environment: -c env='' is not a profile name; use one of"),
        ({"env": ["prod"]}, "environment: -c env=['prod'] is not a profile name"),
        ({"env": 3}, "environment: -c env=3 is not a profile name"),
        # a setting without its prefix would be ignored by CDK: refused, with the right spelling
        ({"max_tasks": "6"}, "max_tasks: a setting is given as -c config.max_tasks=VALUE"),
        ({"log_retention_days": "400"}, "log_retention_days: a setting is given as -c config.log_retention_days=VALUE"),
        # a typo gets the closest setting, not the whole list
        ({"config.max_task": "6"}, "config.max_task: no such setting; did you mean config.max_tasks?"),
        ({"config.standby_regoin": "us-west-2"}, "did you mean config.standby_region?"),
        # No close match: pointed at the settings table, not all of them listed.
        ({"config.zzz": "1"}, "config.zzz: no such setting; see the README's settings table (make settings-table)"),
        # whole numbers are whole: a fraction is not truncated
        ({"config.max_tasks": 6.5}, "config.max_tasks: 6.5 is not a whole number"),
        ({"config.max_tasks": "6.5"}, "config.max_tasks: '6.5' is not a whole number"),
        # digits are ASCII digits: int() would also read another script's digits or Python's 1_000
        ({"config.max_tasks": "\u0661\u0660"}, "config.max_tasks: '\u0661\u0660' is not a whole number"),
        ({"config.idempotency_hours": "1_000"}, "config.idempotency_hours: '1_000' is not a whole number"),
        ({"config.budget_alert_percentages": "50,\uff11\uff10\uff10"},
         "config.budget_alert_percentages: '\uff11\uff10\uff10' is not a whole number"),
        # a JSON true/false or fraction is not text: it was written as "True", "1.5"
        ({"config.cost_center": True}, "config.cost_center: True is not a text value"),
        ({"config.service_name": False}, "config.service_name: False is not a text value"),
        ({"config.account": 111111111111.0}, "config.account: 111111111111.0 is not a text value"),
        ({"config.paging_emails": ["oncall@example.com", True]}, "config.paging_emails: True is not a text value"),
    ],
)  # fmt: skip
def test_a_mistyped_or_misplaced_setting_is_one_line_naming_it(context: dict[str, Any], expected: str) -> None:
    message = error_of(context)
    assert expected in message
    assert "\n" not in message


@pytest.mark.parametrize("variable", ["AWS_REGION", "AWS_DEFAULT_REGION"])
def test_region_variable_that_disagrees_with_the_profile_is_refused(variable: str) -> None:
    region = PROFILES[DEFAULT_PROFILE].region
    elsewhere = "eu-west-1" if region != "eu-west-1" else "eu-west-2"
    message = error_of(environ={variable: elsewhere})
    assert f"{variable}={elsewhere!r} disagrees with region {region!r}" in message


@pytest.mark.parametrize("name", sorted(PROFILES))
def test_the_region_the_cdk_cli_sets_itself_is_not_a_disagreement(name: str) -> None:
    """On a machine without AWS configuration the CLI sets CDK_DEFAULT_REGION to us-east-1; a profile elsewhere
    must still synth (the CI runner's case)."""
    assert resolve({"env": name}, {"CDK_DEFAULT_REGION": "us-east-1"}).region == PROFILES[name].region
    assert resolve({"env": name}, {"CDK_DEFAULT_REGION": "ap-southeast-2"}).region == PROFILES[name].region


def test_region_variable_that_agrees_is_accepted() -> None:
    region = PROFILES[DEFAULT_PROFILE].region
    assert resolve(environ={"AWS_REGION": region, "CDK_DEFAULT_REGION": region}).region == region


# The default profile as one that names no account (account=None), so that CDK_DEFAULT_ACCOUNT is taken.
WITHOUT_ACCOUNT = {DEFAULT_PROFILE: replace(PROFILES[DEFAULT_PROFILE], account=None)}


def test_profile_without_account_takes_cdk_default_account() -> None:
    region = PROFILES[DEFAULT_PROFILE].region
    context = cdk_context() | {
        availability_zone_context_key("444444444444", region): [f"{region}{zone}" for zone in "abc"],
    }
    resolution = resolve_config(context, {"CDK_DEFAULT_ACCOUNT": "444444444444"}, WITHOUT_ACCOUNT)
    assert resolution.config.account == "444444444444"


def test_profile_without_account_and_no_credentials_is_refused() -> None:
    with pytest.raises(ConfigError, match="names no account and CDK_DEFAULT_ACCOUNT is not set"):
        resolve_config(cdk_context(), {}, WITHOUT_ACCOUNT)


@pytest.mark.parametrize("environ", [{}, {"CDK_DEFAULT_ACCOUNT": "444444444444"}], ids=["alone", "with credentials"])
@pytest.mark.parametrize("cleared", ["", None])
def test_an_account_cleared_with_an_override_is_not_an_account_id(environ: dict[str, str], cleared: Any) -> None:
    """`-c config.account=` was reported as a profile naming no account and CDK_DEFAULT_ACCOUNT not set, both
    false; the override is what is wrong."""
    message = error_of({"config.account": cleared}, environ)
    assert message.startswith(f"account: -c config.account={cleared!r} is not a 12-digit AWS account id")
    assert "CDK_DEFAULT_ACCOUNT" not in message


@pytest.mark.parametrize("name", sorted(PROFILES))
def test_zones_of_every_region_come_from_committed_context_not_lookups(name: str) -> None:
    config = resolve({"env": name})
    assert len(config.availability_zones) == config.network.az_count
    if config.standby_region:
        assert len(config.standby_availability_zones) == config.network.az_count
    context = {key: value for key, value in cdk_context().items() if not key.startswith("availability-zones")}
    with pytest.raises(ConfigError, match=re.escape("cdk.context.json has no list under 'availability-zones:account=")):
        resolve_config(context | {"env": name}, {})


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"config.task_cpu": "300"}, "task_cpu: 300 is not a Fargate CPU size; use one of [256, 512"),
        ({"config.task_cpu": "512", "config.task_memory_mib": "512"}, "task_memory_mib: 512 is not allowed with"),
        ({"config.task_cpu": "256", "config.task_memory_mib": "4096"}, "task_memory_mib: 4096 is not allowed"),
        ({"config.log_retention_days": "30"}, "log_retention_days: 30 is not allowed; use one of [90, 120"),
        ({"config.log_retention_days": "100"}, "log_retention_days: 100 is not allowed"),
        ({"config.audit_archive_days": "90"}, "audit_archive_days: 90 is too short"),
        ({"config.min_tasks": "3", "config.desired_tasks": "2"}, "min_tasks/desired_tasks/max_tasks: 3/2/"),
        (TASKS | {"config.max_tasks": "1"}, "min_tasks/desired_tasks/max_tasks: 2/2/1"),
        (TASKS | {"config.az_count": "3"}, "min_tasks: 2 is fewer than az_count (3)"),
        (FOUR_TASKS | {"config.az_count": "4"}, "az_count: 4 is not allowed"),
        ({"config.az_count": "1", "config.min_tasks": "1"}, "az_count: 1 is not allowed; use 2 or 3"),
        ({"config.vpc_cidr": "10.0.0.0/24"}, "vpc_cidr: '10.0.0.0/24' has prefix /24; use /16 to /18"),
        ({"config.vpc_cidr": "8.8.0.0/16"}, "vpc_cidr: '8.8.0.0/16' is not a private (RFC 1918) range"),
        ({"config.vpc_cidr": "banana"}, "vpc_cidr: 'banana' is not an IPv4 network"),
        ({"config.waf_rate_limit": "5"}, "waf_rate_limit: 5 is outside 10..2000000000"),
        (
            {"config.waf_rate_limit": "500", "config.waf_payment_rate_limit": "501"},
            "waf_payment_rate_limit: 501 is outside 10..500 (waf_rate_limit) payments per 5 minutes",
        ),
        ({"config.cpu_architecture": "MIPS"}, "config.cpu_architecture: 'MIPS' is not one of ['X86_64', 'ARM64']"),
        ({"config.standby_mode": "cold"}, "config.standby_mode: 'cold' is not one of ['pilot-light', 'warm', 'hot']"),
        ({"config.data_classification": "secret"}, "data_classification: 'secret' is not one of"),
        ({"config.cost_center": ""}, "cost_center: '' must be 1-256 characters"),
        ({"config.service_name": "Payments"}, "service_name: 'Payments' must use only lower-case"),
        ({"config.region": "mars-1"}, "region: 'mars-1' is not an AWS region name"),
        ({"config.standby_region": "moon-1"}, "standby_region: 'moon-1' is not an AWS region name"),
        ({"config.nat_eip_allocation_ids": "eipalloc-0123456789abcdef0"}, "nat_eip_allocation_ids: 1 given"),
        (
            {"config.nat_eip_allocation_ids": "eipalloc-0123456789abcdef0,eip-1"},
            "nat_eip_allocation_ids: ['eip-1'] are not Elastic IP allocation ids",
        ),
        ({"config.task_cpu": "lots"}, "config.task_cpu: 'lots' is not a whole number"),
        ({"config.termination_protection": "maybe"}, "config.termination_protection: 'maybe' is not true or false"),
        ({"config.colour": "blue"}, "config.colour: no such setting; see the README's settings table"),
        ({"config.name": "prod"}, "config.name: set in the profile (settings/profiles.py), not with -c"),
        ({"config.sidecars": "otel"}, "config.sidecars: set in the profile (settings/profiles.py), not with -c"),
    ],
)  # fmt: skip
def test_bad_setting_is_refused_with_setting_value_and_rule(overrides: dict[str, Any], expected: str) -> None:
    assert expected in error_of(overrides)


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        # a trailing newline passed every `$`-anchored pattern and failed later, blaming another setting or file
        ({"config.account": "111111111111\n"}, "account: '111111111111\\n' must be a 12-digit AWS account id"),
        ({"config.region": "us-east-1\n"}, "region: 'us-east-1\\n' is not an AWS region name"),
        ({"config.standby_region": "us-west-2\n"}, "standby_region: 'us-west-2\\n' is not an AWS region name"),
        ({"config.container_image": PINNED.format(region="us-east-1") + "\n"}, "container_image: '"),
        ({"env": "staging", "config.tls.certificate_arn": STAGING_CERTIFICATE.format(account="222222222222") + "\n"},
         "is not an ACM certificate ARN"),
        ({**ZONE, "config.tls.hosted_zone_id": "Z0EXAMPLE00000001\n"}, "tls.hosted_zone_id: 'Z0EXAMPLE00000001\\n'"),
        ({**ZONE, "config.tls.domain_name": "pay.example.com\n"}, "tls.domain_name: 'pay.example.com\\n' is not a"),
        ({**ZONE, "config.tls.hosted_zone_name": "example.com\n"}, "tls.hosted_zone_name: 'example.com\\n' is not a"),
        # other scripts' digits and letters are not in AWS ids (\d and re.I took them)
        ({"config.account": "\u0661" * 12}, "account: '" + "\u0661" * 12 + "' must be a 12-digit AWS account id"),
        ({"config.waf_rule_versions": "AWSManagedRulesCommonRuleSet=Version_\u0661.\u0660"},
         "waf_rule_versions: 'AWSManagedRulesCommonRuleSet=Version_\u0661.\u0660' is not GROUP=Version_N.N"),
        ({"config.processor_hosts": "api.proce\u017fsor.example"},
         "processor_hosts: 'api.proce\u017fsor.example' is not a DNS name"),
        ({"config.processor_hosts": "api.\u212aelvin.example"},
         "processor_hosts: 'api.\u212aelvin.example' is not a DNS name"),
    ],
)  # fmt: skip
def test_a_value_is_checked_whole_and_in_ascii_naming_its_own_setting(overrides: dict[str, Any], expected: str) -> None:
    assert expected in error_of(overrides)


def test_every_problem_is_reported_at_once_each_naming_the_profile() -> None:
    with pytest.raises(ConfigError) as caught:
        resolve({"config.task_cpu": "300", "config.log_retention_days": "7", "config.waf_rate_limit": "1"})
    assert len(caught.value.problems) == 3
    assert all(problem.startswith(f"environment {DEFAULT_PROFILE!r}: ") for problem in caught.value.problems)


def test_tls_override_can_switch_to_an_imported_certificate() -> None:
    region = PROFILES[DEFAULT_PROFILE].region
    arn = f"arn:aws:acm:{region}:111111111111:certificate/00000000-0000-4000-8000-000000000001"
    config = resolve(
        {
            "config.tls.certificate_arn": arn,
            "config.tls.domain_name": "",
            "config.tls.hosted_zone_id": "",
            "config.tls.hosted_zone_name": "",
        }
    )
    assert config.tls == replace(PROFILES[DEFAULT_PROFILE].tls, certificate_arn=arn, domain_name=None,
                                 hosted_zone_id=None, hosted_zone_name=None)  # fmt: skip


def with_standby(image: str | None = None, **extra: str) -> dict[str, Any]:
    """Overrides that give the default profile a standby region (and its zones), with a pinned image."""
    region = PROFILES[DEFAULT_PROFILE].region
    account = PROFILES[DEFAULT_PROFILE].account or ""
    standby = "us-west-2" if region != "us-west-2" else "us-east-1"
    overrides: dict[str, Any] = {
        "config.standby_region": standby,
        "config.tls.certificate_arn": "",
        "config.tls.domain_name": "pay.example.com",
        "config.tls.hosted_zone_id": "Z0EXAMPLE00000001",
        "config.tls.hosted_zone_name": "example.com",
        availability_zone_context_key(account, standby): [f"{standby}a", f"{standby}b", f"{standby}c"],
        **extra,
    }
    overrides["config.container_image"] = "" if image is None else image.format(region=region)
    return overrides


def test_each_region_needs_its_own_copy_of_a_pinned_image() -> None:
    region = PROFILES[DEFAULT_PROFILE].region
    config = resolve(with_standby(PINNED))
    standby = config.standby_region
    assert config.standby().compute.container_image == PINNED.format(region=standby)
    same = error_of(with_standby(PINNED, **{"config.standby_container_image": PINNED.format(region=region)}))
    assert f"standby_container_image: repository is in {region!r}; tasks in {standby!r} pull from their own" in same
    assert "standby_container_image: set, but container_image is not" in error_of(
        with_standby(None, **{"config.standby_container_image": PINNED.format(region=standby)})
    )
    assert "standby_container_image: 'latest' must be an ECR image pinned by digest" in error_of(
        with_standby(PINNED, **{"config.standby_container_image": "latest"})
    )


def test_a_standby_image_without_a_standby_region_is_refused() -> None:
    assert "standby_container_image: set, but there is no standby_region" in error_of(
        {"config.standby_container_image": PINNED.format(region="us-west-2")}
    )


def run_app(context: dict[str, Any], environ: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {key: value for key, value in os.environ.items() if key not in ("AWS_REGION", "ENVIRONMENT_SUFFIX")}
    return subprocess.run(
        [sys.executable, "app.py"],
        cwd=ROOT,
        env=clean | environ | {"CDK_CONTEXT_JSON": json.dumps(cdk_context() | context), "CDK_OUTDIR": "/nonexistent"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_app_reports_a_user_mistake_as_one_clear_line_and_no_traceback() -> None:
    result = run_app({"env": "prod"}, {"ENVIRONMENT_SUFFIX": "dev"})
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().startswith("error: environment: -c env='prod' and ENVIRONMENT_SUFFIX='dev'")


def test_a_mistake_only_the_standby_region_makes_is_one_setting_error_not_a_traceback() -> None:
    """The standby's configuration is derived; what it refuses is reported like any other setting (and so by
    app.py as one line with exit 2, as the test above shows for every ConfigError)."""
    bad = with_standby(PINNED, **{"config.standby_container_image": PINNED.format(region="eu-west-1")})
    with pytest.raises(ConfigError) as caught:
        resolve(bad)
    (problem,) = caught.value.problems
    assert problem.startswith(f"environment {DEFAULT_PROFILE!r}: standby_container_image: repository is in 'eu-west-1'")


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        # the processor is on the internet: not shared (CGNAT), link-local, loopback, multicast or reserved space
        ({"config.processor_cidrs": "100.64.0.0/16"}, "processor_cidrs: '100.64.0.0/16' is not a public network"),
        ({"config.processor_cidrs": "169.254.0.0/16"}, "processor_cidrs: '169.254.0.0/16' is not a public network"),
        ({"config.processor_cidrs": "127.0.0.0/16"}, "processor_cidrs: '127.0.0.0/16' is not a public network"),
        ({"config.processor_cidrs": "224.0.0.0/16"}, "processor_cidrs: '224.0.0.0/16' is not a public network"),
        ({"config.processor_cidrs": "0.0.0.0/16"}, "processor_cidrs: '0.0.0.0/16' is not a public network"),
        # a certificate of another account cannot be attached to this account's ALB
        ({"env": "staging", "config.tls.certificate_arn": STAGING_CERTIFICATE.format(account="999999999999")},
         "tls.certificate_arn: certificate belongs to account '999999999999' but the ALB is in '222222222222'"),
        # ... nor a certificate of another partition (China, GovCloud) than the region's
        ({"env": "staging", "config.tls.certificate_arn":
          STAGING_CERTIFICATE.format(account="222222222222").replace("arn:aws:", "arn:aws-cn:")},
         "tls.certificate_arn: partition 'aws-cn' is not 'aws', the partition of region 'us-east-1'"),
        ({"env": "staging", "config.tls.certificate_arn":
          STAGING_CERTIFICATE.format(account="222222222222").replace("arn:aws:", "arn:aws-us-gov:")},
         "tls.certificate_arn: partition 'aws-us-gov' is not 'aws'"),
        # a region of the right shape that AWS does not have is a typo, not a region to add prefix lists for
        ({"config.region": "us-east-9"}, "region: 'us-east-9' is not an AWS region (settings/regions.py lists them"),
        ({"config.region": "xx-yyyy-1"}, "region: 'xx-yyyy-1' is not an AWS region"),
        # the standby region's own setting is named, not the derived standby's `region`
        ({"config.standby_region": "us-east-9"}, "standby_region: 'us-east-9' is not an AWS region"),
        ({"config.standby_region": "eu-west-1"}, "standby_region: 'eu-west-1' has no gateway prefix lists"),
        # an address without its prefix length passed here and failed at synth (CDK: "CIDR mask is missing")
        ({"config.processor_cidrs": "203.0.113.5"}, "processor_cidrs: '203.0.113.5' is not an IPv4 network; write "
         "it '203.0.113.5/32'"),
        ({"config.vpc_cidr": "10.10.0.0/016"}, "vpc_cidr: '10.10.0.0/016' is not an IPv4 network; write it "
         "'10.10.0.0/16'"),
        # an address twice, as two overlapping networks or one name under another's leading dot
        ({"config.processor_cidrs": "203.0.113.0/24,203.0.113.128/25"},
         "processor_cidrs: '203.0.113.0/24' overlaps '203.0.113.128/25'; give each address once"),
        ({"config.processor_hosts": "api.processor.example,.processor.example"},
         "processor_hosts: 'api.processor.example' is already allowed by '.processor.example'"),
        ({"config.paging_emails": "oncall@example.com,OnCall@Example.com"},
         "paging_emails: ['oncall@example.com', 'OnCall@Example.com'] repeats an address"),
        ({"config.warning_emails": "ops@example.com,ops@example.com"}, "warning_emails: ['ops@example.com', 'ops@"),
        # what SNS cannot deliver to
        ({"config.paging_emails": "oncall@example..com"}, "paging_emails: ['oncall@example..com'] are not e-mail"),
        ({"config.paging_emails": "oncall@-example.com"}, "paging_emails: ['oncall@-example.com'] are not e-mail"),
        ({"config.paging_emails": ".oncall@example.com"}, "paging_emails: ['.oncall@example.com'] are not e-mail"),
        # an ECR repository name ECR itself refuses
        ({"config.container_image": PINNED.format(region="us-east-1").replace("/payments@", "/payments//x@")},
         "container_image: '333333333333.dkr.ecr.us-east-1.amazonaws.com/payments//x@"),
        # an upper bound: Object Lock keeps every audit object that long
        ({"config.audit_archive_days": "99999999"}, "audit_archive_days: 99999999 is outside 365..3653 days"),
        ({"config.audit_archive_days": "3654"}, "audit_archive_days: 3654 is outside 365..3653 days"),
    ],
)  # fmt: skip
def test_a_value_of_the_right_shape_but_the_wrong_kind_is_refused(overrides: dict[str, Any], expected: str) -> None:
    assert expected in error_of(overrides)


def test_an_upper_case_e_mail_address_is_an_e_mail_address() -> None:
    config = resolve({"config.paging_emails": "OnCall@Example.COM"})
    assert config.alerting.paging_emails == ("OnCall@Example.COM",)
    tagged = resolve({"config.paging_emails": "on-call+payments@mail.example.co.uk,ops@xn--bcher-kva.example"})
    assert tagged.alerting.paging_emails == ("on-call+payments@mail.example.co.uk", "ops@xn--bcher-kva.example")


def test_whole_numbers_and_account_ids_written_as_json_numbers_are_accepted() -> None:
    assert resolve({"config.max_tasks": " 6 ", "config.desired_tasks": 2.0}).compute.max_tasks == 6
    assert resolve({"config.account": 111111111111}).account == "111111111111"
    assert resolve({"config.audit_archive_days": "3653"}).retention.audit_archive_days == 3653


def test_a_public_processor_network_and_an_own_account_certificate_are_accepted() -> None:
    assert resolve({"config.processor_cidrs": "198.51.100.0/24"}).network.processor_cidrs == ("198.51.100.0/24",)
    staging = resolve(
        {"env": "staging", "config.tls.certificate_arn": STAGING_CERTIFICATE.format(account="222222222222")}
    )
    assert staging.tls.certificate_arn == STAGING_CERTIFICATE.format(account="222222222222")


def zones_context(zones: Any, region: str | None = None) -> dict[str, Any]:
    """The default profile's availability-zone context entry, holding `zones`."""
    profile = PROFILES[DEFAULT_PROFILE]
    return {availability_zone_context_key(profile.account or "", region or profile.region): zones}


LONG_LABEL = "a" * 64
# Four labels of 60: a name of 255 characters with every label within DNS's 63.
LONG_ZONE = ("a" * 60 + ".") * 4 + "example.com"


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        # ACM takes a domain name of at most 64 characters (CDK's Certificate raised a RuntimeError at synth)
        ({**ZONE, "config.tls.domain_name": "a" * 53 + ".example.com"},
         "tls.domain_name: '" + "a" * 53 + ".example.com' is 65 characters; an ACM certificate's domain name takes at "
         "most 64"),
        # DNS: labels of at most 63, names of at most 253, and the message says which
        ({**ZONE, "config.tls.domain_name": f"{LONG_LABEL}.example.com"}, "is 64 characters; DNS allows 63)"),
        ({**ZONE, "config.tls.hosted_zone_name": LONG_ZONE}, "(it is 255 characters; DNS allows 253)"),
        # AWS Budgets: ten notifications per budget, one of them the forecast
        ({"config.budget_alert_percentages": ",".join(str(p) for p in range(10, 110, 10))},
         "budget_alert_percentages: 10 given; at most 9: AWS Budgets takes 10 notifications per budget"),
        # one egress rule per processor network, beside the task group's four others, within 60 outbound rules
        ({"config.processor_cidrs": ",".join(f"203.0.{n}.0/24" for n in range(57))},
         "processor_cidrs: 57 networks given; at most 56 fit: each is an egress rule of the task security group, "
         "which has 4 others, and the VPC quota is 60 outbound rules per security group"),
    ],
)  # fmt: skip
def test_a_value_beyond_an_aws_limit_is_refused_naming_the_limit(overrides: dict[str, Any], expected: str) -> None:
    message = error_of(overrides)
    assert expected in message
    assert "\n" not in message


def test_values_at_those_limits_are_accepted() -> None:
    domain = "a" * 52 + ".example.com"
    assert resolve({**ZONE, "config.tls.domain_name": domain}).tls.domain_name == domain
    percentages = tuple(range(10, 100, 10))
    assert resolve({"config.budget_alert_percentages": ",".join(map(str, percentages))}).alerting == replace(
        PROFILES[DEFAULT_PROFILE].alerting, budget_alert_percentages=percentages
    )
    cidrs = tuple(f"203.0.{n}.0/24" for n in range(56))
    assert resolve({"config.processor_cidrs": ",".join(cidrs)}).network.processor_cidrs == cidrs


def test_arm64_tasks_may_run_on_fargate_spot() -> None:
    """Not refused: FARGATE_SPOT takes ARM64 Linux tasks on platform version 1.4.0 (ECS API reference,
    CapacityProviderStrategyItem; AWS What's New, September 2024: "Amazon ECS now supports AWS Graviton-based Spot
    compute with AWS Fargate"), the version the service pins. Older pages of the ECS guide still say it does not."""
    config = resolve({"config.cpu_architecture": "ARM64", "config.spot_weight": "3"})
    assert (config.compute.cpu_architecture.value, config.compute.spot_weight) == ("ARM64", 3)


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"config.standby_mode": "hot"},
         "standby_mode: 'hot' has no effect without standby_region; set standby_region, or leave standby_mode at its "
         "default ('warm')"),
        ({"config.standby_mode": "pilot-light"}, "standby_mode: 'pilot-light' has no effect without standby_region"),
        ({"config.tls.client_ca_bundle": "certs/clients-ca.pem"},
         "tls.client_ca_bundle: 'certs/clients-ca.pem' has no effect with tls.client_authentication 'off'; set "
         "tls.client_authentication to 'mutual-tls', or unset tls.client_ca_bundle"),
        # the profile's own bundle, once its clients are no longer authenticated
        ({"env": "staging", "config.data_classification": "internal", "config.tls.client_authentication": "off"},
         "tls.client_ca_bundle: 'certs/clients-ca.pem' has no effect with tls.client_authentication 'off'"),
    ],
)  # fmt: skip
def test_a_setting_that_would_have_no_effect_is_refused_naming_what_it_needs(
    overrides: dict[str, Any], expected: str
) -> None:
    assert expected in error_of(overrides)


def test_a_standby_mode_with_its_standby_region_is_accepted() -> None:
    assert resolve(with_standby(None, **{"config.standby_mode": "hot"})).disaster_recovery.standby_mode.value == "hot"


@pytest.mark.parametrize(
    ("context", "expected"),
    [
        # CDK passes a key as written; each of these was ignored, and the synth went on without the override
        ({"CONFIG.task_cpu": "300"}, "'CONFIG.task_cpu': write it config.task_cpu, exactly so"),
        ({" config.task_cpu": "300"}, "' config.task_cpu': write it config.task_cpu, exactly so"),
        ({"config.task_cpu ": "300"}, "'config.task_cpu ': write it config.task_cpu, exactly so"),
        ({"Config.TLS.Domain_Name": "pay.example.com"}, "'Config.TLS.Domain_Name': write it config.tls.domain_name"),
        ({"config. task_cpu": "300"}, "'config. task_cpu': write it config.task_cpu"),
        ({"TASK_CPU": "300"}, "TASK_CPU: a setting is given as -c config.task_cpu=VALUE"),
        ({" max_tasks": "6"}, " max_tasks: a setting is given as -c config.max_tasks=VALUE"),
    ],
)  # fmt: skip
def test_an_override_key_not_written_as_its_setting_is_refused_with_the_right_spelling(
    context: dict[str, Any], expected: str
) -> None:
    message = error_of(context)
    assert message.startswith(expected)
    assert "\n" not in message


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (" payments-dev", "cost_center: ' payments-dev' starts or ends with whitespace; write 'payments-dev'"),
        ("payments-dev ", "cost_center: 'payments-dev ' starts or ends with whitespace"),
        ("   ", "cost_center: '   ' is only whitespace"),
        (" ", "cost_center: ' ' is only whitespace"),
    ],
)
def test_a_free_text_tag_value_with_whitespace_at_an_edge_or_only_whitespace_is_refused(
    value: str, expected: str
) -> None:
    assert expected in error_of({"config.cost_center": value})


@pytest.mark.parametrize(
    ("service", "reserved"),
    [("xn--pay", "xn--"), ("sthree-pay", "sthree-"), ("sthree", "sthree-"), ("sthree-configurator", "sthree-"),
     ("amzn-s3-demo-pay", "amzn-s3-demo-"), ("amzn-s3-demo", "amzn-s3-demo-")],
)  # fmt: skip
def test_a_service_name_that_starts_bucket_names_s3_refuses_is_refused(service: str, reserved: str) -> None:
    assert (
        f"service_name: {service!r} starts bucket names with '{service}-dev-', and S3 refuses bucket names that start "
        f"with {reserved!r}"
    ) in error_of({"config.service_name": service})


def test_a_service_name_near_the_reserved_prefixes_is_accepted() -> None:
    for service in ("xn-pay", "sthreepay", "amzn-s3"):
        assert resolve({"config.service_name": service}).service_name == service


@pytest.mark.parametrize(
    ("cidr", "what"),
    [
        ("198.18.0.0/16", "it overlaps 198.18.0.0/15 (benchmarking, RFC 2544)"),
        ("198.19.4.0/24", "it overlaps 198.18.0.0/15 (benchmarking"),
        ("192.0.0.0/24", "it overlaps 192.0.0.0/24 (IETF protocol assignments"),
        ("192.0.0.8/29", "it overlaps 192.0.0.0/24 (IETF protocol assignments"),
        ("192.88.99.0/24", "it overlaps 192.88.99.0/24 (6to4 relay anycast"),
        ("192.31.196.0/24", "it overlaps 192.31.196.0/24 (AS112 DNS service"),
        ("192.52.193.0/24", "it overlaps 192.52.193.0/24 (AMT relay anycast"),
        ("192.175.48.0/24", "it overlaps 192.175.48.0/24 (AS112 direct delegation"),
        ("192.0.0.0/16", "it overlaps 192.0.0.0/24"),
    ],
)
def test_special_purpose_address_space_is_no_processor_network(cidr: str, what: str) -> None:
    message = error_of({"config.processor_cidrs": cidr})
    assert f"processor_cidrs: {cidr!r} is not a public network of /16 or narrower: {what}" in message


def test_the_documentation_ranges_the_examples_use_are_accepted_and_said_to_be() -> None:
    ranges = ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24")
    assert resolve({"config.processor_cidrs": ",".join(ranges)}).network.processor_cidrs == ranges
    assert all(network in by_name()["processor_cidrs"].allowed for network in ranges)


@pytest.mark.parametrize(
    ("zones", "expected"),
    [
        (["us-east-1a", "us-east-1a"], "lists ['us-east-1a', 'us-east-1a'], which repeats a zone; list each once"),
        (["us-east-1a", "us-east-1b", "us-east-1a"], "which repeats a zone"),
        (["us-east-1a", 3], "lists [3], which are not zone names (text)"),
        (["us-east-1a", None, "us-east-1b"], "lists [None], which are not zone names"),
        ("us-east-1a,us-east-1b", "holds 'us-east-1a,us-east-1b', not a list of zone names"),
        ({"a": "us-east-1a"}, "holds {'a': 'us-east-1a'}, not a list of zone names"),
    ],
)
def test_an_availability_zone_list_that_is_not_distinct_zone_names_is_refused_as_such(
    zones: Any, expected: str
) -> None:
    message = error_of(zones_context(zones))
    assert message.startswith("availability zones: 'availability-zones:account=")
    assert expected in message
    assert "has no list" not in message


def test_the_standby_regions_zones_are_held_to_the_same_rule() -> None:
    standby = with_standby(None)
    standby |= zones_context(["us-west-2a", "us-west-2a", "us-west-2b"], region=standby["config.standby_region"])
    assert "region=us-west-2' in cdk.context.json lists" in error_of(standby)


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        # a suggestion the setting then refuses is no help ('10.0.0.0/32' was advised): the rule's example instead
        ({"config.vpc_cidr": "10.0.0.0"}, "vpc_cidr: '10.0.0.0' is not an IPv4 network such as '10.0.0.0/16'"),
        ({"config.vpc_cidr": "10.10.0.0/008"}, "vpc_cidr: '10.10.0.0/008' is not an IPv4 network such as"),
        ({"config.processor_cidrs": "10.0.0.5"},
         "processor_cidrs: '10.0.0.5' is not an IPv4 network such as '203.0.113.0/24'"),
    ],
)  # fmt: skip
def test_a_network_message_advises_only_a_form_the_setting_takes(overrides: dict[str, Any], expected: str) -> None:
    assert expected in error_of(overrides)


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        # a number past any range, as given and briefly
        ({"config.max_tasks": 1e300}, "config.max_tasks: 1e+300 is far beyond any setting's range"),
        ({"config.max_tasks": 10**400}, "config.max_tasks: a number of 1329 bits is far beyond any setting's range"),
        ({"config.max_tasks": "1" * 301}, "config.max_tasks: 111111111111… (301 characters) is far beyond"),
        ({"config.max_tasks": "9" * 5000}, "config.max_tasks: 999999999999… (5000 characters) is far beyond"),
        # what the CDK CLI makes of 1e400 (JSON.parse gives Infinity, JSON.stringify writes null)
        ({"config.max_tasks": None}, "config.max_tasks: null is not a whole number (a JSON number beyond 1.8e308"),
    ],
)  # fmt: skip
def test_a_number_past_any_range_is_shown_as_given_and_briefly(overrides: dict[str, Any], expected: str) -> None:
    message = error_of(overrides)
    assert expected in message
    assert len(message) < 300


@pytest.mark.parametrize(
    ("overrides", "count"),
    [
        # an impossible task size is one problem, not also a service container short of memory
        ({"config.task_memory_mib": "-1"}, 1),
        ({"config.task_cpu": "300"}, 1),
        # the edge section reports every problem, not its first
        ({"config.waf_rate_limit": "5", "config.waf_payment_rate_limit": "1",
          "config.waf_rule_versions": "AWSManagedRulesCommonRuleSet=latest,AWSManagedRulesSQLiRuleSet=latest"}, 4),
    ],
)  # fmt: skip
def test_each_problem_is_reported_once_and_none_is_left_out(overrides: dict[str, Any], count: int) -> None:
    with pytest.raises(ConfigError) as caught:
        resolve(overrides)
    assert len(caught.value.problems) == count, caught.value.problems


def test_a_shell_health_check_from_the_command_line_keeps_its_commas() -> None:
    """`-c` splits a list at every comma; CMD-SHELL takes one command line, so all after its first comma is it."""
    command = "CMD-SHELL,python -c 'print(1,2)' || exit 1"
    config = resolve({"config.health_check_command": command})
    assert config.compute.health_check_command == ("CMD-SHELL", "python -c 'print(1,2)' || exit 1")
    assert "every comma after `CMD` starts an argument" in by_name()["health_check_command"].allowed


@pytest.mark.parametrize(
    ("context", "expected"),
    [
        (
            ZONE | {"config.tls.domain_name": "a" * 60 + ".example.com"},
            "an ACM certificate's domain name takes at most",
        ),
        ({"config.max_tasks": "9" * 5000}, "config.max_tasks: 999999999999… (5000 characters) is far beyond"),
    ],
)
def test_app_reports_what_used_to_be_a_traceback_as_one_line_and_exit_2(context: dict[str, Any], expected: str) -> None:
    result = run_app(context, {})
    assert (result.returncode, "Traceback" in result.stderr) == (2, False), result.stderr[-2000:]
    (line,) = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert expected in line


def _certificate(*, authority: bool) -> bytes:
    """A self-signed certificate in PEM, a CA's or a leaf's (made for the test, its key thrown away)."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "authority" if authority else "leaf")])
    start = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(1).not_valid_before(start).not_valid_after(start + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=authority, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    return certificate.public_bytes(serialization.Encoding.PEM)


@pytest.mark.parametrize(
    ("bundle", "expected"),
    [
        (lambda: _certificate(authority=True), None),
        (lambda: _certificate(authority=True) + _certificate(authority=True), None),
        # The bundle is uploaded as an asset for the trust store: a key in it would be uploaded too.
        (lambda: _certificate(authority=True) + b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
         "holds a PRIVATE KEY block; the bundle is uploaded for the load balancer's trust store: give CA "
         "certificates only"),
        (lambda: _certificate(authority=False), "certificate 1 (CN=leaf) is not a CA certificate"),
        (lambda: b"-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n",
         "holds a block that is not an X.509 certificate"),
        (lambda: b"no PEM here", "holds no PEM certificate"),
    ],
)  # fmt: skip
def test_the_client_ca_bundle_holds_ca_certificates_and_nothing_else(
    bundle: Callable[[], bytes], expected: str | None
) -> None:
    problems = ca_bundle_problems("bundle.pem", bundle())
    assert problems == [] if expected is None else expected in " ".join(problems)


@pytest.mark.parametrize("path", ["/etc/ssl/certs/ca-certificates.crt", "../clients-ca.pem", "certs/../../x.pem"])
def test_the_client_ca_bundle_is_a_file_of_the_repository(path: str) -> None:
    """A bundle outside the repository (a system store trusts every public CA) is not reviewed with the code."""
    error = error_of({"env": "staging", "config.tls.client_ca_bundle": path})
    assert f"tls.client_ca_bundle: {path!r} is outside the repository; give a path relative to the repository root" in (
        error
    )


@pytest.mark.parametrize(
    ("hosts", "refused"),
    [
        (".co.uk", True),
        (".com.au", True),
        # Anyone's API: every API Gateway API of the region.
        (".execute-api.us-east-1.amazonaws.com", True),
        (".processor.co.uk", False),
        (".gateway.processor.example", False),
        ("api.processor.example", False),
    ],
)
def test_a_host_pattern_on_a_public_suffix_is_refused(hosts: str, refused: bool) -> None:
    """A leading dot allows the name and every name under it: on a public suffix, names anyone can register."""
    overrides = {"config.processor_hosts": hosts}
    if refused:
        assert f"processor_hosts: {hosts!r} would allow every name under {hosts[1:]!r}, a public suffix" in error_of(
            overrides
        )
    else:
        assert resolve(overrides).network.processor_hosts == (hosts,)


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"config.service_name": "1payments"}, "service_name: '1payments' must start with a letter"),
        ({"config.paging_emails": "a@b.example,"}, "paging_emails: 'a@b.example,' has an empty item"),
        ({"config.paging_emails": "a@b.example, ,c@d.example"}, "has an empty item; separate items with single commas"),
        ({"config.waf_rule_versions": "AWSManagedRulesCommonRuleSet=Version_01.0"}, "is not GROUP=Version_N.N"),
        ({"config.waf_rule_versions": "AWSManagedRulesCommonRuleSet=Version_99999999999999999999.0"},
         "is not GROUP=Version_N.N"),
        ({**ZONE, "config.tls.domain_name": "payments.example.com."},
         "tls.domain_name: 'payments.example.com.' ends with a dot; give it without ('payments.example.com')"),
        ({**ZONE, "config.tls.domain_name": "payments.co.uk", "config.tls.hosted_zone_name": "co.uk"},
         "tls.hosted_zone_name: 'co.uk' is a public suffix"),
        ({"env": "staging", "config.tls.client_ca_bundle": str(ROOT / "certs" / "clients-ca.pem")},
         "give it relative to the repository root ('certs/clients-ca.pem')"),
    ],
)  # fmt: skip
def test_a_third_rounds_hidden_inputs_are_refused_naming_what_to_give(overrides: dict[str, Any], expected: str) -> None:
    assert expected in error_of(overrides)


@pytest.mark.parametrize(
    ("environ", "error"),
    [
        ({"CDK_CONTEXT_JSON": '{"env": "dev"', "CDK_OUTDIR": "/nonexistent"}, "CDK_CONTEXT_JSON is not JSON"),
        ({"CDK_CONTEXT_JSON": "[1, 2]", "CDK_OUTDIR": "/nonexistent"},
         "CDK_CONTEXT_JSON holds a JSON list, not an object of context keys"),
        ({"CDK_CONTEXT_JSON": '{"env": "dev", "env": "prod"}', "CDK_OUTDIR": "/nonexistent"},
         "CDK_CONTEXT_JSON gives 'env' 2 times; give it once"),
        ({}, "app.py runs under the CDK CLI (make synth, or cdk synth)"),
    ],
)  # fmt: skip
def test_the_context_the_cli_hands_over_is_checked_before_the_cdk_reads_it(environ: dict[str, str], error: str) -> None:
    """Malformed, not an object, a key twice (the last would win), or no CLI at all: one line and exit 2."""
    clean = {key: value for key, value in os.environ.items() if not key.startswith("CDK_")}
    done = subprocess.run(
        [sys.executable, "app.py"], cwd=ROOT, env=clean | environ, capture_output=True, text=True, check=False
    )
    assert done.returncode == 2
    assert error in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_clearing_the_standby_region_clears_the_standby_without_blaming_its_mode() -> None:
    """prod's profile sets standby_mode pilot-light; -c config.standby_region= turns the standby off, which is what
    was asked, not a standby_mode mistake (a mode given with the override still is one)."""
    assert resolve({"env": "prod", "config.standby_region": ""}).standby_region is None
    assert "standby_mode: 'hot' has no effect without standby_region" in error_of(
        {"env": "prod", "config.standby_region": "", "config.standby_mode": "hot"}
    )


def test_removing_the_standby_region_says_so() -> None:
    """Disaster recovery gone by a one-off override deserves a line, not silence."""
    resolution = resolve_config(cdk_context() | {"env": "prod", "config.standby_region": ""}, {})
    assert any("removes prod's standby region (us-west-2)" in notice for notice in resolution.notices)
