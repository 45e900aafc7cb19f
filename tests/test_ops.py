"""Ops tooling against moto's in-process AWS: real boto3 calls, no network, passing and failing accounts."""

from __future__ import annotations

import dataclasses
import datetime
import json
from collections.abc import Iterator
from typing import Any

import boto3
import botocore.loaders
import botocore.session
import pytest
from botocore.stub import Stubber
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from moto import mock_aws

from ops import preflight as preflight_module
from ops import verify as verify_module
from ops.__main__ import main
from ops.checks import FAIL, PASS, WARN, Check, table
from ops.drill import drill
from ops.verify import HttpResult
from settings import PROFILES, EnvironmentConfig, TlsSettings
from tests.conftest import Synthesized

ACCOUNT = "111111111111"
REGION = "us-east-1"
ZONES = ("us-east-1a", "us-east-1b")


# One loader for the module: it caches the service models that every new session would parse again.
_MODELS = botocore.loaders.create_loader()


def status(checks: list[Check]) -> dict[str, str]:
    return {check.name: check.status for check in checks}


@pytest.fixture
def session(monkeypatch: pytest.MonkeyPatch) -> Iterator[boto3.Session]:
    for variable, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "MOTO_ACCOUNT_ID": ACCOUNT,
        "MOTO_ECS_SERVICE_RUNNING": "2",
    }.items():
        monkeypatch.setenv(variable, value)
    with mock_aws():
        core = botocore.session.get_session()
        core.register_component("data_loader", _MODELS)
        yield boto3.Session(region_name=REGION, botocore_session=core)


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


def dev_config(**changes: Any) -> EnvironmentConfig:
    return dataclasses.replace(PROFILES["dev"], availability_zones=ZONES, **changes)


@pytest.fixture
def ready_account(session: boto3.Session) -> EnvironmentConfig:
    """An account a dev deploy can go to: bootstrapped, quota room, an issued certificate."""
    session.client("ssm").put_parameter(Name="/cdk-bootstrap/hnb659fds/version", Value="30", Type="String")
    return dev_config(
        tls=TlsSettings(certificate_arn=imported_certificate(session)), paging_emails=("oncall@example.com",)
    )


def run_preflight(
    session: boto3.Session, config: EnvironmentConfig, builder: str | None = "/usr/bin/docker"
) -> list[Check]:
    clients = preflight_module.Clients.from_session(session)
    return preflight_module.preflight(
        clients,
        config,
        lambda service, region: session.client(service, region_name=region),
        which=lambda tool: builder if tool == "docker" else None,
    )


def test_preflight_passes_on_a_ready_account(session: boto3.Session, ready_account: EnvironmentConfig) -> None:
    checks = run_preflight(session, ready_account)
    assert status(checks) == {
        "configuration": PASS,
        "credentials": PASS,
        "CDK bootstrap": PASS,
        "Elastic IPs": PASS,
        "VPC quota": PASS,
        "NAT gateway quota": PASS,
        # moto implements neither the Fargate quota nor IAM policy simulation: reported, not failed.
        "Fargate vCPU quota": WARN,
        "deploy permissions": WARN,
        "certificate": PASS,
        "container build tool": PASS,
        "image in us-east-1": PASS,
        "paging subscribers": PASS,
    }


def test_preflight_fails_when_nobody_is_paged(session: boto3.Session, ready_account: EnvironmentConfig) -> None:
    nobody = dataclasses.replace(ready_account, paging_emails=())
    (check,) = [c for c in run_preflight(session, nobody) if c.name == "paging subscribers"]
    assert check.status == FAIL
    assert check.reason.startswith("nobody is paged: paging_emails is empty and the paging topic is not deployed")


