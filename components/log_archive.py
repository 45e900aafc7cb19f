"""One-year audit log archive: CloudWatch Logs subscription filters stream into Firehose, Firehose into S3.

CloudWatch keeps the last 90 days hot and queryable; the archive bucket keeps everything at least
`retention` (PCI DSS 10.5.1: twelve months), under S3 Object Lock for that long (PCI DSS 10.3.2, 10.3.3; mode
`lock_mode`). Both ends are encrypted with the data key.
"""

from __future__ import annotations

from aws_cdk import CfnElement, Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesisfirehose as firehose
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from constructs import Construct

from components.audit_bucket import AuditBucket, Replication, default_retention
from components.break_glass import Custodians
from components.managed_role import account_service, role_with_policy
from rules.acknowledge import acknowledge_wildcards
from settings.sections import AuditLockMode

BUFFER_SECONDS = 300
BUFFER_MIB = 5


class LogArchive(Construct):
    """Everything written to the `sources` log groups lands in a KMS-encrypted, versioned, retained bucket."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        key: kms.IKey,
        retention: Duration,
        custodians: Custodians,
        server_access_logs: s3.IBucket,
        lock_mode: AuditLockMode,
        sources: dict[str, logs.ILogGroup],
        replication: Replication | None = None,
        unreplicated_reason: str | None = None,
    ) -> None:
        super().__init__(scope, id_)
        stack = Stack.of(self)
        self.bucket: s3.IBucket = AuditBucket(
            self,
            "Bucket",
            retention=retention,
            custodians=custodians,
            encryption_key=key,
            server_access_logs=server_access_logs,
            server_access_logs_prefix="log-archive-bucket/",
            replication=replication,
            unreplicated_reason=unreplicated_reason,
            # Every record kept the whole retention. A write into a bucket with a default retention must carry a
            # checksum; that Firehose's do is not documented: a refused delivery raises the archive delivery alarm
            # (components/audit_alarms.py), and `make verify` reads the archive.
            lock=default_retention(lock_mode, retention),
            # Firehose writes CloudWatch Logs' test message for a new subscription during this stack's create,
            # and nobody but break glass may empty it: a rollback could not delete it. Unnamed, so it blocks no retry.
            removal_policy=RemovalPolicy.RETAIN,
        ).bucket

        write_archive = iam.PolicyStatement(
            sid="WriteArchive",
            actions=[
                "s3:AbortMultipartUpload",
                "s3:GetBucketLocation",
                "s3:GetObject",
                "s3:ListBucket",
                "s3:ListBucketMultipartUploads",
                "s3:PutObject",
            ],
            resources=[self.bucket.bucket_arn, self.bucket.arn_for_objects("*")],
        )
        delivery_role, delivery_policy = role_with_policy(
            self,
            "Delivery",
            assumed_by=account_service(self, "firehose.amazonaws.com"),
            description="Firehose writes the log archive",
            statements=[
                write_archive,
                iam.PolicyStatement(
                    sid="EncryptArchive",
                    actions=["kms:Decrypt", "kms:GenerateDataKey"],
                    resources=[key.key_arn],
                    conditions={"StringEquals": {"kms:ViaService": f"s3.{stack.region}.amazonaws.com"}},
                ),
            ],
        )
        bucket_resource = self.bucket.node.default_child
        assert isinstance(bucket_resource, CfnElement)
        acknowledge_wildcards(
            delivery_policy,
            granular=f"Resource::<{stack.get_logical_id(bucket_resource)}.Arn>/*",
            statements=[write_archive],
            reason="Firehose writes objects under date prefixes it chooses at delivery time; compensating "
            "control: the statement is limited to this one archive bucket",
        )
        self.stream = firehose.CfnDeliveryStream(
            self,
            "Stream",
            delivery_stream_type="DirectPut",
            delivery_stream_encryption_configuration_input=firehose.CfnDeliveryStream.DeliveryStreamEncryptionConfigurationInputProperty(
                key_type="CUSTOMER_MANAGED_CMK", key_arn=key.key_arn
            ),
            extended_s3_destination_configuration=firehose.CfnDeliveryStream.ExtendedS3DestinationConfigurationProperty(
                bucket_arn=self.bucket.bucket_arn,
                role_arn=delivery_role.role_arn,
                prefix="logs/!{timestamp:yyyy/MM/dd}/",
                error_output_prefix="errors/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd}/",
                buffering_hints=firehose.CfnDeliveryStream.BufferingHintsProperty(
                    interval_in_seconds=BUFFER_SECONDS, size_in_m_bs=BUFFER_MIB
                ),
                # CloudWatch Logs delivers gzip-compressed batches already.
                compression_format="UNCOMPRESSED",
                encryption_configuration=firehose.CfnDeliveryStream.EncryptionConfigurationProperty(
                    kms_encryption_config=firehose.CfnDeliveryStream.KMSEncryptionConfigProperty(
                        awskms_key_arn=key.key_arn
                    )
                ),
            ),
        )
        self.stream.node.add_dependency(delivery_policy)

        subscription_role, subscription_policy = role_with_policy(
            self,
            "Subscription",
            assumed_by=iam.ServicePrincipal(f"logs.{stack.region}.amazonaws.com").with_conditions(
                {"ArnLike": {"aws:SourceArn": stack.format_arn(service="logs", resource="*")}}
            ),
            description="CloudWatch Logs forwards log events to the archive stream",
            statements=[
                iam.PolicyStatement(
                    sid="ForwardToArchive",
                    actions=["firehose:PutRecord", "firehose:PutRecordBatch"],
                    resources=[self.stream.attr_arn],
                )
            ],
        )
        self.subscriptions = []
        for name, group in sources.items():
            subscription = logs.CfnSubscriptionFilter(
                self,
                f"{name}Subscription",
                log_group_name=group.log_group_name,
                filter_pattern="",
                destination_arn=self.stream.attr_arn,
                role_arn=subscription_role.role_arn,
            )
            subscription.node.add_dependency(subscription_policy)
            self.subscriptions.append(subscription)
