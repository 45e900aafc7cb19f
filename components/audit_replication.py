"""Disaster recovery of the audit trail: the primary's audit buckets replicate into replica buckets in the
standby region, under the standby's data key.

Primary side, `AuditReplication`: the role S3 replicates with, its policy, and each bucket's destination
(`target(kind)`); every bucket built with a target registers itself, and the policy grows by exactly that
bucket. Standby side, `add_replica_buckets`: the replica buckets, under the names the primary replicates to.
The standby is named, not referenced: its replica buckets have set names and its data key an alias with the
same name in both regions, so no stack holds a cross-region reference.
"""

from __future__ import annotations

from aws_cdk import CfnElement, Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from components.audit_alarms import ReplicatedBucket
from components.audit_bucket import AuditBucket, Replication, default_retention
from components.break_glass import Custodians
from components.managed_role import account_service
from rules.acknowledge import acknowledge_wildcards
from settings.naming import REPLICATED_BUCKETS, PhysicalNames
from settings.sections import AuditLockMode

WILDCARD_REASON = (
    "Replication reads and writes every object version of these buckets and the standby key is known by alias "
    "only; compensating control: each statement names its buckets, and the key statement is limited by alias and "
    "by the standby region's S3"
)


class AuditReplication(Construct):
    """The replication role and policy of the primary region's audit buckets."""

    def __init__(self, scope: Construct, id_: str, *, names: PhysicalNames, standby_region: str) -> None:
        super().__init__(scope, id_)
        stack = Stack.of(self)
        self._names = names
        self._account = stack.account
        self.standby_region = standby_region
        # S3 accepts an alias ARN as the replica key and resolves it in the requester's account, which is this
        # account: both regions belong to it.
        self.replica_key_arn = f"arn:aws:kms:{standby_region}:{stack.account}:{names.data_key_alias}"
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=account_service(self, "s3.amazonaws.com"),
            description="S3 replicates the audit buckets to the standby region",
        )
        standby_keys = f"arn:aws:kms:{standby_region}:{stack.account}:key/*"
        self._read_configuration = iam.PolicyStatement(
            sid="ReadReplicationConfiguration", actions=["s3:GetReplicationConfiguration", "s3:ListBucket"]
        )
        self._read_versions = iam.PolicyStatement(
            sid="ReadSourceVersions",
            # Retention and legal hold travel with a version into a replica under Object Lock.
            actions=[
                "s3:GetObjectVersionForReplication",
                "s3:GetObjectVersionAcl",
                "s3:GetObjectVersionTagging",
                "s3:GetObjectRetention",
                "s3:GetObjectLegalHold",
            ],
        )
        self._write_replicas = iam.PolicyStatement(
            sid="WriteReplicas", actions=["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"]
        )
        self._decrypt_sources = iam.PolicyStatement(
            sid="DecryptSources",
            actions=["kms:Decrypt"],
            conditions={"StringEquals": {"kms:ViaService": f"s3.{stack.region}.amazonaws.com"}},
        )
        self._source_keys: set[str] = set()
        # Each source bucket and its replica, as replication metrics name them (`components/audit_alarms.py`).
        self.replicated: list[ReplicatedBucket] = []
        self._encrypt_replicas = iam.PolicyStatement(
            sid="EncryptReplicas",
            actions=["kms:Encrypt", "kms:GenerateDataKey"],
            # The standby key is known here by its alias only.
            resources=[standby_keys],
            conditions={
                "StringEquals": {"kms:ViaService": f"s3.{standby_region}.amazonaws.com"},
                "ForAnyValue:StringEquals": {"kms:ResourceAliases": names.data_key_alias},
            },
        )
        self.policy = iam.ManagedPolicy(
            self,
            "Policy",
            roles=[self.role],
            description="Replicate the audit buckets to the standby region",
            statements=[
                self._read_configuration,
                self._read_versions,
                self._write_replicas,
                self._decrypt_sources,
                self._encrypt_replicas,
            ],
        )
        self._acknowledge(f"Resource::{standby_keys}", self._encrypt_replicas)

    def replica_name(self, kind: str) -> str:
        return self._names.replica_bucket(kind, self._account, self.standby_region)

    def target(self, kind: str) -> Replication:
        """Where the audit bucket of `kind` replicates to; the bucket registers itself when built."""
        return Replication(
            role=self.role,
            bucket_name=self.replica_name(kind),
            region=self.standby_region,
            key_arn=self.replica_key_arn,
            register=lambda bucket, key: self._include(kind, bucket, key),
        )

    def _include(self, kind: str, bucket: s3.Bucket, key: kms.IKey | None) -> None:
        """Let the role read `bucket` (decrypting with `key`) and write its replica."""
        replica = f"arn:aws:s3:::{self.replica_name(kind)}/*"
        self.replicated.append(ReplicatedBucket(source=bucket.bucket_name, replica=self.replica_name(kind)))
        self._read_configuration.add_resources(bucket.bucket_arn)
        self._read_versions.add_resources(bucket.arn_for_objects("*"))
        self._write_replicas.add_resources(replica)
        if key is not None and key.key_arn not in self._source_keys:
            self._source_keys.add(key.key_arn)
            self._decrypt_sources.add_resources(key.key_arn)
        element = bucket.node.default_child
        assert isinstance(element, CfnElement)
        stack = Stack.of(self)
        self._acknowledge(f"Resource::<{stack.resolve(stack.get_logical_id(element))}.Arn>/*", self._read_versions)
        self._acknowledge(f"Resource::{replica}", self._write_replicas)

    def _acknowledge(self, granular: str, statement: iam.PolicyStatement) -> None:
        acknowledge_wildcards(self.policy, granular=granular, statements=[statement], reason=WILDCARD_REASON)


def add_replica_buckets(
    scope: Construct,
    *,
    names: PhysicalNames,
    retention: Duration,
    custodians: Custodians,
    lock_mode: AuditLockMode,
    encryption_key: kms.IKey,
    server_access_logs: s3.IBucket,
) -> dict[str, s3.IBucket]:
    """The standby region's replicas of the primary's audit buckets, retained, under the names replicated to, with
    S3 Object Lock enabled and a default retention of the whole retention (`lock_mode`). S3's guide says a
    replicated object takes the lock settings of its source object: the log archive's carry its own retention;
    whether replicas of the unlocked sources (flow, ALB and server access logs) take the replica bucket's default
    is confirmed on the first replica (docs/RUNBOOK.md, `make verify`), not here.

    Built directly in `scope` (the standby Security stack), where their logical ids are pinned.
    """
    stack = Stack.of(scope)
    region, account = stack.region, stack.account
    return {
        kind: AuditBucket(
            scope,
            f"{kind.title().replace('-', '')}Replica",
            retention=retention,
            custodians=custodians,
            lock=default_retention(lock_mode, retention),
            encryption_key=encryption_key,
            server_access_logs=server_access_logs,
            server_access_logs_prefix=f"{kind}-replica/",
            bucket_name=names.replica_bucket(kind, account, region),
            is_replica=True,
        ).bucket
        for kind in REPLICATED_BUCKETS
    }
