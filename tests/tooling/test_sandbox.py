"""tooling/sandbox.py and .github/workflows/sandbox.yml: the workflow runs the make targets a person runs, on
pinned actions, with OIDC and no stored key; its two account steps record the zones synth needs and delete what a
destroyed deployment leaves that would block the next run."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from moto import mock_aws

from settings import PROFILES
from settings.profiles import DEFAULT_PROFILE
from settings.resolve import availability_zone_context_key
from tooling.sandbox import cleanup, record_zones
from tooling.synthesis import ROOT

WORKFLOW = ROOT / ".github" / "workflows" / "sandbox.yml"
SANDBOX = "123456789012"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for variable in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(variable, "testing")
    with mock_aws():
        yield


def workflow() -> dict[str, Any]:
    found: dict[str, Any] = yaml.safe_load(WORKFLOW.read_text())
    return found


def test_the_workflow_runs_the_make_targets_a_person_runs_in_order() -> None:
    (job,) = workflow()["jobs"].values()
    commands = " ".join(step.get("run", "") for step in job["steps"])
    positions = [commands.index(f"make {target}") for target in ("preflight", "deploy", "verify", "drill", "drift")]
    assert positions == sorted(positions)
    assert "make destroy" in commands
    uploads = [s for s in job["steps"] if s.get("uses", "").startswith("actions/upload-artifact@")]
    assert uploads[0]["if"] == "always()"


def test_the_workflow_signs_in_with_oidc_pinned_actions_and_no_stored_key() -> None:
    found = workflow()
    (job,) = found["jobs"].values()
    assert found["permissions"] == {"contents": "read"}
    assert job["permissions"] == {"contents": "read", "id-token": "write"}
    for step in job["steps"]:
        if "uses" in step:
            assert len(step["uses"].split("@")[1]) == 40, step["uses"]  # a commit, not a movable tag
    text = WORKFLOW.read_text()
    assert "secrets." not in text
    assert "aws-access-key-id" not in text
    assert "vars.SANDBOX_ROLE_ARN" in job["if"]


def test_zones_are_recorded_under_the_key_synth_reads(aws: None, tmp_path: Path) -> None:
    context = tmp_path / "cdk.context.json"
    context.write_text((ROOT / "cdk.context.json").read_text())
    zones = record_zones(boto3.client("ec2", region_name="us-east-1"), SANDBOX, "us-east-1", context)
    recorded = json.loads(context.read_text())
    assert recorded[availability_zone_context_key(SANDBOX, "us-east-1")] == zones
    assert len(zones) >= PROFILES[DEFAULT_PROFILE].network.az_count


def test_cleanup_deletes_the_named_log_groups_that_would_block_the_next_run(aws: None) -> None:
    logs = boto3.client("logs", region_name="us-east-1")
    names = PROFILES[DEFAULT_PROFILE].names
    logs.create_log_group(logGroupName=names.waf_log_group)
    assert cleanup(logs, names) == [f"deleted log group {names.waf_log_group}"]
    assert logs.describe_log_groups()["logGroups"] == []
    assert cleanup(logs, names) == []  # a second run finds nothing and fails nothing
