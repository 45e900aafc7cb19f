"""S3 bucket for audit records: private, TLS-only, versioned, tiered to colder storage, retained.

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

from rules.acknowledge import acknowledge

INFREQUENT_ACCESS_AFTER = Duration.days(30)
# S3 Replication Time Control: 99.99 % of objects replicated within 15 minutes, with metrics.
REPLICATION_TIME = s3.ReplicationTimeValue.FIFTEEN_MINUTES


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
# Overwritten or deleted objects stay recoverable this long.
NONCURRENT_VERSIONS_KEPT = Duration.days(90)


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
        encryption_key: kms.IKey | None = None,
        server_access_logs: s3.IBucket | None = None,
        server_access_logs_prefix: str | None = None,
        replication: Replication | None = None,
        bucket_name: str | None = None,
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    ) -> None:
        super().__init__(scope, id_)
        rules = None
        if replication is not None:
            destination = s3.Bucket.from_bucket_attributes(
                self, "ReplicaBucket", bucket_name=replication.bucket_name, region=replication.region
            )
            rules = [
                s3.ReplicationRule(
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
                    noncurrent_version_expiration=NONCURRENT_VERSIONS_KEPT,
                    abort_incomplete_multipart_upload_after=Duration.days(7),
                )
            ],
        )
        if replication is not None:
            replication.register(self.bucket, encryption_key)
        if bucket_name is not None:
            acknowledge(
                self.bucket,
                "S3BucketReplicationEnabled",
                reason="This bucket is the standby region's replica of a primary audit bucket; compensating "
                "controls: versioning, RETAIN on stack deletion, and the primary copy",
            )
        elif replication is None:
            acknowledge(
                self.bucket,
                "S3BucketReplicationEnabled",
                reason="Single-region until a standby region is configured; compensating controls: versioning, "
                "RETAIN on stack deletion, and 90 days of noncurrent versions protect every object from loss",
            )
        if encryption_key is None:
            acknowledge(
                self.bucket,
                "S3DefaultEncryptionKMS",
                reason="ALB access-log and S3 server-access-log delivery accept only SSE-S3 (AES-256); "
                "compensating controls: block public access, TLS-only bucket policy, bucket-owner-enforced "
                "ownership and writes limited to the log delivery principals",
            )