def deployed_paging_topic(where: Any, config: EnvironmentConfig) -> str:
    """The Observability stack as deployed, reduced to the paging topic and its output; `where` is a session
    (its region) or a CloudFormation client of another region."""
    cloudformation = where.client("cloudformation") if isinstance(where, boto3.Session) else where
    cloudformation.create_stack(
        StackName=config.names.stack("Observability"),
        TemplateBody=json.dumps(
            {
                "Resources": {"Paging": {"Type": "AWS::SNS::Topic"}},
                "Outputs": {"PagingTopicArn": {"Value": {"Ref": "Paging"}}},
            }
        ),
    )
    outputs = cloudformation.describe_stacks(StackName=config.names.stack("Observability"))["Stacks"][0]["Outputs"]
    arn: str = outputs[0]["OutputValue"]
    return arn


def test_preflight_accepts_an_on_call_tool_subscribed_to_the_deployed_topic(
    session: boto3.Session, ready_account: EnvironmentConfig
) -> None:
    config = dataclasses.replace(ready_account, paging_emails=())
    topic = deployed_paging_topic(session, config)
    (check,) = [c for c in run_preflight(session, config) if c.name == "paging subscribers"]
    assert check.status == FAIL  # deployed, but nobody subscribed
    session.client("sns").subscribe(TopicArn=topic, Protocol="https", Endpoint="https://events.example.com/page")
    (check,) = [c for c in run_preflight(session, config) if c.name == "paging subscribers"]
    assert (check.status, check.reason) == (PASS, f"{topic} pages https://events.example.com/page")


def pushed_image(session: boto3.Session, region: str) -> str:
    """An image in `region`'s registry, as ECR replication leaves it: same repository, same digest."""
    ecr = session.client("ecr", region_name=region)
    ecr.create_repository(repositoryName="payments")
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {"digest": "sha256:" + "c" * 64},
            "layers": [],
        }
    )
    digest = ecr.put_image(repositoryName="payments", imageManifest=manifest, imageTag="v1")["image"]["imageId"]
    return f"{ACCOUNT}.dkr.ecr.{region}.amazonaws.com/payments@{digest['imageDigest']}"


def test_preflight_finds_a_pinned_image_in_every_region_that_runs_it(
    session: boto3.Session, ready_account: EnvironmentConfig
) -> None:
    image = pushed_image(session, REGION)
    config = dataclasses.replace(
        ready_account,
        container_image=image,
        standby_region="us-west-2",
        tls=TlsSettings(domain_name="payments.dev.example.com", hosted_zone_id="Z0EXAMPLEDEV000000001",
                        hosted_zone_name="dev.example.com"),
    )  # fmt: skip
    checks = {
        c.name: c
        for c in preflight_module.container_images(config, lambda service, r: session.client(service, region_name=r))
    }
    assert (checks["image in us-east-1"].status, checks["image in us-west-2"].status) == (PASS, FAIL)
    assert "ECR cross-region replication" in checks["image in us-west-2"].reason
    pushed_image(session, "us-west-2")
    checks = {
        c.name: c
        for c in preflight_module.container_images(config, lambda service, r: session.client(service, region_name=r))
    }
    assert checks["image in us-west-2"].status == PASS


def test_preflight_fails_without_cdk_bootstrap(session: boto3.Session) -> None:
    config = dev_config(tls=TlsSettings(certificate_arn=imported_certificate(session)))
    (check,) = [c for c in run_preflight(session, config) if c.name == "CDK bootstrap"]
    assert check.status == FAIL
    assert "cdk bootstrap" in check.reason


def test_preflight_fails_when_elastic_ip_quota_is_too_low(
    session: boto3.Session, ready_account: EnvironmentConfig
) -> None:
    ec2 = session.client("ec2")
    for _ in range(4):
        ec2.allocate_address(Domain="vpc")
    (check,) = [c for c in run_preflight(session, ready_account) if c.name == "Elastic IPs"]
    assert (check.status, check.reason) == (
        FAIL,
        "4 of 5 in use, 2 more needed for NAT gateways: request a quota increase or set nat_eip_allocation_ids",
    )


def test_preflight_accepts_reused_elastic_ips(session: boto3.Session, ready_account: EnvironmentConfig) -> None:
    ec2 = session.client("ec2")
    allocations = tuple(ec2.allocate_address(Domain="vpc")["AllocationId"] for _ in range(2))
    for _ in range(3):
        ec2.allocate_address(Domain="vpc")
    config = dataclasses.replace(ready_account, nat_eip_allocation_ids=allocations)
    (check,) = [c for c in run_preflight(session, config) if c.name == "Elastic IPs"]
    assert check.status == PASS


