"""components/ledger_table.py: the ledger is encrypted with the customer key, recoverable to any second of the
last 35 days, retained, protected where the environment is, and expires only idempotency records."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from aws_cdk import aws_kms as kms
from moto import mock_aws
from payments_service.ledger import DynamoDbLedger
from payments_service.payment_request import parse_payment

from components.ledger_table import PARTITION_KEY, TIME_TO_LIVE_ATTRIBUTE, PaymentLedgerTable
from tests.support.bare import bare_stack, resources, template


def build(*, deletion_protection: bool) -> dict[str, Any]:
    stack = bare_stack()
    PaymentLedgerTable(stack, "Ledger", key=kms.Key(stack, "DataKey"), deletion_protection=deletion_protection)
    return template(stack)


@pytest.mark.parametrize("protected", [True, False])
def test_the_table_is_encrypted_recoverable_retained_and_protected_as_asked(protected: bool) -> None:
    (table,) = resources(build(deletion_protection=protected), "AWS::DynamoDB::Table").values()
    properties = table["Properties"]
    assert properties["SSESpecification"]["SSEEnabled"] is True
    assert properties["SSESpecification"]["SSEType"] == "KMS"
    assert properties["SSESpecification"]["KMSMasterKeyId"]["Fn::GetAtt"][0].startswith("DataKey")
    assert properties["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert properties["DeletionProtectionEnabled"] is protected
    # A rollback cannot delete a protected table: it is kept even then (it has no fixed name to block a retry).
    kept = "Retain" if protected else "RetainExceptOnCreate"
    assert (table["DeletionPolicy"], table["UpdateReplacePolicy"]) == (kept, "Retain")
    assert properties["BillingMode"] == "PAY_PER_REQUEST"


def test_the_service_writes_this_table_as_defined_and_only_idempotency_records_expire(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The table made from this construct's own key schema takes the service's ledger writes; the service sets
    the time-to-live attribute on idempotency records, never on payments."""
    (table,) = resources(build(deletion_protection=False), "AWS::DynamoDB::Table").values()
    properties = table["Properties"]
    assert properties["TimeToLiveSpecification"] == {"AttributeName": TIME_TO_LIVE_ATTRIBUTE, "Enabled": True}
    for variable in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(variable, "testing")
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName="ledger",
            KeySchema=properties["KeySchema"],
            AttributeDefinitions=properties["AttributeDefinitions"],
            BillingMode=properties["BillingMode"],
        )
        request = parse_payment(b'{"amount": "1.00", "currency": "EUR", "idempotency_key": "schema-check"}')
        DynamoDbLedger("ledger", 3600, client=client).record("CN=client", request, 1_800_000_000.0)
        items = client.scan(TableName="ledger")["Items"]
    expiring = {item[PARTITION_KEY]["S"].split("#")[0] for item in items if TIME_TO_LIVE_ATTRIBUTE in item}
    kept = {item[PARTITION_KEY]["S"].split("#")[0] for item in items if TIME_TO_LIVE_ATTRIBUTE not in item}
    assert (expiring, kept) == ({"IDEMPOTENCY"}, {"PAYMENT"})
