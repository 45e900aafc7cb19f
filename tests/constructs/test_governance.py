"""components/governance.py (`governance: create`): the trail records every management event of every region,
validated and encrypted, and only it may write its bucket; each watched event has a metric filter and an alarm;
AWS Config records everything and runs exactly the managed rules the PCI DSS map cites; Security Hub runs the PCI
DSS v4.0.1 standard; GuardDuty watches Fargate tasks; ECR scans every repository."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import Duration
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns

from components.governance import (
    CONFIG_PREFIX,
    CONFIG_RULES,
    GLOBAL_CONFIG_RULES,
    TRAIL_ALARMS,
    ConfigRecording,
    DetectionServices,
    GovernanceBucket,
    ManagementTrail,
)
from rules.pci_requirements import PCI_DSS_STANDARD, REQUIREMENTS
from tests.support.bare import CUSTODIANS, bare_stack, one, properties, resources, template

TRAIL = "payments-test-trail"
BUCKET = "payments-test-governance"


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    stack = bare_stack()
    data_key, logs_key = kms.Key(stack, "DataKey"), kms.Key(stack, "LogsKey")
    GovernanceBucket(
        stack,
        "GovernanceBucket",
        bucket_name=BUCKET,
        retention=Duration.days(400),
        custodians=CUSTODIANS,
        data_key=data_key,
        server_access_logs=s3.Bucket(stack, "AccessLogs"),
        trail=TRAIL,
    )
    # As the Governance stack has it: by name.
    bucket = s3.Bucket.from_bucket_name(stack, "ByName", BUCKET)
    ManagementTrail(
        stack,
        "Trail",
        name=TRAIL,
        bucket=bucket,
        data_key=data_key,
        logs_key=logs_key,
        namespace="payments/test/trail",
        warning_topic=sns.Topic(stack, "Warning"),
        log_days=90,
    )
    ConfigRecording(stack, "Config", bucket=bucket, data_key=data_key, global_resources=True)
    DetectionServices(stack, "Detection")
    return template(stack)


def test_the_trail_records_every_management_event_of_every_region_validated_and_encrypted(
    document: dict[str, Any],
) -> None:
    trail = one(document, "AWS::CloudTrail::Trail")
    assert trail["TrailName"] == TRAIL
    assert (trail["IsLogging"], trail["IsMultiRegionTrail"], trail["IncludeGlobalServiceEvents"]) == (True, True, True)
    assert trail["EnableLogFileValidation"] is True
    assert trail["EventSelectors"] == [{"IncludeManagementEvents": True, "ReadWriteType": "All"}]
    (data_key,) = [k for k in resources(document, "AWS::KMS::Key") if k.startswith("DataKey")]
    assert trail["KMSKeyId"] == {"Fn::GetAtt": [data_key, "Arn"]}


def test_only_this_trail_may_write_the_bucket_and_its_log_role_writes_only_its_log_group(
    document: dict[str, Any],
) -> None:
    (policy,) = [p for p in properties(document, "AWS::S3::BucketPolicy") if "cloudtrail" in str(p)]
    cloudtrail = [
        s
        for s in policy["PolicyDocument"]["Statement"]
        if s.get("Principal") == {"Service": "cloudtrail.amazonaws.com"}
    ]
    assert {s["Sid"] for s in cloudtrail} == {"CloudTrailAclCheck", "CloudTrailWrite"}
    for statement in cloudtrail:
        assert (
            statement["Condition"]["StringEquals"]["aws:SourceArn"]
            == f"arn:aws:cloudtrail:us-east-1:111111111111:trail/{TRAIL}"
        )
    roles = [r for r in properties(document, "AWS::IAM::Role") if "cloudtrail" in str(r["AssumeRolePolicyDocument"])]
    ((trust,),) = [r["AssumeRolePolicyDocument"]["Statement"] for r in roles]
    # CloudTrail's guide: this role does not support source keys (a condition would fail CreateTrail); what keeps
    # it narrow is its policy, which writes only the trail's log group.
    assert "Condition" not in trust
    (role_policy,) = [p for p in properties(document, "AWS::IAM::ManagedPolicy") if "DeliverTrailEvents" in str(p)]
    ((statement,),) = [role_policy["PolicyDocument"]["Statement"]]
    assert statement["Resource"]["Fn::GetAtt"][0].startswith("TrailEventsLogGroup")


def test_a_bucket_without_a_trail_admits_no_trail() -> None:
    stack = bare_stack()
    GovernanceBucket(
        stack,
        "GovernanceBucket",
        bucket_name="payments-test-governance",
        retention=Duration.days(400),
        custodians=CUSTODIANS,
        data_key=kms.Key(stack, "DataKey"),
        server_access_logs=s3.Bucket(stack, "AccessLogs"),
        trail=None,
    )
    assert "cloudtrail" not in str(properties(template(stack), "AWS::S3::BucketPolicy"))


def test_each_watched_event_has_a_metric_filter_and_an_alarm_on_the_warning_topic(document: dict[str, Any]) -> None:
    filters = {f["MetricTransformations"][0]["MetricName"]: f for f in properties(document, "AWS::Logs::MetricFilter")}
    assert set(filters) == set(TRAIL_ALARMS) == {
        "RootUse", "IamPolicyChanges", "ConsoleSignInWithoutMfa", "SecurityGroupChanges", "KeyPolicyChanges"
    }  # fmt: skip
    alarms = {a["MetricName"]: a for a in properties(document, "AWS::CloudWatch::Alarm")}
    (topic,) = resources(document, "AWS::SNS::Topic")
    for metric in TRAIL_ALARMS:
        assert filters[metric]["FilterPattern"] == TRAIL_ALARMS[metric]
        assert (alarms[metric]["Namespace"], alarms[metric]["Threshold"]) == ("payments/test/trail", 1)
        assert alarms[metric]["AlarmActions"] == [{"Ref": topic}]


def test_config_records_everything_into_the_bucket_and_runs_every_rule_the_pci_map_cites(
    document: dict[str, Any],
) -> None:
    recorder = one(document, "AWS::Config::ConfigurationRecorder")
    assert recorder["RecordingGroup"] == {"AllSupported": True, "IncludeGlobalResourceTypes": True}
    channel = one(document, "AWS::Config::DeliveryChannel")
    assert (channel["S3KeyPrefix"], channel["S3BucketName"]) == (CONFIG_PREFIX, BUCKET)
    rules = resources(document, "AWS::Config::ConfigRule")
    created = {r["Properties"]["Source"]["SourceIdentifier"] for r in rules.values()}
    cited = {e.ref for requirement in REQUIREMENTS for e in requirement.evidence if e.kind == "AWS Config rule"}
    assert created == cited == set(CONFIG_RULES) | set(GLOBAL_CONFIG_RULES)
    (recorder_id,) = resources(document, "AWS::Config::ConfigurationRecorder")
    assert all(recorder_id in r["DependsOn"] for r in rules.values())  # a rule evaluates only what is recorded
    by_identifier = {r["Properties"]["Source"]["SourceIdentifier"]: r["Properties"] for r in rules.values()}
    assert "secretKeys" in by_identifier["ECS_NO_ENVIRONMENT_SECRETS"]["InputParameters"]  # a required parameter


def test_a_standby_region_records_no_global_resources_and_runs_no_global_rule() -> None:
    stack = bare_stack()
    bucket = s3.Bucket.from_bucket_name(stack, "ByName", BUCKET)
    ConfigRecording(stack, "Config", bucket=bucket, data_key=kms.Key(stack, "Key"), global_resources=False)
    document = template(stack)
    assert one(document, "AWS::Config::ConfigurationRecorder")["RecordingGroup"]["IncludeGlobalResourceTypes"] is False
    identifiers = {r["Source"]["SourceIdentifier"] for r in properties(document, "AWS::Config::ConfigRule")}
    assert not identifiers & set(GLOBAL_CONFIG_RULES)


def test_a_bucket_known_only_by_a_token_is_refused() -> None:
    stack = bare_stack()
    with pytest.raises(ValueError, match="give the bucket by its name"):
        ConfigRecording(
            stack, "Config", bucket=s3.Bucket(stack, "B"), data_key=kms.Key(stack, "K"), global_resources=True
        )


def test_security_hub_runs_pci_dss_4_guardduty_watches_fargate_and_ecr_scans_everything(
    document: dict[str, Any],
) -> None:
    standard = one(document, "AWS::SecurityHub::Standard")
    assert standard["StandardsArn"] == f"arn:aws:securityhub:us-east-1::{PCI_DSS_STANDARD}"
    detector = one(document, "AWS::GuardDuty::Detector")
    (runtime,) = detector["Features"]
    assert (detector["Enable"], runtime["Name"], runtime["Status"]) == (True, "RUNTIME_MONITORING", "ENABLED")
    assert runtime["AdditionalConfiguration"] == [{"Name": "ECS_FARGATE_AGENT_MANAGEMENT", "Status": "ENABLED"}]
    (rule,) = one(document, "AWS::ECR::RegistryScanningConfiguration")["Rules"]
    assert rule["RepositoryFilters"] == [{"Filter": "*", "FilterType": "WILDCARD"}]
    assert rule["ScanFrequency"] == "SCAN_ON_PUSH"