def test_preflight_fails_when_the_vpc_quota_is_used_up(
    session: boto3.Session, ready_account: EnvironmentConfig
) -> None:
    ec2 = session.client("ec2")
    while len(ec2.describe_vpcs()["Vpcs"]) < 5:
        ec2.create_vpc(CidrBlock="10.99.0.0/16")
    (check,) = [c for c in run_preflight(session, ready_account) if c.name == "VPC quota"]
    assert (check.status, check.reason) == (FAIL, "5 of 5 VPCs in use, 1 more needed")


def test_preflight_stops_at_credentials_for_another_account(session: boto3.Session) -> None:
    config = dev_config(account="222222222222", tls=TlsSettings(certificate_arn=imported_certificate(session)))
    checks = run_preflight(session, config)
    assert status(checks) == {"configuration": PASS, "credentials": FAIL}
    assert "credentials are for account 111111111111, profile deploys to 222222222222" in checks[-1].reason


def test_preflight_fails_without_a_container_build_tool(
    session: boto3.Session, ready_account: EnvironmentConfig
) -> None:
    (check,) = [c for c in run_preflight(session, ready_account, builder=None) if c.name == "container build tool"]
    assert check.status == FAIL


@pytest.mark.parametrize(("decision", "expected"), [("allowed", PASS), ("implicitDeny", FAIL)])
def test_deploy_permissions_come_from_iam_policy_simulation(
    session: boto3.Session, ready_account: EnvironmentConfig, decision: str, expected: str
) -> None:
    # moto has no policy simulator; the IAM client's answer is stubbed, everything else is moto.
    clients = preflight_module.Clients.from_session(session)
    with Stubber(clients.iam) as stub:
        stub.add_response(
            "simulate_principal_policy",
            {
                "EvaluationResults": [
                    {"EvalActionName": action, "EvalDecision": decision} for action in preflight_module.DEPLOY_ACTIONS
                ]
            },
        )
        check = preflight_module.deploy_permissions(clients, ready_account)
    assert check.status == expected


# --- verify ---------------------------------------------------------------------------------------------------


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
        logs.put_retention_policy(logGroupName=name, retentionInDays=config.log_retention_days)
    cloudwatch = session.client("cloudwatch")
    for name in alarms.metric:
        cloudwatch.put_metric_alarm(
            AlarmName=name, MetricName="CPUUtilization", Namespace="AWS/ECS", Statistic="Average",
            Period=60, EvaluationPeriods=3, Threshold=85, ComparisonOperator="GreaterThanThreshold",
        )  # fmt: skip
    cloudwatch.put_dashboard(DashboardName="payments-dev-dashboard", DashboardBody='{"widgets": []}')
    cloudformation = session.client("cloudformation")
    for stack, outputs in (
        (
            "Compute",
            {"ServiceUrl": "https://payments.dev.example.com", "ClusterName": "payments", "ServiceName": "payments"},
        ),
        (
            "Observability",
            {"DashboardUrl": "https://console#dashboards:name=payments-dev-dashboard", "AlarmNames": alarms.output},
        ),
    ):
        template = {
            "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
            "Outputs": {key: {"Value": value} for key, value in outputs.items()},
        }
        cloudformation.create_stack(StackName=config.names.stack(stack), TemplateBody=json.dumps(template))
    return {"target_group": group_arn}


def healthy_http(url: str) -> HttpResult:
    if url.startswith("http://"):
        return HttpResult(301, 3.0, url.replace("http://", "https://"))
    return HttpResult(200, 42.0, "")


@dataclasses.dataclass(frozen=True)
class DeployedAlarms:
    """The alarm names of dev's Observability stack as deployed: the composite's is set in the template,
    CloudFormation generates the others as STACKNAME-LOGICALID-SUFFIX."""

    composite: tuple[str, ...]
    metric: tuple[str, ...]

    @property
    def output(self) -> str:
        return ",".join(self.composite + self.metric)


