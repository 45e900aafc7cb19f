"""The profiles are data: each is valid, and a mistake in one is refused like a bad override, naming it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from dataclasses import replace

import pytest

from settings import PROFILES, ConfigError, EnvironmentConfig, TlsSettings, resolve_config
from settings.profiles import DEFAULT_PROFILE
from settings.sections import CpuArchitecture
from tests.support.synthesized import ROOT
from tooling.synthesis import cdk_context


@pytest.mark.parametrize("name", sorted(PROFILES))
def test_every_profile_is_valid_and_keeps_one_task_per_zone(name: str) -> None:
    config = resolve_config(cdk_context() | {"env": name}, {}).config
    assert config.name == name
    assert config.compute.min_tasks >= config.network.az_count == len(config.availability_zones)


def test_the_defaults_fix_the_seeds_sizing_and_retention() -> None:
    """The Pulumi version ran 256 CPU / 512 MiB tasks and kept logs 7 days (MODEL_FAILURES.md)."""
    defaults = EnvironmentConfig(name="x", region="us-east-1", account=None, cost_center="x", tls=TlsSettings())
    assert (defaults.compute.task_cpu, defaults.compute.task_memory_mib) == (512, 1024)
    assert defaults.retention.log_retention_days == 90
    assert defaults.retention.audit_archive_days >= 365


def test_a_mistake_in_one_profile_leaves_the_others_usable() -> None:
    default = PROFILES[DEFAULT_PROFILE]
    broken = {**PROFILES, DEFAULT_PROFILE: replace(default, compute=replace(default.compute, task_cpu=300))}
    with pytest.raises(ConfigError) as caught:
        resolve_config(cdk_context() | {"env": DEFAULT_PROFILE}, {}, broken)
    assert caught.value.problems[0].startswith(
        f"environment {DEFAULT_PROFILE!r}: task_cpu: 300 is not a Fargate CPU size"
    )
    for other in set(PROFILES) - {DEFAULT_PROFILE}:
        assert resolve_config(cdk_context() | {"env": other}, {}, broken).config.name == other


def test_a_wrong_type_in_a_profile_is_named_not_a_traceback() -> None:
    default = PROFILES[DEFAULT_PROFILE]
    compute = replace(default.compute, task_cpu="512", cpu_architecture="arm")  # type: ignore[arg-type]
    problems = replace(default, compute=compute).problems()
    assert "task_cpu: '512' is not a whole number" in problems
    assert f"cpu_architecture: 'arm' is not one of {[a.value for a in CpuArchitecture]}" in problems


# Edits settings/profiles.py's dict the way a hand edit would, then runs app.py's main as `cdk synth` does.
BROKEN_PROFILE = textwrap.dedent(
    """
    import sys
    from dataclasses import replace
    from settings import profiles
    name = profiles.DEFAULT_PROFILE
    default = profiles.PROFILES[name]
    profiles.PROFILES[name] = replace(default, edge=replace(default.edge, waf_rate_limit=5))
    import app
    sys.exit(app.main())
    """
)


def test_a_bad_value_edited_into_a_profile_is_one_line_naming_the_profile_and_exit_2() -> None:
    environ = {key: value for key, value in os.environ.items() if key not in ("AWS_REGION", "ENVIRONMENT_SUFFIX")}
    context = cdk_context() | {"env": DEFAULT_PROFILE}
    result = subprocess.run(
        [sys.executable, "-c", BROKEN_PROFILE],
        cwd=ROOT,
        env=environ | {"CDK_CONTEXT_JSON": json.dumps(context), "CDK_OUTDIR": "/nonexistent"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert (
        result.stderr.strip()
        == f"error: environment {DEFAULT_PROFILE!r}: waf_rate_limit: 5 is outside 10..2000000000 requests per 5 minutes"
    )
