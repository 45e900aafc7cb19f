"""The payment ledger's DynamoDB table: payments and idempotency records, kept, recoverable, encrypted.

One partition key (`pk`): `PAYMENT#<id>` items are the ledger, kept for good; `IDEMPOTENCY#<client>#<key>`
items hold a key's first answer and expire through the table's time to live (`expires_at`). The service
writes both in one transaction (`service/payments_service/ledger.py`). Encrypted with the customer-managed
data key, point-in-time recovery on (35 days of restorable history), retained on delete and replacement,
deletion protection where the environment is protected.
"""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kms as kms
from constructs import Construct

from rules.acknowledge import HIPAA_SECURITY, NIST_800_53_R5, acknowledge

PARTITION_KEY = "pk"
TIME_TO_LIVE_ATTRIBUTE = "expires_at"


class PaymentLedgerTable(Construct):
    def __init__(self, scope: Construct, id_: str, *, key: kms.IKey, deletion_protection: bool) -> None:
        super().__init__(scope, id_)
        self.table = dynamodb.Table(
            self,
            "Table",
            partition_key=dynamodb.Attribute(name=PARTITION_KEY, type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
            encryption_key=key,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            time_to_live_attribute=TIME_TO_LIVE_ATTRIBUTE,
            deletion_protection=deletion_protection,
            # Empty until the Compute stack's tasks write, so a failed first create may remove it; but CloudFormation
            # cannot delete a table under deletion protection, so a protected one is kept (it has no fixed name).
            removal_policy=RemovalPolicy.RETAIN if deletion_protection else RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
        )
        acknowledge(
            self.table,
            "DynamoDBInBackupPlan",
            packs=(NIST_800_53_R5, HIPAA_SECURITY),
            reason="Not in an AWS Backup plan; compensating controls: point-in-time recovery (35 days of "
            "continuous, restorable history) is on, the table is retained on delete and replacement, and deletion "
            "protection is on where the environment is protected",
        )
