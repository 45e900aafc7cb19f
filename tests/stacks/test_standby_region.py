"""What spans the two regions of an environment with a standby: DNS failover between them, replication into
the standby's buckets, and an image each region can pull. Profiles without a standby region skip these."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from settings.naming import REPLICATED_BUCKETS, SERVICE_CONTAINER
from settings.regions import guardduty_agent_repository
from tests.support import alarms as alarm_scenarios
from tests.support.alarms import in_alarm
from tests.support.synthesized import Synthesized


def with_standby(synthesized: Synthesized) -> Synthesized:
    if synthesized.config.standby_region is None:
        pytest.skip(f"{synthesized.name} has no standby region")
    return synthesized


def resources(documents: dict[str, dict[str, Any]], stack: str, resource_type: str) -> list[dict[str, Any]]:
    return [r for r in documents[stack]["Resources"].values() if r["Type"] == resource_type]


def test_the_service_name_fails_over_from_the_primarys_alb_to_the_standbys(each_profile: Synthesized) -> None:
    synthesized = with_standby(each_profile)
    config = synthesized.config
    records = {}
    for stack, region in (("Compute", config.region), ("StandbyCompute", config.standby_region)):
        (record,) = resources(synthesized.every_document, stack, "AWS::Route53::RecordSet")
        checks = {
            lid: r["Properties"]["HealthCheckConfig"]
            for lid, r in synthesized.every_document[stack]["Resources"].items()
            if r["Type"] == "AWS::Route53::HealthCheck"
        }
        properties = record["Properties"]
        records[properties["Failover"]] = properties
        assert properties["SetIdentifier"] == region
        assert properties["AliasTarget"]["EvaluateTargetHealth"] is True
        (region_check,) = [lid for lid, c in checks.items() if c["Type"] == "CLOUDWATCH_METRIC"]
        assert checks[region_check]["AlarmIdentifier"]["Region"] == region
        # The primary's record follows its preference (ops failover steps it aside), the standby's its health.
        followed = properties["HealthCheckId"]["Fn::GetAtt"][0]
        if properties["Failover"] == "PRIMARY":
            assert checks[followed] == {
                "Type": "CALCULATED",
                "ChildHealthChecks": [{"Fn::GetAtt": [region_check, "HealthCheckId"]}],
                "HealthThreshold": 1,
            }
        else:
            assert (followed, set(checks)) == (region_check, {region_check})
    assert set(records) == {"PRIMARY", "SECONDARY"}
    names = {(r["Name"], r["Type"], r["HostedZoneId"]) for r in records.values()}
    assert names == {(config.tls.domain_name, "A", config.tls.hosted_zone_id)}


def test_the_primary_replicates_each_audit_bucket_into_a_replica_the_standby_keeps(each_profile: Synthesized) -> None:
    synthesized = with_standby(each_profile)
    config = synthesized.config
    standby = config.standby()
    replicas = {
        r["Properties"]["BucketName"]: r
        for r in resources(synthesized.every_document, "StandbySecurity", "AWS::S3::Bucket")
        if "BucketName" in r["Properties"]
    }
    standby_aliases = {
        r["Properties"]["AliasName"]
        for r in resources(synthesized.every_document, "StandbySecurity", "AWS::KMS::Alias")
    }
    destinations = [
        rule["Destination"]
        for bucket in resources(synthesized.every_document, "Security", "AWS::S3::Bucket")
        for rule in bucket["Properties"].get("ReplicationConfiguration", {}).get("Rules", [])
    ]
    assert len(destinations) == len(REPLICATED_BUCKETS)
    for destination in destinations:
        name = destination["Bucket"].removeprefix("arn:aws:s3:::")
        assert name in replicas
        assert replicas[name]["DeletionPolicy"] in ("Retain", "RetainExceptOnCreate")
        key = destination["EncryptionConfiguration"]["ReplicaKmsKeyID"]
        assert key == f"arn:aws:kms:{standby.region}:{config.account}:{standby.names.data_key_alias}"
        assert standby.names.data_key_alias in standby_aliases


def test_pinned_images_run_in_each_region_from_that_regions_registry(each_profile: Synthesized) -> None:
    """The service's image and each sidecar's, where a profile pins them: the standby pulls its replicated copy."""
    config = with_standby(each_profile).config
    pinned = {s.name: s.image for s in config.compute.sidecars}
    if config.compute.container_image is not None:
        pinned[SERVICE_CONTAINER] = config.compute.container_image
    if not pinned:
        pytest.skip(f"{config.name} pins no image")
    for stack, region in (("Compute", config.region), ("StandbyCompute", config.standby_region)):
        (task,) = resources(each_profile.every_document, stack, "AWS::ECS::TaskDefinition")
        containers = {c["Name"]: json.dumps(c["Image"]) for c in task["Properties"]["ContainerDefinitions"]}
        repositories = set()
        for name, image in pinned.items():
            account, repository = image.split(".", 1)[0], image.split("/", 1)[1].split("@")[0]
            assert f"{account}.dkr.ecr.{region}." in containers[name]
            assert f"/{repository}@{image.split('@')[1]}" in containers[name]
            repositories.add(f"arn:aws:ecr:{region}:{account}:repository/{repository}")
        pulls = [
            statement["Resource"]
            for policy in resources(each_profile.every_document, stack, "AWS::IAM::ManagedPolicy")
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]
            if statement.get("Sid") == "PullImage"
        ]
        assert len(pulls) == 1
        pulled = set(pulls[0] if isinstance(pulls[0], list) else [pulls[0]])
        # GuardDuty's Fargate agent, which GuardDuty adds to each task (settings/regions.py).
        pulled.remove(guardduty_agent_repository(str(region)))
        if config.compute.container_image is None:  # the reference image, built into the bootstrap repository
            (built,) = pulled - repositories
            assert built.startswith(f"arn:aws:ecr:{region}:{config.account}:repository/cdk-")
            pulled.remove(built)
        assert pulled == repositories


def paging_signals(documents: dict[str, dict[str, Any]], stack: str, page: str) -> dict[str, dict[str, Any]]:
    """The alarms the stack's paging composite (named `page`) is made of, by logical id."""
    (composite,) = [
        c
        for c in resources(documents, stack, "AWS::CloudWatch::CompositeAlarm")
        if c["Properties"]["AlarmName"] == page
    ]
    named = set(re.findall(r'"Fn::GetAtt": \["([^"]+)", "Arn"\]', json.dumps(composite["Properties"]["AlarmRule"])))
    alarms = documents[stack]["Resources"]
    return {lid: alarms[lid]["Properties"] for lid in named}


def test_the_standbys_page_is_quiet_while_it_idles_and_real_once_it_serves(each_profile: Synthesized) -> None:
    """Its FIS stop condition and on-call rely on it: a page that is always on is no page."""
    synthesized = with_standby(each_profile)
    standby = synthesized.config.standby()
    signals = paging_signals(synthesized.every_document, "StandbyObservability", standby.names.page_alarm)
    tasks = standby.failover_min_tasks
    before = alarm_scenarios.idle() if standby.runs_idle else alarm_scenarios.serving(standby.compute.min_tasks)
    assert [lid for lid, alarm in signals.items() if in_alarm(alarm, before)] == []
    assert [lid for lid, alarm in signals.items() if in_alarm(alarm, alarm_scenarios.serving(tasks))] == []
    failing = [lid for lid, alarm in signals.items() if in_alarm(alarm, alarm_scenarios.not_starting(tasks))]
    assert any(lid.startswith("AlarmsTasksNotStarting") for lid in failing), failing
