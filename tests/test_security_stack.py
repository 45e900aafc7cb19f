"""Security stack guarantees: keys, audit buckets, log groups, WAF and certificate."""

from __future__ import annotations

from typing import Any

from aws_cdk.assertions import Match

from components.web_acl import MANAGED_RULE_GROUPS, RATE_RULE, REDACTED_HEADERS
from settings.naming import WAF_RULES
from tests.conftest import Synthesized

SECURITY = "Security"


def statements(resource: dict[str, Any], key: str) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = resource["Properties"][key]["Statement"]
    return result


def bucket_ids(dev: Synthesized) -> dict[str, str]:
    """Construct id of each audit bucket -> its logical id."""
    security = dev.stacks.security
    return {
        "FlowLogBucket": dev.logical_id(security.flow_log_bucket),
        "AlbAccessLogBucket": dev.logical_id(security.alb_log_bucket),
        "ServerAccessLogBucket": dev.logical_id(security.server_access_log_bucket),
        "LogArchiveBucket": dev.logical_id(security.log_archive_bucket),
    }


def test_kms_keys_rotate_yearly_and_wait_30_days_before_deletion(dev: Synthesized) -> None:
    keys = dev.properties(SECURITY, "AWS::KMS::Key")
    assert len(keys) == 2
    for key in keys:
        assert key["EnableKeyRotation"] is True
        assert key["PendingWindowInDays"] == 30


def test_logs_key_admits_only_cloudwatch_logs_of_this_account_and_region(dev: Synthesized) -> None:
    key = dev.resource_of(dev.stacks.security.logs_key)
    services = [s for s in statements(key, "KeyPolicy") if "Service" in s.get("Principal", {})]
    assert len(services) == 1
    (service,) = services
    assert service["Principal"]["Service"] == "logs.us-east-1.amazonaws.com"
    assert service["Condition"] == {
        "ArnLike": {"kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:us-east-1:111111111111:log-group:*"}
    }
    assert "kms:*" not in service["Action"]


def test_data_key_services_are_limited_to_this_account(dev: Synthesized) -> None:
    key = dev.resource_of(dev.stacks.security.data_key)
    services = [s for s in statements(key, "KeyPolicy") if "Service" in s.get("Principal", {})]
    principals: set[str] = set()
    for statement in services:
        service = statement["Principal"]["Service"]
        principals.update(service if isinstance(service, list) else [service])
    assert principals == {"delivery.logs.amazonaws.com", "cloudwatch.amazonaws.com", "budgets.amazonaws.com"}
    for statement in services:
        assert statement["Condition"]["StringEquals"]["aws:SourceAccount"] == "111111111111"
        assert "kms:*" not in statement["Action"]


