"""Disaster recovery: prod runs a pilot-light copy in a standby region, with DNS failover and replicated audit data."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from settings import PROFILES, ConfigError
from settings.naming import REPLICATED_BUCKETS
from tests.conftest import Synthesized, synthesize

STANDBY = "us-west-2"


def standby_resources(prod: Synthesized, stack: str, resource_type: str) -> dict[str, dict[str, Any]]:
    resources: dict[str, dict[str, Any]] = prod.standby_documents[stack]["Resources"]
    return {logical_id: r for logical_id, r in resources.items() if r["Type"] == resource_type}


def test_standby_region_gets_the_full_set_of_stacks(prod: Synthesized) -> None:
    assert prod.stacks.standby is not None
    standby = prod.stacks.standby.all()
    assert [s.node.id for s in standby] == [
        "StandbySecurity",
        "StandbyNetwork",
        "StandbyCompute",
        "StandbyObservability",
    ]
    assert {(s.account, s.region) for s in standby} == {("333333333333", STANDBY)}
    assert [s.stack_name for s in standby] == [s.stack_name for s in prod.stacks.all()]


def test_standby_has_its_own_certificate_keys_and_waf(prod: Synthesized) -> None:
    assert len(standby_resources(prod, "StandbySecurity", "AWS::KMS::Key")) == 2
    assert len(standby_resources(prod, "StandbySecurity", "AWS::WAFv2::WebACL")) == 1
    (certificate,) = standby_resources(prod, "StandbySecurity", "AWS::CertificateManager::Certificate").values()
    assert certificate["Properties"]["DomainName"] == "payments.example.com"


def test_profile_without_a_standby_region_builds_one_region(dev: Synthesized, staging: Synthesized) -> None:
    assert dev.stacks.standby is None
    assert staging.stacks.standby is None
    assert dev.standby_documents == {}


def test_dns_fails_over_from_primary_to_standby_on_health_checks(prod: Synthesized) -> None:
    (primary,) = prod.properties("Compute", "AWS::Route53::RecordSet")
    (secondary,) = [
        r["Properties"] for r in standby_resources(prod, "StandbyCompute", "AWS::Route53::RecordSet").values()
    ]
    for record, failover, region in ((primary, "PRIMARY", "us-east-1"), (secondary, "SECONDARY", STANDBY)):
        assert (record["Name"], record["Type"], record["Failover"]) == ("payments.example.com", "A", failover)
        assert record["SetIdentifier"] == region
        assert record["HostedZoneId"] == "Z0EXAMPLEPROD00000001"
        assert record["AliasTarget"]["EvaluateTargetHealth"] is True
        assert "Fn::GetAtt" in record["HealthCheckId"]
    checks = [prod.properties("Compute", "AWS::Route53::HealthCheck")[0]] + [
        r["Properties"] for r in standby_resources(prod, "StandbyCompute", "AWS::Route53::HealthCheck").values()
    ]
    for check in checks:
        config = check["HealthCheckConfig"]
        assert (config["Type"], config["Port"], config["ResourcePath"]) == ("HTTPS", 443, "/health")
        assert (config["RequestInterval"], config["FailureThreshold"]) == (10, 3)


def test_audit_buckets_replicate_to_the_standby_under_its_key_with_metrics(prod: Synthesized) -> None:
    security = prod.stacks.security
    (role,) = [r for r in prod.resources("Security", "AWS::IAM::Role") if r.startswith("ReplicationRole")]
    for kind, bucket in (
        ("flow-logs", security.flow_log_bucket),
        ("alb-logs", security.alb_log_bucket),
        ("log-archive", security.log_archive_bucket),
    ):
        replication = prod.resource_of(bucket)["Properties"]["ReplicationConfiguration"]
        assert replication["Role"] == {"Fn::GetAtt": [role, "Arn"]}
        (rule,) = replication["Rules"]
        destination = rule["Destination"]
        assert destination["Bucket"] == f"arn:aws:s3:::payments-prod-{kind}-replica-333333333333-{STANDBY}"
        assert destination["EncryptionConfiguration"] == {
            "ReplicaKmsKeyID": f"arn:aws:kms:{STANDBY}:333333333333:alias/payments-prod/data"
        }
        assert destination["Metrics"] == {"EventThreshold": {"Minutes": 15}, "Status": "Enabled"}
        assert destination["ReplicationTime"]["Status"] == "Enabled"


def test_standby_keeps_retained_kms_encrypted_replicas_under_the_names_replicated_to(prod: Synthesized) -> None:
    buckets = standby_resources(prod, "StandbySecurity", "AWS::S3::Bucket")
    names = {r["Properties"].get("BucketName"): r for r in buckets.values()}
    for kind in REPLICATED_BUCKETS:
        replica = names[f"payments-prod-{kind}-replica-333333333333-{STANDBY}"]
        assert (replica["DeletionPolicy"], replica["UpdateReplacePolicy"]) == ("RetainExceptOnCreate", "Retain")
        assert replica["Properties"]["VersioningConfiguration"] == {"Status": "Enabled"}
        (encryption,) = replica["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        assert encryption["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    aliases = [
        r["Properties"]["AliasName"] for r in standby_resources(prod, "StandbySecurity", "AWS::KMS::Alias").values()
    ]
    assert "alias/payments-prod/data" in aliases


def test_primary_security_deploys_after_the_standby_replicas_exist(prod: Synthesized) -> None:
    assert prod.stacks.standby is not None
    assert prod.stacks.standby.security in prod.stacks.security.dependencies


@pytest.mark.parametrize(("mode", "tasks"), [("pilot-light", 0), ("warm", 3)])
def test_standby_runs_warm_or_pilot_light(mode: str, tasks: int) -> None:
    config = PROFILES["prod"]
    standby = dataclasses.replace(config, standby_mode=mode).standby()
    assert (standby.region, standby.role, standby.min_tasks, standby.desired_tasks) == (
        STANDBY,
        "standby",
        tasks,
        tasks,
    )


def test_pilot_light_standby_service_starts_with_no_task(prod: Synthesized) -> None:
    (service,) = [r["Properties"] for r in standby_resources(prod, "StandbyCompute", "AWS::ECS::Service").values()]
    (target,) = [
        r["Properties"]
        for r in standby_resources(prod, "StandbyCompute", "AWS::ApplicationAutoScaling::ScalableTarget").values()
    ]
    assert service["DesiredCount"] == 0
    assert (target["MinCapacity"], target["MaxCapacity"]) == (0, 10)


def test_one_budget_per_environment(prod: Synthesized) -> None:
    assert len(prod.resources("Observability", "AWS::Budgets::Budget")) == 1
    assert standby_resources(prod, "StandbyObservability", "AWS::Budgets::Budget") == {}


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"standby_region": "us-east-1"}, "standby_region: 'us-east-1' is the primary region"),
        ({"standby_region": "moon-1"}, "standby_region: 'moon-1' is not an AWS region name"),
        ({"standby_mode": "hot"}, "standby_mode: 'hot' is not one of ['warm', 'pilot-light']"),
    ],
)
def test_bad_standby_settings_are_refused(changes: dict[str, Any], expected: str) -> None:
    with pytest.raises(ConfigError, match=expected.replace("[", r"\[").replace("]", r"\]")):
        dataclasses.replace(PROFILES["prod"], **changes)


def test_standby_needs_a_dns_zone_for_failover() -> None:
    with pytest.raises(ConfigError, match="DNS failover needs a Route 53 zone"):
        synthesize("staging", {"config.standby_region": "us-west-2"})


def test_standby_stateful_resources_are_retained(prod: Synthesized) -> None:
    for stack, document in prod.standby_documents.items():
        for logical_id, resource in document["Resources"].items():
            if resource["Type"] in (
                "AWS::KMS::Key",
                "AWS::S3::Bucket",
                "AWS::Logs::LogGroup",
                "AWS::SecretsManager::Secret",
            ):
                assert resource["DeletionPolicy"] in ("RetainExceptOnCreate", "Retain"), (stack, logical_id)
                assert resource["UpdateReplacePolicy"] == "Retain", (stack, logical_id)


def test_a_pinned_image_runs_in_each_region_from_that_regions_registry() -> None:
    image = "333333333333.dkr.ecr.us-east-1.amazonaws.com/payments@sha256:" + "b" * 64
    pinned = synthesize("prod", {"config.container_image": image})
    for documents, stack, region in (
        (pinned.documents, "Compute", "us-east-1"),
        (pinned.standby_documents, "StandbyCompute", "us-west-2"),
    ):
        resources = documents[stack]["Resources"].values()
        (task,) = [r["Properties"] for r in resources if r["Type"] == "AWS::ECS::TaskDefinition"]
        (container,) = task["ContainerDefinitions"]
        image_parts = json.dumps(container["Image"])
        assert f"333333333333.dkr.ecr.{region}." in image_parts
        assert "/payments@sha256:" in image_parts
        pulls = [
            s["Resource"]
            for r in resources
            if r["Type"] == "AWS::IAM::ManagedPolicy"
            for s in r["Properties"]["PolicyDocument"]["Statement"]
            if s.get("Sid") == "PullImage"
        ]
        assert pulls == [f"arn:aws:ecr:{region}:333333333333:repository/payments"]
