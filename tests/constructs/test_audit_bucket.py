"""components/audit_bucket.py: private, TLS-only, versioned, tiered, retained audit buckets."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_kms as kms

from components.audit_bucket import (
    ERASING_ACTIONS,
    SERVER_ACCESS_LOGS_UNLOCKABLE,
    UNPROTECTING_ACTIONS,
    AuditBucket,
    default_retention,
)
from settings.sections import AuditLockMode
from tests.support.bare import CUSTODIANS, bare_stack, resources, template

RETENTION_DAYS = 400


@pytest.fixture(scope="module")
def buckets() -> dict[str, dict[str, Any]]:
    """One bucket of each kind: SSE-KMS with access logs, SSE-S3, and an access-log target kept on rollback."""
    stack = bare_stack()
    key = kms.Key(stack, "Key")
    logs = AuditBucket(
        stack,
        "AccessLogs",
        retention=Duration.days(RETENTION_DAYS),
        custodians=CUSTODIANS,
        removal_policy=RemovalPolicy.RETAIN,
        unlocked_because=SERVER_ACCESS_LOGS_UNLOCKABLE,
    ).bucket
    AuditBucket(
        stack,
        "Kms",
        retention=Duration.days(RETENTION_DAYS),
        custodians=CUSTODIANS,
        encryption_key=key,
        server_access_logs=logs,
        server_access_logs_prefix="kms/",
        lock=default_retention(AuditLockMode.COMPLIANCE, Duration.days(RETENTION_DAYS)),
    )
    AuditBucket(
        stack,
        "S3Managed",
        retention=Duration.days(RETENTION_DAYS),
        custodians=CUSTODIANS,
        server_access_logs=logs,
        unlocked_because="its writer is not known to deliver into a locked bucket",
    )
    document = template(stack)
    found = resources(document, "AWS::S3::Bucket")
    by_name = {next(n for n in ("AccessLogs", "Kms", "S3Managed") if lid.startswith(n)): b for lid, b in found.items()}
    by_name["_policies"] = {"all": resources(document, "AWS::S3::BucketPolicy")}
    return by_name


def each(buckets: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    return [bucket for name, bucket in buckets.items() if not name.startswith("_")]


def test_buckets_block_public_access_are_versioned_and_owner_enforced(buckets: dict[str, dict[str, Any]]) -> None:
    for bucket in each(buckets):
        properties = bucket["Properties"]
        assert properties["PublicAccessBlockConfiguration"] == dict.fromkeys(
            ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"), True
        )
        assert properties["VersioningConfiguration"] == {"Status": "Enabled"}
        assert properties["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}


def test_objects_tier_to_colder_storage_and_are_kept_the_retention(buckets: dict[str, dict[str, Any]]) -> None:
    """An overwritten or deleted record is kept as a noncurrent version as long as current ones (it was 90 days:
    a deleted log was gone long before the year of retention)."""
    for bucket in each(buckets):
        (rule,) = bucket["Properties"]["LifecycleConfiguration"]["Rules"]
        assert [t["StorageClass"] for t in rule["Transitions"]] == ["STANDARD_IA", "GLACIER_IR"]
        assert rule["ExpirationInDays"] == RETENTION_DAYS
        assert rule["NoncurrentVersionExpiration"] == {"NoncurrentDays": RETENTION_DAYS}


def test_only_the_break_glass_role_may_erase_records_or_unprotect_the_bucket(
    buckets: dict[str, dict[str, Any]],
) -> None:
    """Deploys may still change the bucket's configuration; nobody else, an administrator included."""
    for policy in buckets["_policies"]["all"].values():
        statements = {s.get("Sid"): s for s in policy["Properties"]["PolicyDocument"]["Statement"]}
        erase, unprotect = statements["OnlyBreakGlassErases"], statements["OnlyDeploysOrBreakGlassUnprotect"]
        assert (erase["Effect"], erase["Principal"], unprotect["Effect"], unprotect["Principal"]) == (
            "Deny",
            {"AWS": "*"},
            "Deny",
            {"AWS": "*"},
        )
        assert set(erase["Action"]) == set(ERASING_ACTIONS) >= {"s3:DeleteObject", "s3:DeleteObjectVersion"}
        assert erase["Condition"] == {"ArnNotEquals": {"aws:PrincipalArn": CUSTODIANS.break_glass_role_arn}}
        assert (
            set(unprotect["Action"])
            == set(UNPROTECTING_ACTIONS)
            >= {
                "s3:PutBucketPolicy",
                "s3:PutLifecycleConfiguration",
            }
        )
        allowed = [CUSTODIANS.break_glass_role_arn, CUSTODIANS.deployer_role_arn]
        assert unprotect["Condition"] == {"ArnNotEquals": {"aws:PrincipalArn": allowed}}


def test_every_bucket_refuses_plain_http_and_old_tls(buckets: dict[str, dict[str, Any]]) -> None:
    policies = buckets["_policies"]["all"].values()
    assert len(policies) == len(each(buckets))
    for policy in policies:
        conditions = [
            s["Condition"] for s in policy["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Deny"
        ]
        assert {"Bool": {"aws:SecureTransport": "false"}} in conditions
        assert {"NumericLessThan": {"s3:TlsVersion": 1.2}} in conditions


def test_a_key_gives_sse_kms_with_a_bucket_key_and_no_key_gives_sse_s3(buckets: dict[str, dict[str, Any]]) -> None:
    (kms_rule,) = buckets["Kms"]["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert kms_rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert kms_rule["BucketKeyEnabled"] is True
    # ALB access logs and S3 server access logs accept nothing but SSE-S3.
    (s3_rule,) = buckets["S3Managed"]["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert s3_rule["ServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}


def test_buckets_log_their_access_under_their_own_prefix(buckets: dict[str, dict[str, Any]]) -> None:
    logging = buckets["Kms"]["Properties"]["LoggingConfiguration"]
    assert logging["DestinationBucketName"]["Ref"].startswith("AccessLogs")
    assert logging["LogFilePrefix"] == "kms/"


def test_retained_on_delete_and_replacement_and_after_a_failed_create_only_when_asked(
    buckets: dict[str, dict[str, Any]],
) -> None:
    assert (buckets["Kms"]["DeletionPolicy"], buckets["Kms"]["UpdateReplacePolicy"]) == (
        "RetainExceptOnCreate",
        "Retain",
    )
    assert buckets["AccessLogs"]["DeletionPolicy"] == "Retain"


def test_a_bucket_given_a_lock_keeps_every_record_the_whole_retention(buckets: dict[str, dict[str, Any]]) -> None:
    properties = buckets["Kms"]["Properties"]
    assert properties["ObjectLockEnabled"] is True
    assert properties["ObjectLockConfiguration"]["Rule"] == {
        "DefaultRetention": {"Mode": "COMPLIANCE", "Days": RETENTION_DAYS}
    }
    for name in ("AccessLogs", "S3Managed"):
        assert "ObjectLockEnabled" not in buckets[name]["Properties"]


def test_a_bucket_without_a_lock_must_say_why() -> None:
    stack = bare_stack()
    with pytest.raises(ValueError, match="give an Object Lock default retention or the reason the bucket has none"):
        AuditBucket(stack, "Unexplained", retention=Duration.days(RETENTION_DAYS), custodians=CUSTODIANS)
