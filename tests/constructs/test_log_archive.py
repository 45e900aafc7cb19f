"""components/log_archive.py: every event of the source log groups lands in the one-year archive, encrypted."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import Duration
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3

from components.log_archive import LogArchive
from settings.sections import AuditLockMode
from tests.support.bare import CUSTODIANS, bare_stack, one, properties, resources, template


def build(lock_mode: AuditLockMode = AuditLockMode.GOVERNANCE) -> dict[str, Any]:
    stack = bare_stack()
    LogArchive(
        stack,
        "LogArchive",
        key=kms.Key(stack, "DataKey"),
        retention=Duration.days(400),
        custodians=CUSTODIANS,
        server_access_logs=s3.Bucket(stack, "AccessLogs"),
        lock_mode=lock_mode,
        sources={"App": logs.LogGroup(stack, "AppLogGroup"), "Waf": logs.LogGroup(stack, "WafLogGroup")},
    )
    return template(stack)


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return build()


@pytest.mark.parametrize("mode", list(AuditLockMode))
def test_every_archived_record_is_locked_for_the_whole_retention(mode: AuditLockMode) -> None:
    """PCI DSS 10.3.2: nobody (in `compliance` mode, not even the account root) deletes or overwrites an archived
    record before the retention ends; the lifecycle expires nothing earlier than the lock lets it."""
    document = build(mode)
    (bucket,) = [b for b in properties(document, "AWS::S3::Bucket") if "ObjectLockEnabled" in b]
    assert bucket["ObjectLockEnabled"] is True
    assert bucket["ObjectLockConfiguration"] == {
        "ObjectLockEnabled": "Enabled",
        "Rule": {"DefaultRetention": {"Mode": mode.value.upper(), "Days": 400}},
    }
    (rule,) = bucket["LifecycleConfiguration"]["Rules"]
    assert rule["ExpirationInDays"] >= 400
    assert rule["NoncurrentVersionExpiration"]["NoncurrentDays"] >= 400


def test_every_event_of_each_source_streams_into_the_archive(document: dict[str, Any]) -> None:
    (stream_id,) = resources(document, "AWS::KinesisFirehose::DeliveryStream")
    subscriptions = properties(document, "AWS::Logs::SubscriptionFilter")
    assert sorted(s["LogGroupName"]["Ref"][:11] for s in subscriptions) == ["AppLogGroup", "WafLogGroup"]
    for subscription in subscriptions:
        assert subscription["FilterPattern"] == ""
        assert subscription["DestinationArn"] == {"Fn::GetAtt": [stream_id, "Arn"]}


def test_stream_and_bucket_are_encrypted_with_the_key_and_kept_a_year(document: dict[str, Any]) -> None:
    stream = one(document, "AWS::KinesisFirehose::DeliveryStream")
    key = stream["DeliveryStreamEncryptionConfigurationInput"]["KeyARN"]
    assert key["Fn::GetAtt"][0].startswith("DataKey")
    assert stream["DeliveryStreamEncryptionConfigurationInput"]["KeyType"] == "CUSTOMER_MANAGED_CMK"
    destination = stream["ExtendedS3DestinationConfiguration"]
    assert destination["EncryptionConfiguration"] == {"KMSEncryptionConfig": {"AWSKMSKeyARN": key}}
    (archive_id,) = [
        lid for lid, b in resources(document, "AWS::S3::Bucket").items() if lid.startswith("LogArchiveBucket")
    ]
    assert destination["BucketARN"] == {"Fn::GetAtt": [archive_id, "Arn"]}
    bucket = document["Resources"][archive_id]["Properties"]
    (rule,) = bucket["LifecycleConfiguration"]["Rules"]
    assert rule["ExpirationInDays"] >= 365
    (encryption,) = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert encryption["ServerSideEncryptionByDefault"]["KMSMasterKeyID"] == key