@pytest.fixture(scope="session")
def alarms(dev: Synthesized) -> DeployedAlarms:
    stack = dev.stacks.observability.stack_name
    resources = dev.documents["Observability"]["Resources"]
    return DeployedAlarms(
        composite=tuple(
            r["Properties"]["AlarmName"] for r in resources.values() if r["Type"] == "AWS::CloudWatch::CompositeAlarm"
        ),
        metric=tuple(
            f"{stack}-{i}-1A2B3C4D5E6F" for i, r in resources.items() if r["Type"] == "AWS::CloudWatch::Alarm"
        ),
    )


class WithComposites:
    """moto's CloudWatch client, plus the composite alarms moto cannot create (put_composite_alarm is not
    implemented): DescribeAlarms also answers them, in state OK unless listed in `firing`."""

    def __init__(self, client: Any, composites: tuple[str, ...], firing: tuple[str, ...] = ()) -> None:
        self.client, self.composites, self.firing = client, composites, firing

    def describe_alarms(self, **kwargs: Any) -> dict[str, Any]:
        response: dict[str, Any] = self.client.describe_alarms(**kwargs)
        response["CompositeAlarms"] = [
            {"AlarmName": name, "StateValue": "ALARM" if name in self.firing else "OK"}
            for name in self.composites
            if name in kwargs.get("AlarmNames", [])
        ]
        return response

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)


def run_verify(
    session: boto3.Session,
    config: EnvironmentConfig,
    alarms: DeployedAlarms | None = None,
    get: Any = healthy_http,
    *,
    composites: tuple[str, ...] | None = None,
    firing: tuple[str, ...] = (),
) -> list[Check]:
    if composites is None:
        composites = alarms.composite if alarms else ()
    clients = verify_module.Clients.from_session(session)
    clients.cloudwatch = WithComposites(clients.cloudwatch, composites, firing)
    return verify_module.verify(clients, config, get)


def test_verify_passes_on_a_healthy_deploy(session: boto3.Session, alarms: DeployedAlarms) -> None:
    config = dev_config()
    deployed(session, config, alarms)
    checks = run_verify(session, config, alarms)
    assert all(check.status == PASS for check in checks), table(checks)
    assert len(checks) == 10


def test_verify_fails_when_an_alarm_is_in_alarm(session: boto3.Session, alarms: DeployedAlarms) -> None:
    config = dev_config()
    deployed(session, config, alarms)
    session.client("cloudwatch").set_alarm_state(AlarmName=alarms.metric[3], StateValue="ALARM", StateReason="drill")
    (check,) = [c for c in run_verify(session, config, alarms) if c.name == "alarms"]
    assert (check.status, check.reason) == (FAIL, f"in ALARM: {alarms.metric[3]}")


def test_verify_checks_the_composite_alarm_that_pages(session: boto3.Session, alarms: DeployedAlarms) -> None:
    config = dev_config()
    deployed(session, config, alarms)
    (page,) = alarms.composite
    assert page == config.names.page_alarm
    assert len(alarms.composite + alarms.metric) == 12
    (check,) = [c for c in run_verify(session, config, alarms) if c.name == "alarms"]
    assert (check.status, check.reason) == (PASS, f"12 alarms, the page ({page}) among them, none in ALARM")
    (check,) = [c for c in run_verify(session, config, alarms, firing=(page,)) if c.name == "alarms"]
    assert (check.status, check.reason) == (FAIL, f"in ALARM: {page}")
    (check,) = [c for c in run_verify(session, config, alarms, composites=()) if c.name == "alarms"]
    assert (check.status, check.reason) == (FAIL, f"11 of 12 alarms exist; missing: {page}")


