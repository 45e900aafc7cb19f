"""Cross-region replication of the audit buckets into the standby region, under a key there."""

from __future__ import annotations

from aws_cdk import CfnElement, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from compliance.acknowledge import AWS_SOLUTIONS, acknowledge
from components.audit_bucket import Replication
from components.managed_role import account_service
from settings.naming import PhysicalNames


class AuditReplication(Construct):
    """The role S3 replicates with; `target(kind)` tells a bucket where to replicate, `allow` grants it.

    The standby side is named, not referenced: its replica buckets have set names and its data key an alias
    with the same name in both regions, so the primary stack needs no cross-region reference.
    """

    def __init__(self, scope: Construct, id_: str, *, names: PhysicalNames, standby_region: str) -> None:
        super().__init__(scope, id_)
        stack = Stack.of(self)
        self._names = names
        self._account = stack.account
        self.standby_region = standby_region
        # S3 accepts an alias ARN as the replica key and resolves it in the requester's account, which is this
        # account: both regions belong to it.
        self.replica_key_arn = f"arn:aws:kms:{standby_region}:{stack.account}:{names.data_key_alias}"
        # The policy is attached after the buckets exist (bucket -> role, policy -> role and buckets: no cycle).
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=account_service(self, "s3.amazonaws.com"),
            description="S3 replicates the audit buckets to the standby region",
        )

    def replica_name(self, kind: str) -> str:
        return self._names.replica_bucket(kind, self._account, self.standby_region)

    def target(self, kind: str) -> Replication:
        return Replication(
            role=self.role,
            bucket_name=self.replica_name(kind),
            region=self.standby_region,
            key_arn=self.replica_key_arn,
        )

    def allow(self, sources: dict[str, s3.IBucket], source_key: kms.IKey) -> iam.ManagedPolicy:
        """Grant replication of each `kind -> bucket` to its replica; call once, after the buckets exist."""
        stack = Stack.of(self)
        replicas = [f"arn:aws:s3:::{self.replica_name(kind)}/*" for kind in sources]
        standby_keys = f"arn:aws:kms:{self.standby_region}:{stack.account}:key/*"
        policy = iam.ManagedPolicy(
            self,
            "Policy",
            roles=[self.role],
            description="Replicate the audit buckets to the standby region",
            statements=[
                iam.PolicyStatement(
                    sid="ReadReplicationConfiguration",
                    actions=["s3:GetReplicationConfiguration", "s3:ListBucket"],
                    resources=[bucket.bucket_arn for bucket in sources.values()],
                ),
                iam.PolicyStatement(
                    sid="ReadSourceVersions",
                    actions=[
                        "s3:GetObjectVersionForReplication",
                        "s3:GetObjectVersionAcl",
                        "s3:GetObjectVersionTagging",
                    ],
                    resources=[bucket.arn_for_objects("*") for bucket in sources.values()],
                ),
                iam.PolicyStatement(
                    sid="WriteReplicas",
                    actions=["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"],
                    resources=replicas,
                ),
                iam.PolicyStatement(
                    sid="DecryptSources",
                    actions=["kms:Decrypt"],
                    resources=[source_key.key_arn],
                    conditions={"StringEquals": {"kms:ViaService": f"s3.{stack.region}.amazonaws.com"}},
                ),
                iam.PolicyStatement(
                    sid="EncryptReplicas",
                    actions=["kms:Encrypt", "kms:GenerateDataKey"],
                    # The standby key is known here by its alias only.
                    resources=[standby_keys],
                    conditions={
                        "StringEquals": {"kms:ViaService": f"s3.{self.standby_region}.amazonaws.com"},
                        "ForAnyValue:StringEquals": {"kms:ResourceAliases": self._names.data_key_alias},
                    },
                ),
            ],
        )
        resource = policy.node.default_child or policy
        elements = [bucket.node.default_child for bucket in sources.values()]
        wildcards = [
            *(
                f"Resource::<{stack.resolve(stack.get_logical_id(e))}.Arn>/*"
                for e in elements
                if isinstance(e, CfnElement)
            ),
            *(f"Resource::{replica}" for replica in replicas),
            f"Resource::{standby_keys}",
        ]
        for granular in wildcards:
            acknowledge(
                resource,
                "IAM5",
                packs=(AWS_SOLUTIONS,),
                granular=granular,
                reason="Replication reads and writes every object version of these buckets and the standby key "
                "is known by alias only; compensating control: each statement names its buckets, and the key "
                "statement is limited by alias and by the standby region's S3",
            )
        return policy
