"""moto's in-process AWS for the ops tests, and a dev deploy as the ops tools see it."""

from __future__ import annotations

import dataclasses
import datetime
import json
from typing import Any

import boto3
import botocore.exceptions
import botocore.loaders
import botocore.session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ops.checks import Check
from rules.pci_requirements import PCI_DSS_STANDARD
from settings import (
    PROFILES,
    AlertingSettings,
    ClientAuthentication,
    ComputeSettings,
    EnvironmentConfig,
    NetworkSettings,
    TlsSettings,
)
from settings.catalog import with_values
from settings.profiles import DEFAULT_PROFILE
from settings.regions import GatewayPrefixLists

ACCOUNT = "111111111111"
REGION = "us-east-1"
ZONES = ("us-east-1a", "us-east-1b")


# One loader for the module: it caches the service models that every new session would parse again.
MODELS = botocore.loaders.create_loader()


def status(checks: list[Check]) -> dict[str, str]:
    return {check.name: check.status for check in checks}


def imported_certificate(session: boto3.Session) -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "payments.dev.example.com")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=30)).sign(key, hashes.SHA256())
    )  # fmt: skip
    arn: str = session.client("acm").import_certificate(
        Certificate=certificate.public_bytes(serialization.Encoding.PEM),
        PrivateKey=key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ),
    )["CertificateArn"]
    return arn


def configured(config: EnvironmentConfig, tls: TlsSettings | None = None, **settings: Any) -> EnvironmentConfig:
    """`config` with settings changed by their names in the settings table (`paging_emails`, `standby_region`)."""
    changed = with_values(config, settings)
    return changed if tls is None else dataclasses.replace(changed, tls=tls)


def with_client_ca(config: EnvironmentConfig, bundle: str = "certs/clients-ca.pem") -> EnvironmentConfig:
    """`config` with mutual TLS against the CA bundle at `bundle` (the shipped placeholder by default)."""
    tls = dataclasses.replace(
        config.tls, client_authentication=ClientAuthentication.MUTUAL_TLS, client_ca_bundle=bundle
    )
    return dataclasses.replace(config, tls=tls)


def dev_config(tls: TlsSettings | None = None, **settings: Any) -> EnvironmentConfig:
    """The dev profile in moto's account and two zones, running the reference image: what these tests deploy,
    whatever image, sidecars or zones the profile itself is given."""
    dev = PROFILES[DEFAULT_PROFILE]
    base = dataclasses.replace(
        dev,
        account=ACCOUNT,
        region=REGION,
        availability_zones=ZONES,
        network=NetworkSettings(az_count=len(ZONES), vpc_cidr=dev.network.vpc_cidr),
        compute=ComputeSettings(min_tasks=len(ZONES), desired_tasks=len(ZONES), max_tasks=4),
        alerting=AlertingSettings(),
    )
    return configured(base, tls, **settings)