def test_audit_buckets_block_public_access_are_versioned_and_owner_enforced(dev: Synthesized) -> None:
    buckets = dev.properties(SECURITY, "AWS::S3::Bucket")
    assert len(buckets) == 4
    for bucket in buckets:
        assert bucket["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        }
        assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
        assert bucket["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}


def test_audit_buckets_tier_to_colder_storage_and_keep_objects_a_year(dev: Synthesized) -> None:
    for bucket in dev.properties(SECURITY, "AWS::S3::Bucket"):
        (rule,) = bucket["LifecycleConfiguration"]["Rules"]
        assert [t["StorageClass"] for t in rule["Transitions"]] == ["STANDARD_IA", "GLACIER_IR"]
        assert rule["ExpirationInDays"] == dev.config.audit_archive_days >= 365
        assert rule["NoncurrentVersionExpiration"] == {"NoncurrentDays": 90}


def test_audit_buckets_refuse_plain_http_and_old_tls(dev: Synthesized) -> None:
    policies = dev.resources(SECURITY, "AWS::S3::BucketPolicy")
    protected = {policy["Properties"]["Bucket"]["Ref"] for policy in policies.values()}
    assert protected == set(bucket_ids(dev).values())
    for policy in policies.values():
        denies = [s for s in statements(policy, "PolicyDocument") if s["Effect"] == "Deny"]
        conditions = [s["Condition"] for s in denies]
        assert {"Bool": {"aws:SecureTransport": "false"}} in conditions
        assert {"NumericLessThan": {"s3:TlsVersion": 1.2}} in conditions


def test_flow_log_bucket_is_sse_kms_with_the_data_key(dev: Synthesized) -> None:
    ids = bucket_ids(dev)
    bucket = dev.resources(SECURITY, "AWS::S3::Bucket")[ids["FlowLogBucket"]]
    (rule,) = bucket["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert rule["ServerSideEncryptionByDefault"]["KMSMasterKeyID"]["Fn::GetAtt"][0].startswith("DataKey")
    assert rule["BucketKeyEnabled"] is True


def test_log_delivery_buckets_are_sse_s3_because_alb_and_s3_logging_accept_nothing_else(dev: Synthesized) -> None:
    ids = bucket_ids(dev)
    for name in ("AlbAccessLogBucket", "ServerAccessLogBucket"):
        bucket = dev.resources(SECURITY, "AWS::S3::Bucket")[ids[name]]
        (rule,) = bucket["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        assert rule["ServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}


def test_audit_buckets_log_their_access_to_the_server_access_log_bucket(dev: Synthesized) -> None:
    ids = bucket_ids(dev)
    for name in ("AlbAccessLogBucket", "FlowLogBucket", "LogArchiveBucket"):
        logging = dev.resources(SECURITY, "AWS::S3::Bucket")[ids[name]]["Properties"]["LoggingConfiguration"]
        assert logging["DestinationBucketName"] == {"Ref": ids["ServerAccessLogBucket"]}


def test_log_groups_are_kms_encrypted_and_kept_90_days(each_profile: Synthesized) -> None:
    groups = each_profile.properties(SECURITY, "AWS::Logs::LogGroup")
    assert len(groups) == 2
    for group in groups:
        assert group["KmsKeyId"]["Fn::GetAtt"][0].startswith("LogsKey")
        assert group["RetentionInDays"] == each_profile.config.log_retention_days >= 90


def test_waf_log_group_has_the_name_waf_requires(dev: Synthesized) -> None:
    dev.template(SECURITY).has_resource_properties(
        "AWS::Logs::LogGroup", {"LogGroupName": Match.string_like_regexp("^aws-waf-logs-")}
    )


def test_web_acl_is_regional_with_rate_limit_and_aws_managed_rule_groups(each_profile: Synthesized) -> None:
    (acl,) = each_profile.properties(SECURITY, "AWS::WAFv2::WebACL")
    assert acl["Scope"] == "REGIONAL"
    assert acl["DefaultAction"] == {"Allow": {}}
    rules = {rule["Name"]: rule for rule in acl["Rules"]}
    assert tuple(rules) == WAF_RULES
    rate = rules[RATE_RULE]
    assert rate["Priority"] == 0
    assert rate["Action"] == {"Block": {}}
    assert rate["Statement"]["RateBasedStatement"] == {
        "AggregateKeyType": "IP",
        "Limit": each_profile.config.waf_rate_limit,
        "EvaluationWindowSec": 300,
    }
    groups = {
        rule["Statement"]["ManagedRuleGroupStatement"]["Name"]
        for rule in acl["Rules"]
        if "ManagedRuleGroupStatement" in rule["Statement"]
    }
    assert groups == {group for _, group in MANAGED_RULE_GROUPS}
    assert {
        "AWSManagedRulesCommonRuleSet",
        "AWSManagedRulesKnownBadInputsRuleSet",
        "AWSManagedRulesSQLiRuleSet",
        "AWSManagedRulesAmazonIpReputationList",
    } <= groups
    for rule in acl["Rules"]:
        assert rule["VisibilityConfig"]["CloudWatchMetricsEnabled"] is True


def test_waf_logs_to_its_kms_log_group_with_credentials_redacted(dev: Synthesized) -> None:
    (logging,) = dev.properties(SECURITY, "AWS::WAFv2::LoggingConfiguration")
    (destination,) = logging["LogDestinationConfigs"]
    joined = destination["Fn::Join"][1]
    assert joined[0] == "arn:aws:logs:us-east-1:111111111111:log-group:"
    assert joined[1]["Ref"].startswith("WafLogGroup")
    redacted = {field["SingleHeader"]["Name"] for field in logging["RedactedFields"]}
    assert redacted == set(REDACTED_HEADERS) >= {"authorization", "cookie"}


def test_certificate_is_dns_validated_in_the_configured_zone(dev: Synthesized) -> None:
    (certificate,) = dev.properties(SECURITY, "AWS::CertificateManager::Certificate")
    assert certificate["DomainName"] == "payments.dev.example.com"
    assert certificate["ValidationMethod"] == "DNS"
    assert certificate["DomainValidationOptions"] == [
        {"DomainName": "payments.dev.example.com", "HostedZoneId": "Z0EXAMPLEDEV000000001"}
    ]


def test_imported_certificate_creates_no_certificate(staging: Synthesized) -> None:
    assert staging.resources(SECURITY, "AWS::CertificateManager::Certificate") == {}
    assert staging.stacks.security.certificate.certificate_arn == staging.config.tls.certificate_arn


def test_security_stack_has_termination_protection_in_prod_only(
    dev: Synthesized, staging: Synthesized, prod: Synthesized
) -> None:
    assert prod.stacks.security.termination_protection is True
    assert dev.stacks.security.termination_protection is False
    assert staging.stacks.security.termination_protection is False


def test_app_and_waf_logs_stream_to_the_one_year_archive(each_profile: Synthesized) -> None:
    security = each_profile.stacks.security
    (stream_id,) = each_profile.resources(SECURITY, "AWS::KinesisFirehose::DeliveryStream")
    subscriptions = each_profile.properties(SECURITY, "AWS::Logs::SubscriptionFilter")
    sources = {s["LogGroupName"]["Ref"] for s in subscriptions}
    assert sources == {each_profile.logical_id(security.app_log_group), each_profile.logical_id(security.waf_log_group)}
    for subscription in subscriptions:
        assert subscription["FilterPattern"] == ""  # every event
        assert subscription["DestinationArn"] == {"Fn::GetAtt": [stream_id, "Arn"]}


def test_archive_stream_and_bucket_are_encrypted_with_the_data_key_and_kept_a_year(each_profile: Synthesized) -> None:
    security = each_profile.stacks.security
    data_key = each_profile.logical_id(security.data_key)
    (stream,) = each_profile.properties(SECURITY, "AWS::KinesisFirehose::DeliveryStream")
    assert stream["DeliveryStreamEncryptionConfigurationInput"] == {
        "KeyARN": {"Fn::GetAtt": [data_key, "Arn"]},
        "KeyType": "CUSTOMER_MANAGED_CMK",
    }
    destination = stream["ExtendedS3DestinationConfiguration"]
    archive = each_profile.logical_id(security.log_archive_bucket)
    assert destination["BucketARN"] == {"Fn::GetAtt": [archive, "Arn"]}
    assert destination["EncryptionConfiguration"] == {
        "KMSEncryptionConfig": {"AWSKMSKeyARN": {"Fn::GetAtt": [data_key, "Arn"]}}
    }
    bucket = each_profile.resource_of(security.log_archive_bucket)["Properties"]
    (rule,) = bucket["LifecycleConfiguration"]["Rules"]
    assert rule["ExpirationInDays"] >= 365
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    (encryption,) = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert encryption["ServerSideEncryptionByDefault"]["KMSMasterKeyID"] == {"Fn::GetAtt": [data_key, "Arn"]}


def test_flow_logs_are_kept_a_year_in_their_own_bucket(each_profile: Synthesized) -> None:
    bucket = each_profile.resource_of(each_profile.stacks.security.flow_log_bucket)["Properties"]
    (rule,) = bucket["LifecycleConfiguration"]["Rules"]
    assert rule["ExpirationInDays"] >= 365
