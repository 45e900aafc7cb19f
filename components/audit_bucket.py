"""S3 bucket for audit records: private, TLS-only, versioned, tiered to colder storage, retained."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from compliance.acknowledge import acknowledge

INFREQUENT_ACCESS_AFTER = Duration.days(30)
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
    ) -> None:
        super().__init__(scope, id_)
        self.bucket: s3.Bucket = s3.Bucket(
            self,
            "Bucket",
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
            removal_policy=RemovalPolicy.RETAIN,
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
        resource = self.bucket.node.default_child
        assert resource is not None
        acknowledge(
            resource,
            "S3BucketReplicationEnabled",
            reason="Single-region until a standby region is configured; compensating controls: versioning, "
            "RETAIN on stack deletion, and 90 days of noncurrent versions protect every object from loss",
        )
        if encryption_key is None:
            acknowledge(
                resource,
                "S3DefaultEncryptionKMS",
                reason="ALB access-log and S3 server-access-log delivery accept only SSE-S3 (AES-256); "
                "compensating controls: block public access, TLS-only bucket policy, bucket-owner-enforced "
                "ownership and writes limited to the log delivery principals",
            )
