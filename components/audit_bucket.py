"""S3 bucket for audit records: private, TLS-only, versioned, tiered to colder storage, retained, and erasable by
nobody but a break-glass role.

Its policy denies deleting an object or a version, and changing the bucket's policy, lifecycle, versioning or
Object Lock, to every principal but the break-glass role (and, for the configuration, CloudFormation's execution
role, which deploys it). An overwritten or deleted object stays as a noncurrent version as long as the bucket
keeps current ones (PCI DSS pack rule 10.3.2-AuditLogsUnerasable). Where the service that writes the bucket can
deliver into it, S3 Object Lock keeps every object for the whole retention (`lock`; rule 10.3.3-AuditLogsLocked):
the log archive and the standby's replicas. A bucket without it says why (`unlocked_because`), in the register.

Retained on stack deletion and replacement. By default also deleted when its stack's first create fails:
nothing is in it yet, and a named replica bucket left behind would make the retry fail with AlreadyExists.
A bucket that receives objects while its own stack is still being created (the server-access-log bucket)
is kept even then (`RemovalPolicy.RETAIN`): CloudFormation cannot delete a bucket that is not empty, and the
rollback would fail.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from components.break_glass import Custodians, deny_all_but
from rules.acknowledge import PCI_DSS_401, acknowledge
from settings.sections import AuditLockMode

INFREQUENT_ACCESS_AFTER = Duration.days(30)
# S3 Replication Time Control: 99.99 % of objects replicated within 15 minutes, with metrics.
REPLICATION_TIME = s3.ReplicationTimeValue.FIFTEEN_MINUTES
# The replication rule's id: a dimension of its metrics (components/audit_alarms.py).
REPLICATION_RULE_ID = "ToStandby"


@dataclass(frozen=True)
class Replication:
    """Where an audit bucket replicates to: a bucket in the standby region, encrypted with a key there.

    `register` is told the source bucket (and its key), so that the replication role may read it.
    """

    role: iam.IRole
    bucket_name: str
    region: str
    key_arn: str
    register: Callable[[s3.Bucket, kms.IKey | None], None]


GLACIER_AFTER = Duration.days(90)
LOCK_MODES = {
    AuditLockMode.COMPLIANCE: s3.ObjectLockRetention.compliance,
    AuditLockMode.GOVERNANCE: s3.ObjectLockRetention.governance,
}


def default_retention(mode: AuditLockMode, retention: Duration) -> s3.ObjectLockRetention:
    """S3 Object Lock's default retention: every new object version kept `retention` in `mode` (`governance`: the
    break-glass role may bypass it; `compliance`: nobody may, the account root included)."""
    return LOCK_MODES[mode](retention)


# Why a bucket cannot carry a default retention, by the service that writes it.
SERVER_ACCESS_LOGS_UNLOCKABLE = (
    "S3 server access logging does not deliver into a bucket with S3 Object Lock enabled (S3 user guide)"
)
DELIVERY_UNVERIFIED = (
    "AWS does not document that {writer} can write into a bucket with an Object Lock default retention (whose "
    "writes need a checksum header), and a refused delivery loses the log, so the lock is left to a sandbox test "
    "(docs/RUNBOOK.md, Object Lock on the delivery buckets)"
)
# What erases records, and what would let them be erased: only the break-glass role may.
ERASING_ACTIONS = (
    "s3:DeleteObject",
    "s3:DeleteObjectVersion",
    "s3:BypassGovernanceRetention",
    "s3:PutObjectRetention",
    "s3:PutObjectLegalHold",
)
UNPROTECTING_ACTIONS = (
    "s3:PutBucketPolicy",
    "s3:DeleteBucketPolicy",
    "s3:PutLifecycleConfiguration",
    "s3:PutBucketVersioning",
    "s3:PutBucketObjectLockConfiguration",
)


def guard_statements(custodians: Custodians, bucket: s3.IBucket) -> list[iam.PolicyStatement]:
    """Nobody but the break-glass role erases a record; nobody but it and deploys unprotects the bucket."""
    return [
        deny_all_but(
            "OnlyBreakGlassErases", ERASING_ACTIONS, bucket.arn_for_objects("*"), custodians.break_glass_role_arn
        ),
        deny_all_but(
            "OnlyDeploysOrBreakGlassUnprotect",
            UNPROTECTING_ACTIONS,
            bucket.bucket_arn,
            custodians.break_glass_role_arn,
            custodians.deployer_role_arn,
        ),
    ]


class AuditBucket(Construct):
    """A bucket that log delivery writes to and nobody can read over plain HTTP or from the internet.

    `encryption_key` gives SSE-KMS; without it the bucket uses SSE-S3, which is all that ALB access
    logs and S3 server access logs accept as a destination.
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        retention: Duration,
        custodians: Custodians,
        encryption_key: kms.IKey | None = None,
        server_access_logs: s3.IBucket | None = None,
        server_access_logs_prefix: str | None = None,
        replication: Replication | None = None,
        bucket_name: str | None = None,
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
        lock: s3.ObjectLockRetention | None = None,
        unlocked_because: str | None = None,
        unreplicated_reason: str | None = None,
        is_replica: bool = False,
    ) -> None:
        super().__init__(scope, id_)
        if (lock is None) == (unlocked_because is None):
            raise ValueError(f"{id_}: give an Object Lock default retention or the reason the bucket has none")
        rules = None
        if replication is not None:
            destination = s3.Bucket.from_bucket_attributes(
                self, "ReplicaBucket", bucket_name=replication.bucket_name, region=replication.region
            )
            rules = [
                s3.ReplicationRule(
                    id=REPLICATION_RULE_ID,
                    destination=destination,
                    priority=0,
                    kms_key=kms.Key.from_key_arn(self, "ReplicaKey", replication.key_arn),
                    sse_kms_encrypted_objects=encryption_key is not None,
                    replication_time_control=REPLICATION_TIME,
                    metrics=REPLICATION_TIME,
                    delete_marker_replication=False,
                )
            ]
        self.bucket: s3.Bucket = s3.Bucket(
            self,
            "Bucket",
            bucket_name=bucket_name,
            replication_rules=rules,
            replication_role=replication.role if replication else None,
            encryption=s3.BucketEncryption.KMS if encryption_key else s3.BucketEncryption.S3_MANAGED,
            encryption_key=encryption_key,
            bucket_key_enabled=encryption_key is not None,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            minimum_tls_version=1.2,
            versioned=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            server_access_logs_bucket=server_access_logs,
            server_access_logs_prefix=server_access_logs_prefix,
            removal_policy=removal_policy,
            object_lock_enabled=lock is not None or None,
            object_lock_default_retention=lock,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="TierThenExpire",
                    transitions=[
                        s3.Transition(
                            storage_class=s3.StorageClass.INFREQUENT_ACCESS, transition_after=INFREQUENT_ACCESS_AFTER
                        ),
                        s3.Transition(
                            storage_class=s3.StorageClass.GLACIER_INSTANT_RETRIEVAL, transition_after=GLACIER_AFTER
                        ),
                    ],
                    expiration=retention,
                    # An overwritten or deleted record stays recoverable as long as any record is kept.
                    noncurrent_version_expiration=retention,
                    abort_incomplete_multipart_upload_after=Duration.days(7),
                )
            ],
        )
        for statement in guard_statements(custodians, self.bucket):
            self.bucket.add_to_resource_policy(statement)
        if replication is not None:
            replication.register(self.bucket, encryption_key)
        if is_replica:
            acknowledge(
                self.bucket,
                "S3BucketReplicationEnabled",
                reason="This bucket is the standby region's replica of a primary audit bucket; compensating "
                "controls: a bucket policy that lets only the break-glass role erase, S3 Object Lock enabled, "
                "versioning, RETAIN on stack deletion, and the primary copy",
            )
        elif replication is None:
            acknowledge(
                self.bucket,
                "S3BucketReplicationEnabled",
                reason=unreplicated_reason
                or "This profile has no standby region to replicate to; compensating controls: versioning, RETAIN "
                "on stack deletion, noncurrent versions kept as long as current ones, and a bucket policy that lets "
                "only the break-glass role delete",
            )
        if unlocked_because is not None:
            replica = ", and its replica in the standby region" if replication else ""
            acknowledge(
                self.bucket,
                "10.3.3-AuditLogsLocked",
                packs=(PCI_DSS_401,),
                reason=f"{unlocked_because}; compensating controls: a bucket policy that lets only the break-glass "
                "role erase or unprotect (rule 10.3.2-AuditLogsUnerasable), versioning with noncurrent versions kept "
                f"as long as current ones, RETAIN on stack deletion{replica}",
            )
        if encryption_key is None:
            reason = (
                "ALB access-log and S3 server-access-log delivery accept only SSE-S3 (AES-256), and the bucket "
                "holds request metadata, not cardholder data; compensating controls: block public access, TLS-only "
                "bucket policy, bucket-owner-enforced ownership, and a policy that lets only the break-glass role "
                "erase a record (rule 10.3.2-AuditLogsUnerasable)"
            )
            acknowledge(self.bucket, "S3DefaultEncryptionKMS", reason=reason)
            acknowledge(self.bucket, "3.5.1-CustomerManagedKeys", packs=(PCI_DSS_401,), reason=reason)
