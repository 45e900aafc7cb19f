"""Security stack: keys, audit stores, log groups, WAF and the certificate. Stateful; deploys first."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Duration, RemovalPolicy, Stack
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from components.audit_alarms import ReplicatedBucket
from components.audit_bucket import DELIVERY_UNVERIFIED, SERVER_ACCESS_LOGS_UNLOCKABLE, AuditBucket
from components.audit_replication import AuditReplication, add_replica_buckets
from components.break_glass import Custodians, create_custodian_roles
from components.certificate import ServiceCertificate
from components.generated_functions import log_retention_days
from components.governance import GovernanceBucket
from components.keys import DataEncryptionKey, LogEncryptionKey, SecretEncryptionKey, TopicEncryptionKey
from components.ledger_table import PaymentLedgerTable
from components.log_archive import LogArchive
from components.log_group import EncryptedLogGroup, vended_log_delivery
from components.processor_secret import ProcessorSecret
from components.web_acl import RegionalWebAcl
from settings.environment import EnvironmentConfig
from settings.sections import GovernanceMode

# Why the standby region's own audit buckets are not replicated (the register shows it for those buckets).
STANDBY_OWN_RECORDS = (
    "This is an audit bucket of the standby region's own (its VPC, load balancer, logs and the access to its "
    "replicas); replication runs from the primary region into this one only; compensating controls: versioning, "
    "RETAIN on stack deletion, noncurrent versions kept as long as current ones, and a bucket policy that lets "
    "only the break-glass role delete"
)


class SecurityStack(Stack):
    """Everything whose loss would lose audit data or break encryption, kept apart from stateless stacks."""

    def __init__(self, scope: Construct, id_: str, *, config: EnvironmentConfig, **kwargs: Any) -> None:
        super().__init__(scope, id_, **kwargs)
        names = config.names
        archive = Duration.days(config.retention.audit_archive_days)
        unreplicated = STANDBY_OWN_RECORDS if config.is_standby else None
        log_days = config.retention.log_retention_days

        if not config.is_standby:  # IAM is global: the standby's buckets and keys name the primary's roles
            create_custodian_roles(self, names)
        custodians = Custodians.of(self, names)
        self.logs_key: kms.IKey = LogEncryptionKey(
            self, "LogsKey", alias=names.logs_key_alias, custodians=custodians
        ).key
        # One key per kind of data, so that no single key opens audit records, payment data and alerts together.
        trail = names.trail if config.governance is GovernanceMode.CREATE and not config.is_standby else None
        self.data_key: kms.IKey = DataEncryptionKey(
            self, "DataKey", alias=names.data_key_alias, custodians=custodians, trail=trail
        ).key
        self.secrets_key: kms.IKey = SecretEncryptionKey(
            self, "SecretsKey", alias=names.secrets_key_alias, custodians=custodians
        ).key
        self.topics_key: kms.IKey = TopicEncryptionKey(
            self, "TopicsKey", alias=names.topics_key_alias, custodians=custodians
        ).key

        replication = (
            AuditReplication(self, "Replication", names=names, standby_region=config.standby_region)
            if config.standby_region
            else None
        )
        # Written during this stack's own create (the other buckets' access logs): a rollback could not delete it.
        self.server_access_log_bucket: s3.IBucket = AuditBucket(
            self,
            "ServerAccessLogBucket",
            retention=archive,
            custodians=custodians,
            removal_policy=RemovalPolicy.RETAIN,
            unlocked_because=SERVER_ACCESS_LOGS_UNLOCKABLE,
            replication=replication.target("access-logs") if replication else None,
            unreplicated_reason=unreplicated,
        ).bucket
        self.flow_log_bucket: s3.IBucket = AuditBucket(
            self,
            "FlowLogBucket",
            retention=archive,
            custodians=custodians,
            encryption_key=self.data_key,
            server_access_logs=self.server_access_log_bucket,
            server_access_logs_prefix="flow-log-bucket/",
            unlocked_because=DELIVERY_UNVERIFIED.format(writer="VPC flow log delivery"),
            replication=replication.target("flow-logs") if replication else None,
            unreplicated_reason=unreplicated,
        ).bucket
        self.alb_log_bucket: s3.IBucket = AuditBucket(
            self,
            "AlbAccessLogBucket",
            retention=archive,
            custodians=custodians,
            server_access_logs=self.server_access_log_bucket,
            server_access_logs_prefix="alb-access-log-bucket/",
            unlocked_because=DELIVERY_UNVERIFIED.format(writer="ALB access log delivery"),
            replication=replication.target("alb-logs") if replication else None,
            unreplicated_reason=unreplicated,
        ).bucket

        self.app_log_group: logs.ILogGroup = EncryptedLogGroup(
            self, "AppLogGroup", key=self.logs_key, retention_days=log_days
        ).log_group
        self.generated_function_log_group: logs.ILogGroup = EncryptedLogGroup(
            self, "GeneratedFunctionLogGroup", key=self.logs_key, retention_days=log_retention_days(log_days)
        ).log_group
        self.waf_log_group: logs.ILogGroup = EncryptedLogGroup(
            self, "WafLogGroup", key=self.logs_key, retention_days=log_days, log_group_name=names.waf_log_group
        ).log_group
        # The egress firewall's alert log (components/egress_firewall.py), where the firewall is built.
        self.egress_log_group: logs.ILogGroup | None = None
        archived: dict[str, logs.ILogGroup] = {"App": self.app_log_group, "Waf": self.waf_log_group}
        if config.network.processor_hosts:
            self.egress_log_group = EncryptedLogGroup(
                self,
                "EgressLogGroup",
                key=self.logs_key,
                retention_days=log_days,
                log_group_name=names.egress_log_group,
            ).log_group
            vended_log_delivery(
                self,
                "EgressLogDelivery",
                policy_name=names.egress_log_delivery_policy,
                log_group_name=names.egress_log_group,
                sid="EgressFirewallLogDelivery",
            ).node.add_dependency(self.egress_log_group)
            archived["Egress"] = self.egress_log_group
        log_archive = LogArchive(
            self,
            "LogArchive",
            key=self.data_key,
            retention=archive,
            custodians=custodians,
            server_access_logs=self.server_access_log_bucket,
            lock_mode=config.retention.audit_lock_mode,
            sources=archived,
            replication=replication.target("log-archive") if replication else None,
            unreplicated_reason=unreplicated,
        )
        self.log_archive_bucket: s3.IBucket = log_archive.bucket
        # `make verify` reads an archived record's Object Lock retention (`archive locked`), today's log objects, and
        # follows a canary written into each audit bucket to its standby replica (`canary replicated`).
        CfnOutput(self, "LogArchiveBucketName", value=self.log_archive_bucket.bucket_name)
        CfnOutput(self, "FlowLogBucketName", value=self.flow_log_bucket.bucket_name)
        CfnOutput(self, "AlbLogBucketName", value=self.alb_log_bucket.bucket_name)
        CfnOutput(self, "AccessLogBucketName", value=self.server_access_log_bucket.bucket_name)
        # With `governance: create`, the bucket the trail and AWS Config deliver into (stacks/governance.py): here,
        # with the other audit buckets, so that its access logs name it as their source.
        self.governance_bucket: s3.IBucket | None = (
            GovernanceBucket(
                self,
                "GovernanceBucket",
                bucket_name=names.governance_bucket(self.account, self.region),
                retention=archive,
                custodians=custodians,
                data_key=self.data_key,
                server_access_logs=self.server_access_log_bucket,
                trail=trail,
            ).bucket
            if config.governance is GovernanceMode.CREATE
            else None
        )
        # The name, not the construct: the Observability stack imports it.
        self.log_archive_stream_name: str = log_archive.stream.ref
        CfnOutput(self, "LogArchiveStreamName", value=self.log_archive_stream_name)
        self.replicated_buckets: list[ReplicatedBucket] = replication.replicated if replication else []
        self.replica_buckets: dict[str, s3.IBucket] = (
            add_replica_buckets(
                self,
                names=names,
                retention=archive,
                custodians=custodians,
                lock_mode=config.retention.audit_lock_mode,
                encryption_key=self.data_key,
                server_access_logs=self.server_access_log_bucket,
            )
            if config.is_standby
            else {}
        )
        web_acl = RegionalWebAcl(
            self,
            "WebAcl",
            names=names,
            rate_limit=config.edge.waf_rate_limit,
            payment_rate_limit=config.edge.waf_payment_rate_limit,
            rule_versions=config.edge.pinned_versions,
            log_group=self.waf_log_group,
        )
        self.web_acl_arn: str = web_acl.web_acl.attr_arn

        self.processor_secret: secretsmanager.ISecret = ProcessorSecret(
            self,
            "ProcessorSecret",
            key=self.secrets_key,
            readers=[
                f"arn:aws:iam::{self.account}:role/{names.execution_role(config.region)}",
                custodians.break_glass_role_arn,
            ],
        ).secret
        # `make verify` reads when the processor's credentials last changed (`processor credentials current`).
        CfnOutput(self, "ProcessorSecretArn", value=self.processor_secret.secret_arn)
        self.ledger_table: dynamodb.ITable = PaymentLedgerTable(
            self, "Ledger", key=self.secrets_key, deletion_protection=config.termination_protection
        ).table

        service_certificate = ServiceCertificate(self, "Certificate", tls=config.tls)
        self.certificate: acm.ICertificate = service_certificate.certificate
        self.domain_name: str | None = service_certificate.domain_name