def deployed(session: boto3.Session, config: EnvironmentConfig, alarms: DeployedAlarms) -> dict[str, str]:
    """A dev deploy as verify sees it: stacks with outputs, and the resources they name."""
    ec2, elbv2, ecs = session.client("ec2"), session.client("elbv2"), session.client("ecs")
    vpc = ec2.create_vpc(CidrBlock="10.10.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.10.{i}.0/24", AvailabilityZone=zone)["Subnet"]["SubnetId"]
        for i, zone in enumerate(ZONES)
    ]
    balancer = elbv2.create_load_balancer(Name="payments-dev", Subnets=subnets, Scheme="internet-facing")
    balancer_arn = balancer["LoadBalancers"][0]["LoadBalancerArn"]
    group = elbv2.create_target_group(Name="payments", Protocol="HTTPS", Port=8443, VpcId=vpc, TargetType="ip")
    group_arn = group["TargetGroups"][0]["TargetGroupArn"]
    elbv2.create_listener(LoadBalancerArn=balancer_arn, Protocol="HTTP", Port=80, DefaultActions=[
        {"Type": "forward", "TargetGroupArn": group_arn}])  # fmt: skip
    elbv2.register_targets(TargetGroupArn=group_arn, Targets=[{"Id": "10.10.0.10"}, {"Id": "10.10.1.10"}])
    ecs.create_cluster(clusterName="payments")
    ecs.register_task_definition(
        family="payments",
        requiresCompatibilities=["FARGATE"],
        networkMode="awsvpc",
        cpu="512",
        memory="1024",
        containerDefinitions=[{"name": "App", "image": "app", "cpu": 512, "memory": 1024, "logConfiguration": {
            "logDriver": "awslogs", "options": {"awslogs-group": "payments-app"}}}],
    )  # fmt: skip
    ecs.create_service(
        cluster="payments", serviceName="payments", taskDefinition="payments", desiredCount=2,
        loadBalancers=[{"targetGroupArn": group_arn, "containerName": "App", "containerPort": 8443}],
    )  # fmt: skip
    wafv2 = session.client("wafv2")
    acl = wafv2.create_web_acl(
        Name=config.names.web_acl, Scope="REGIONAL", DefaultAction={"Allow": {}},
        VisibilityConfig={"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True, "MetricName": "acl"},
    )["Summary"]  # fmt: skip
    wafv2.associate_web_acl(WebACLArn=acl["ARN"], ResourceArn=balancer_arn)
    session.client("s3").create_bucket(Bucket="flow-logs")
    ec2.create_flow_logs(ResourceIds=[vpc], ResourceType="VPC", TrafficType="ALL", LogDestinationType="s3",
                         LogDestination="arn:aws:s3:::flow-logs")  # fmt: skip
    key = session.client("kms").create_key()["KeyMetadata"]["Arn"]
    logs = session.client("logs")
    for name in ("payments-app", config.names.waf_log_group):
        logs.create_log_group(logGroupName=name, kmsKeyId=key)
        logs.put_retention_policy(logGroupName=name, retentionInDays=config.retention.log_retention_days)
    cloudwatch = session.client("cloudwatch")
    for name in alarms.metric:
        cloudwatch.put_metric_alarm(
            AlarmName=name, MetricName="CPUUtilization", Namespace="AWS/ECS", Statistic="Average",
            Period=60, EvaluationPeriods=3, Threshold=85, ComparisonOperator="GreaterThanThreshold",
        )  # fmt: skip
    cloudwatch.put_dashboard(DashboardName="payments-dev-dashboard", DashboardBody='{"widgets": []}')
    deployed_archive(session)
    delivery = deployed_deliveries(session, config)
    cloudformation = session.client("cloudformation")
    for stack, outputs in (
        (
            "Security",
            {
                "LogArchiveBucketName": ARCHIVE,
                "FlowLogBucketName": "flow-logs",
                "AlbLogBucketName": ALB_LOGS,
                "LogArchiveStreamName": STREAM,
                "ProcessorSecretArn": PROCESSOR_SECRET,
            },
        ),
        (
            "Compute",
            {"ServiceUrl": "https://payments.dev.example.com", "ClusterName": "payments", "ServiceName": "payments"},
        ),
        (
            "Observability",
            {
                "DashboardUrl": "https://console#dashboards:name=payments-dev-dashboard",
                "AlarmNames": alarms.output,
                "CanaryAlarmName": CANARY,
                "WarningTopicArn": delivery["warning_topic"],
                "ChangeGuardDeadLetterQueueUrl": delivery["dead_letters"],
                "ChangeGuardRuleNames": ",".join(GUARD_RULES),
            },
        ),
    ):
        template = {
            "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
            "Outputs": {key: {"Value": value} for key, value in outputs.items()},
        }
        cloudformation.create_stack(StackName=config.names.stack(stack), TemplateBody=json.dumps(template))
    return {"target_group": group_arn}


# What `deployed` delivered today, as the services would: the ALB's access-log bucket, the canary alarm.
ALB_LOGS, CANARY = "payments-dev-alb-logs", "payments-dev-Observability-DeliveryCanaryAlarm-1A2B3C4D5E6F"
STREAM = "payments-dev-Security-LogArchiveStream-1A2B3C4D5E6F"
DEAD_LETTERS = "payments-dev-Observability-OutOfBandChangesUndelivered-1A2B3C4D5E6F"
PROCESSOR_SECRET = "arn:aws:secretsmanager:us-east-1:111111111111:secret:ProcessorSecret-AbCdEf"
GUARD_RULES = ("payments-dev-Observability-OutOfBandChangesEcsService-1A2B3C4D5E6F",
               "payments-dev-Observability-OutOfBandChangesSecurityGroup-1A2B3C4D5E6F")  # fmt: skip


def deployed_deliveries(session: boto3.Session, config: EnvironmentConfig) -> dict[str, str]:
    """Today's flow-log and ALB access-log objects, a WAF record, the warning topic the canary alarm notifies, and
    the change guard's (empty) dead-letter queue."""
    now = datetime.datetime.now(datetime.UTC)
    account, region = str(config.account), config.region
    s3 = session.client("s3")
    flow = (f"vpc-flow-logs/AWSLogs/aws-account-id={account}/aws-service=vpcflowlogs/aws-region={region}/"
            f"year={now:%Y}/month={now:%m}/day={now:%d}/hour={now:%H}/flow.log.parquet")  # fmt: skip
    s3.put_object(Bucket="flow-logs", Key=flow, Body=b"flow")
    s3.create_bucket(Bucket=ALB_LOGS)
    s3.put_object(Bucket=ALB_LOGS, Key=f"alb/AWSLogs/{account}/elasticloadbalancing/{region}/{now:%Y/%m/%d}/x.log.gz",
                  Body=b"alb")  # fmt: skip
    logs = session.client("logs")
    logs.create_log_stream(logGroupName=config.names.waf_log_group, logStreamName="us-east-1_waf_0")
    logs.put_log_events(
        logGroupName=config.names.waf_log_group, logStreamName="us-east-1_waf_0",
        logEvents=[{"timestamp": int(now.timestamp() * 1000), "message": '{"action":"ALLOW"}'}],
    )  # fmt: skip
    session.client("cloudwatch").put_metric_data(Namespace="AWS/Firehose", MetricData=[{
        "MetricName": "DeliveryToS3.Success", "Value": 1.0, "Timestamp": now - datetime.timedelta(minutes=10),
        "Dimensions": [{"Name": "DeliveryStreamName", "Value": STREAM}]}])  # fmt: skip
    topic = session.client("sns").create_topic(Name="payments-dev-warning")["TopicArn"]
    session.client("cloudwatch").put_metric_alarm(
        AlarmName=CANARY, MetricName="VerifyCanary", Namespace="payments/dev", Statistic="Maximum", Period=300,
        EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanOrEqualToThreshold", AlarmActions=[topic],
    )  # fmt: skip
    dead_letters = session.client("sqs").create_queue(QueueName=DEAD_LETTERS)["QueueUrl"]
    return {"warning_topic": topic, "dead_letters": dead_letters}


# The log archive bucket `deployed` creates, under Object Lock with a record of today.
ARCHIVE = "payments-dev-log-archive"


def deployed_archive(session: boto3.Session) -> None:
    """The log archive as deployed: Object Lock with a default retention, and a record archived today."""
    s3 = session.client("s3")
    s3.create_bucket(Bucket=ARCHIVE, ObjectLockEnabledForBucket=True)
    s3.put_object_lock_configuration(Bucket=ARCHIVE, ObjectLockConfiguration={
        "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 400}}})  # fmt: skip
    s3.put_object(
        Bucket=ARCHIVE, Key=f"logs/{datetime.datetime.now(datetime.UTC):%Y/%m/%d}/record", Body=b"record",
        ChecksumAlgorithm="CRC32",
    )  # fmt: skip


@dataclasses.dataclass(frozen=True)
class DeployedAlarms:
    """The alarm names of dev's Observability stack as deployed: the composite's is set in the template,
    CloudFormation generates the others as STACKNAME-LOGICALID-SUFFIX."""

    composite: tuple[str, ...]
    metric: tuple[str, ...]

    @property
    def output(self) -> str:
        return ",".join(self.composite + self.metric)


def account_prefix_lists(session: boto3.Session, region: str) -> GatewayPrefixLists:
    """The S3 and DynamoDB prefix lists of `region` as the account reports them."""
    ec2 = session.client("ec2", region_name=region)
    lists = {
        item["PrefixListName"]: item["PrefixListId"]
        for item in ec2.describe_managed_prefix_lists()["PrefixLists"]
        if item["OwnerId"] == "AWS"
    }
    return GatewayPrefixLists(
        s3=lists[f"com.amazonaws.{region}.s3"], dynamodb=lists[f"com.amazonaws.{region}.dynamodb"]
    )


class SecurityHubStandards:
    """Security Hub's enabled standards (moto implements neither GetEnabledStandards nor the standards): `status` of
    the PCI DSS v4.0.1 subscription, None when it is not enabled, "hub off" when Security Hub itself is not."""

    def __init__(
        self, region: str, status: str | None = "READY", disabled: tuple[tuple[str, str], ...] = (), controls: int = 3
    ) -> None:
        """`controls` of the standard, the first ones `disabled` as (control id, reason)."""
        self.region, self.status, self.disabled, self.controls = region, status, disabled, controls

    def describe_standards_controls(self, StandardsSubscriptionArn: str, NextToken: str = "") -> dict[str, Any]:  # noqa: N803
        assert StandardsSubscriptionArn == self._subscription()
        found = [
            {"ControlId": f"PCI.{n}", "ControlStatus": "ENABLED"} for n in range(len(self.disabled), self.controls)
        ]
        found = [
            {"ControlId": control, "ControlStatus": "DISABLED", "DisabledReason": reason}
            for control, reason in self.disabled
        ] + found
        # Two pages, as Security Hub pages them.
        half = len(found) // 2
        if not NextToken:
            return {"Controls": found[:half], "NextToken": "page-2"}
        return {"Controls": found[half:]}

    def _subscription(self) -> str:
        return f"arn:aws:securityhub:{self.region}:{ACCOUNT}:subscription/{PCI_DSS_STANDARD.removeprefix('standards/')}"

    def _refuse_without_hub(self, operation: str) -> None:
        if self.status == "hub off":
            error = {"Error": {"Code": "InvalidAccessException", "Message": "not subscribed to AWS Security Hub"}}
            raise botocore.exceptions.ClientError(error, operation)

    def describe_hub(self) -> dict[str, Any]:
        self._refuse_without_hub("DescribeHub")
        return {"HubArn": f"arn:aws:securityhub:{self.region}:{ACCOUNT}:hub/default"}

    def get_enabled_standards(self) -> dict[str, Any]:
        self._refuse_without_hub("GetEnabledStandards")
        arn = f"arn:aws:securityhub:{self.region}::{PCI_DSS_STANDARD}"
        subscriptions = (
            [{"StandardsArn": arn, "StandardsSubscriptionArn": self._subscription(), "StandardsStatus": self.status}]
            if self.status
            else []
        )
        return {"StandardsSubscriptions": subscriptions}


FARGATE_AGENT = [{"Name": "ECS_FARGATE_AGENT_MANAGEMENT", "Status": "ENABLED"}]
RUNTIME_MONITORING = [{"Name": "RUNTIME_MONITORING", "Status": "ENABLED", "AdditionalConfiguration": FARGATE_AGENT}]


def governed(session: boto3.Session, region: str) -> None:
    """The account-level controls an organization runs, as `make preflight` expects them in `region`
    (ops/governance.py): AWS Config recording everything, GuardDuty with Fargate runtime monitoring, every repository
    scanned on push. The trail is the account's organization trail (tests/ops/conftest.py)."""
    config = session.client("config", region_name=region)
    config.put_configuration_recorder(ConfigurationRecorder={
        "name": "default", "roleARN": f"arn:aws:iam::{ACCOUNT}:role/config",
        "recordingGroup": {"allSupported": True, "includeGlobalResourceTypes": True}})  # fmt: skip
    config.put_delivery_channel(DeliveryChannel={"name": "default", "s3BucketName": "organization-trail"})
    config.start_configuration_recorder(ConfigurationRecorderName="default")
    session.client("guardduty", region_name=region).create_detector(Enable=True, Features=RUNTIME_MONITORING)
    session.client("ecr", region_name=region).put_registry_scanning_configuration(
        scanType="BASIC",
        rules=[{"scanFrequency": "SCAN_ON_PUSH", "repositoryFilters": [{"filter": "*", "filterType": "WILDCARD"}]}],
    )


class ConfigDelivery:
    """moto's AWS Config, which does not implement DescribeDeliveryChannelStatus: answered here, every channel's
    last deliveries with `status` ("Success", or "Failure" with an error code as S3 would refuse them)."""

    def __init__(self, client: Any, status: str = "Success") -> None:
        self.client, self.status = client, status

    def describe_delivery_channel_status(self) -> dict[str, Any]:
        info = {"lastStatus": self.status} | ({"lastErrorCode": "AccessDenied"} if self.status == "Failure" else {})
        channels = self.client.describe_delivery_channels()["DeliveryChannels"]
        return {"DeliveryChannelsStatus": [
            {"name": c["name"], "configHistoryDeliveryInfo": info, "configSnapshotDeliveryInfo": info}
            for c in channels]}  # fmt: skip

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)


class GuardDutyCoverage:
    """GuardDuty's Runtime Monitoring coverage (moto implements no ListCoverage): one detector (none with
    `detector=False`) and the cluster's coverage `statuses` (HEALTHY, or UNHEALTHY with GuardDuty's issue)."""

    def __init__(self, statuses: tuple[str, ...] = ("HEALTHY",), detector: bool = True) -> None:
        self.statuses, self.detector = statuses, detector
        self.asked: list[dict[str, Any]] = []

    def list_detectors(self) -> dict[str, Any]:
        return {"DetectorIds": ["12abc34d567e8fa901bc2d34e56789f0"] if self.detector else []}

    def list_coverage(self, **request: Any) -> dict[str, Any]:
        self.asked.append(request)
        issue = "Failed to pull the GuardDuty agent image"
        return {"Resources": [
            {"ResourceId": f"task-{i}", "CoverageStatus": status} | ({"Issue": issue} if status != "HEALTHY" else {})
            for i, status in enumerate(self.statuses)]}  # fmt: skip


class SecretMetadata:
    """Secrets Manager's DescribeSecret for the processor secret: created `age_days` ago, its value last put
    `changed_days` ago (None: never, still the generated one). moto stamps both with the test's own clock."""

    def __init__(self, changed_days: int | None = 30, age_days: int = 400) -> None:
        now = datetime.datetime.now(datetime.UTC)
        self.created = now - datetime.timedelta(days=age_days)
        self.changed = self.created if changed_days is None else now - datetime.timedelta(days=changed_days)
        self.asked: list[str] = []

    def describe_secret(self, SecretId: str) -> dict[str, Any]:  # noqa: N803 (boto3's keyword)
        self.asked.append(SecretId)
        return {
            "ARN": SecretId,
            "Name": "ProcessorSecret",
            "CreatedDate": self.created,
            "LastChangedDate": self.changed,
        }
