"""components/log_archive.py: every event of the source log groups lands in the one-year archive, encrypted."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import Duration
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3

from components.log_archive import LogArchive
from tests.support.bare import CUSTODIANS, bare_stack, one, properties, resources, template


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    stack = bare_stack()
    LogArchive(
        stack,
        "LogArchive",
        key=kms.Key(stack, "DataKey"),
        retention=Duration.days(400),
        custodians=CUSTODIANS,
        server_access_logs=s3.Bucket(stack, "AccessLogs"),
        sources={"App": logs.LogGroup(stack, "AppLogGroup"), "Waf": logs.LogGroup(stack, "WafLogGroup")},
    )
    return template(stack)


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
