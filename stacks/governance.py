"""Governance stack (`governance: create`): the account-level controls PCI DSS v4.0.1 asks to run continuously, for
an account without them. In each region: AWS Config recording and its managed rules, Security Hub's PCI DSS v4.0.1
standard, GuardDuty runtime monitoring and ECR scanning; in the primary region also the multi-region management
trail and its alarms (components/governance.py). They deliver into the Security stack's governance bucket."""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from constructs import Construct

from components.governance import ConfigRecording, DetectionServices, ManagementTrail
from settings.environment import EnvironmentConfig


class GovernanceStack(Stack):
    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        config: EnvironmentConfig,
        data_key: kms.IKey,
        logs_key: kms.IKey,
        warning_topic: sns.ITopic,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, id_, **kwargs)
        names = config.names
        # By name, not an import: nothing of the Security stack then depends on this stack's existence.
        self.bucket = s3.Bucket.from_bucket_name(
            self, "GovernanceBucket", names.governance_bucket(str(config.account), config.region)
        )
        # One trail records every region; global resources are recorded once, in the primary region.
        primary = not config.is_standby
        self.trail = (
            ManagementTrail(
                self,
                "ManagementTrail",
                name=names.trail,
                bucket=self.bucket,
                data_key=data_key,
                logs_key=logs_key,
                namespace=f"{names.metrics_namespace}/trail",
                warning_topic=warning_topic,
                log_days=config.retention.log_retention_days,
            )
            if primary
            else None
        )
        self.config_recording = ConfigRecording(
            self, "ConfigRecording", bucket=self.bucket, data_key=data_key, global_resources=primary
        )
        self.detection = DetectionServices(self, "Detection")
