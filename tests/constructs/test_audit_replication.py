"""components/audit_replication.py: the audit buckets replicate to the standby region under its key."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import Duration
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3

from components.audit_bucket import AuditBucket
from components.audit_replication import AuditReplication, add_replica_buckets
from settings.naming import REPLICATED_BUCKETS, PhysicalNames
from settings.sections import AuditLockMode
from tests.support.bare import ACCOUNT, CUSTODIANS, REGION, bare_stack, one, resources, template

NAMES = PhysicalNames(service="payments", environment="test")
STANDBY = "us-west-2"


@pytest.fixture(scope="module")
def primary() -> dict[str, Any]:
    """Two replicated buckets, one SSE-KMS and one SSE-S3 (as ALB logs must be)."""
    stack = bare_stack()
    key = kms.Key(stack, "DataKey")
    replication = AuditReplication(stack, "Replication", names=NAMES, standby_region=STANDBY)
    AuditBucket(
        stack,
        "FlowLogBucket",
        retention=Duration.days(400),
        custodians=CUSTODIANS,
        encryption_key=key,
        unlocked_because="flow logs",
        replication=replication.target("flow-logs"),
    )
    AuditBucket(
        stack,
        "AlbAccessLogBucket",
        retention=Duration.days(400),
        custodians=CUSTODIANS,
        unlocked_because="ALB logs",
        replication=replication.target("alb-logs"),
    )
    return template(stack)


def bucket(document: dict[str, Any], prefix: str) -> dict[str, Any]:
    (found,) = [b["Properties"] for lid, b in resources(document, "AWS::S3::Bucket").items() if lid.startswith(prefix)]
    return dict(found)


@pytest.mark.parametrize(("prefix", "kind"), [("FlowLogBucket", "flow-logs"), ("AlbAccessLogBucket", "alb-logs")])
def test_each_bucket_replicates_to_its_named_replica_under_the_standby_key_with_time_control(
    primary: dict[str, Any], prefix: str, kind: str
) -> None:
    replication = bucket(primary, prefix)["ReplicationConfiguration"]
    (role_id,) = resources(primary, "AWS::IAM::Role")
    assert replication["Role"] == {"Fn::GetAtt": [role_id, "Arn"]}
    (rule,) = replication["Rules"]
    destination = rule["Destination"]
    assert destination["Bucket"] == f"arn:aws:s3:::{NAMES.replica_bucket(kind, ACCOUNT, STANDBY)}"
    # By alias: the standby key has an alias of the same name in its region; no cross-region reference.
    assert destination["EncryptionConfiguration"] == {
        "ReplicaKmsKeyID": f"arn:aws:kms:{STANDBY}:{ACCOUNT}:{NAMES.data_key_alias}"
    }
    assert destination["Metrics"] == {"EventThreshold": {"Minutes": 15}, "Status": "Enabled"}
    assert destination["ReplicationTime"]["Status"] == "Enabled"
    assert rule["DeleteMarkerReplication"] == {"Status": "Disabled"}


def test_role_reads_each_source_and_writes_each_replica_and_nothing_else(primary: dict[str, Any]) -> None:
    policy = one(primary, "AWS::IAM::ManagedPolicy")
    statements = {s["Sid"]: s for s in policy["PolicyDocument"]["Statement"]}
    assert len(statements["ReadReplicationConfiguration"]["Resource"]) == 2
    assert len(statements["ReadSourceVersions"]["Resource"]) == 2
    assert sorted(statements["WriteReplicas"]["Resource"]) == sorted(
        f"arn:aws:s3:::{NAMES.replica_bucket(kind, ACCOUNT, STANDBY)}/*" for kind in ("flow-logs", "alb-logs")
    )
    # Only the SSE-KMS source needs its key, and only through S3 of this region.
    decrypt = statements["DecryptSources"]
    assert decrypt["Resource"]["Fn::GetAtt"][0].startswith("DataKey")
    assert decrypt["Condition"] == {"StringEquals": {"kms:ViaService": f"s3.{REGION}.amazonaws.com"}}
    encrypt = statements["EncryptReplicas"]
    assert encrypt["Resource"] == f"arn:aws:kms:{STANDBY}:{ACCOUNT}:key/*"
    assert encrypt["Condition"] == {
        "StringEquals": {"kms:ViaService": f"s3.{STANDBY}.amazonaws.com"},
        "ForAnyValue:StringEquals": {"kms:ResourceAliases": NAMES.data_key_alias},
    }


def test_role_is_assumed_by_s3_of_this_account_only(primary: dict[str, Any]) -> None:
    (role,) = resources(primary, "AWS::IAM::Role").values()
    (statement,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": "s3.amazonaws.com"}
    assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}


@pytest.mark.parametrize("mode", list(AuditLockMode))
def test_standby_keeps_retained_versioned_kms_replicas_under_the_names_replicated_to(mode: AuditLockMode) -> None:
    """Locked for the whole retention: in `compliance` mode not even the account root can erase a replica."""
    stack = bare_stack(region=STANDBY)
    add_replica_buckets(
        stack,
        names=NAMES,
        retention=Duration.days(400),
        custodians=CUSTODIANS,
        lock_mode=mode,
        encryption_key=kms.Key(stack, "DataKey"),
        server_access_logs=s3.Bucket(stack, "AccessLogs"),
    )
    replicas = {
        b["Properties"]["BucketName"]: b
        for b in resources(template(stack), "AWS::S3::Bucket").values()
        if "BucketName" in b.get("Properties", {})
    }
    assert set(replicas) == {NAMES.replica_bucket(kind, ACCOUNT, STANDBY) for kind in REPLICATED_BUCKETS}
    for replica in replicas.values():
        assert (replica["DeletionPolicy"], replica["UpdateReplacePolicy"]) == ("RetainExceptOnCreate", "Retain")
        assert replica["Properties"]["VersioningConfiguration"] == {"Status": "Enabled"}
        (encryption,) = replica["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        assert encryption["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
        assert replica["Properties"]["ObjectLockEnabled"] is True
        assert replica["Properties"]["ObjectLockConfiguration"] == {
            "ObjectLockEnabled": "Enabled",
            "Rule": {"DefaultRetention": {"Mode": mode.value.upper(), "Days": 400}},
        }