def test_verify_fails_on_an_unhealthy_target(
    session: boto3.Session, alarms: DeployedAlarms, monkeypatch: pytest.MonkeyPatch
) -> None:
    from moto.elbv2 import models

    config = dev_config()
    deployed(session, config, alarms)
    healthy = models.FakeTargetGroup.health_for

    def one_unhealthy(self: Any, target: dict[str, Any], ec2_backend: Any) -> Any:
        status = healthy(self, target, ec2_backend)
        if target["Id"] == "10.10.1.10":
            status.status, status.reason = "unhealthy", "Target.FailedHealthChecks"
        return status

    monkeypatch.setattr(models.FakeTargetGroup, "health_for", one_unhealthy)
    (check,) = [c for c in run_verify(session, config, alarms) if c.name == "targets healthy"]
    assert (check.status, check.reason) == (FAIL, "1 of 2 healthy (healthy, unhealthy)")


def test_verify_fails_on_slow_health_and_missing_redirect(session: boto3.Session, alarms: DeployedAlarms) -> None:
    config = dev_config()
    deployed(session, config, alarms)

    def slow(url: str) -> HttpResult:
        return HttpResult(200, 450.0, "") if url.startswith("https://") else HttpResult(200, 5.0, "")

    checks = status(run_verify(session, config, alarms, slow))
    assert (checks["HTTPS /health"], checks["HTTP redirects to HTTPS"]) == (FAIL, FAIL)


def test_verify_fails_without_a_waf_association_or_flow_log(session: boto3.Session, alarms: DeployedAlarms) -> None:
    config = dev_config()
    deployed(session, config, alarms)
    ec2 = session.client("ec2")
    ec2.delete_flow_logs(FlowLogIds=[f["FlowLogId"] for f in ec2.describe_flow_logs()["FlowLogs"]])
    assert status(run_verify(session, config, alarms))["flow logs"] == FAIL


def test_verify_fails_on_unencrypted_or_short_lived_log_groups(session: boto3.Session, alarms: DeployedAlarms) -> None:
    config = dev_config()
    deployed(session, config, alarms)
    session.client("logs").put_retention_policy(logGroupName="payments-app", retentionInDays=7)
    (check,) = [c for c in run_verify(session, config, alarms) if c.name == "log groups"]
    assert (check.status, check.reason) == (FAIL, "payments-app kept 7 days, not 90")


def test_verify_stops_when_the_stacks_are_not_deployed(session: boto3.Session) -> None:
    checks = run_verify(session, dev_config())
    assert status(checks) == {"stack outputs": FAIL}


def test_http_get_reports_status_latency_and_redirects_without_following() -> None:
    import http.server
    import threading

    class Redirect(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(301)
            self.send_header("Location", "https://example.test/health")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            return

    server = http.server.HTTPServer(("127.0.0.1", 0), Redirect)
    threading.Thread(target=server.handle_request, daemon=True).start()
    result = verify_module.http_get(f"http://127.0.0.1:{server.server_address[1]}/health")
    server.server_close()
    assert (result.status, result.location) == (301, "https://example.test/health")
    assert result.milliseconds > 0


# --- drill ----------------------------------------------------------------------------------------------------


def task_starter(ecs: Any) -> Any:
    """Starts a task in the cluster, as the ECS scheduler would for the service.

    moto 5.2.5 fails to start awsvpc tasks (its network interface lacks a DNS name), so these tasks use
    bridge networking; the drill only counts tasks and target health.
    """
    ecs.register_task_definition(
        family="drill", networkMode="bridge",
        containerDefinitions=[{"name": "App", "image": "app", "cpu": 512, "memory": 1024}],
    )  # fmt: skip

    def start() -> None:
        ecs.run_task(cluster="payments", taskDefinition="drill", launchType="FARGATE")

    return start


@pytest.fixture
def two_tasks(session: boto3.Session, alarms: DeployedAlarms) -> tuple[Any, Any, Any]:
    """A deployed service with its two tasks running: (ecs, elbv2, start another task)."""
    deployed(session, dev_config(), alarms)
    ecs, elbv2 = session.client("ecs"), session.client("elbv2")
    start_task = task_starter(ecs)
    for _ in range(2):
        start_task()
    return ecs, elbv2, start_task


def test_drill_stops_a_task_and_times_its_healthy_replacement(two_tasks: tuple[Any, Any, Any]) -> None:
    ecs, elbv2, start_task = two_tasks
    now = [0.0]

    def scheduler(seconds: float) -> None:
        """Stands in for ECS: the first poll finds the replacement started."""
        now[0] += seconds
        if now[0] == seconds:
            start_task()

    checks = drill(ecs, elbv2, "payments", "payments", timeout=60, poll=5, sleep=scheduler, clock=lambda: now[0])
    assert status(checks) == {"stop one task": PASS, "replacement": PASS}
    assert checks[-1].reason == "2 tasks running and healthy after 5 s"
    stopped = ecs.list_tasks(cluster="payments", desiredStatus="STOPPED")["taskArns"]
    assert len(stopped) == 1


def test_drill_fails_when_no_replacement_arrives_in_time(two_tasks: tuple[Any, Any, Any]) -> None:
    ecs, elbv2, _ = two_tasks
    now = [0.0]

    def tick(seconds: float) -> None:
        now[0] += seconds

    checks = drill(ecs, elbv2, "payments", "payments", timeout=30, poll=10, sleep=tick, clock=lambda: now[0])
    assert status(checks)["replacement"] == FAIL


def test_drill_refuses_prod_unless_told(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["drill", "--env", "prod"]) == 2
    assert "--allow-prod" in capsys.readouterr().err


def test_cli_reports_a_bad_profile_without_a_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cost", "--env", "qa"]) == 2
    assert capsys.readouterr().err.startswith("error: environment: 'qa' is not a profile")


def test_preflight_reports_a_region_mismatch_as_a_failed_check(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    assert main(["preflight", "--env", "dev"]) == 1
    output = capsys.readouterr().out
    assert "configuration  FAIL    AWS_REGION='eu-west-1' disagrees with region 'us-east-1'" in output


def test_preflight_checks_the_bootstrap_of_the_standby_region_too(
    session: boto3.Session, ready_account: EnvironmentConfig
) -> None:
    config = dataclasses.replace(
        ready_account,
        standby_region="us-west-2",
        tls=TlsSettings(
            domain_name="payments.dev.example.com",
            hosted_zone_id="Z0EXAMPLEDEV000000001",
            hosted_zone_name="dev.example.com",
        ),
    )
    (check,) = [c for c in run_preflight(session, config) if c.name == "CDK bootstrap in us-west-2"]
    assert (check.status, check.reason) == (
        FAIL,
        "no /cdk-bootstrap/hnb659fds/version parameter: run `npx cdk bootstrap` for this account and us-west-2",
    )
    standby_ssm = session.client("ssm", region_name="us-west-2")
    standby_ssm.put_parameter(Name="/cdk-bootstrap/hnb659fds/version", Value="30", Type="String")
    (check,) = [c for c in run_preflight(session, config) if c.name == "CDK bootstrap in us-west-2"]
    assert check.status == PASS


def test_preflight_checks_that_the_standby_regions_page_reaches_someone(
    session: boto3.Session, ready_account: EnvironmentConfig
) -> None:
    """The standby region has a paging topic of its own; a tool subscribed only in the main region misses it."""
    config = dataclasses.replace(
        ready_account,
        paging_emails=(),
        standby_region="us-west-2",
        tls=TlsSettings(
            domain_name="payments.dev.example.com",
            hosted_zone_id="Z0EXAMPLEDEV000000001",
            hosted_zone_name="dev.example.com",
        ),
    )
    topic = deployed_paging_topic(session, config)
    session.client("sns").subscribe(TopicArn=topic, Protocol="https", Endpoint="https://events.example.com/page")
    checks = status(run_preflight(session, config))
    assert (checks["paging subscribers"], checks["paging subscribers in us-west-2"]) == (PASS, FAIL)
    standby_topic = deployed_paging_topic(session.client("cloudformation", region_name="us-west-2"), config)
    session.client("sns", region_name="us-west-2").subscribe(
        TopicArn=standby_topic, Protocol="https", Endpoint="https://events.example.com/page"
    )
    assert status(run_preflight(session, config))["paging subscribers in us-west-2"] == PASS
