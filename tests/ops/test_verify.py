"""ops/verify.py against moto's in-process AWS: a healthy deploy passes, each kind of breakage fails."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from ops import delivery as delivery_module
from ops import verify as verify_module
from ops.checks import FAIL, PASS, WARN, Check, table
from ops.delivery import LIVE_CHECKS
from ops.verify import ClientCertificate, HttpResult
from settings import EnvironmentConfig, StandbyMode
from settings.naming import REPLICATED_BUCKETS
from tests.support.aws import (
    ALB_LOGS,
    ARCHIVE,
    CANARY,
    DEAD_LETTERS,
    GUARD_RULES,
    PROCESSOR_SECRET,
    STREAM,
    DeployedAlarms,
    GuardDutyCoverage,
    SecretMetadata,
    configured,
    deployed,
    dev_config,
    status,
    with_client_ca,
)
from tests.support.certificates import certificates
from tests.support.paths.matrix import MATRIX


def healthy_http(url: str, certificate: ClientCertificate | None = None) -> HttpResult:
    if url.startswith("http://"):
        return HttpResult(301, 3.0, url.replace("http://", "https://"))
    return HttpResult(200, 42.0, "")


CERTIFICATE_REQUIRED = "SSLError: [SSL: TLSV13_ALERT_CERTIFICATE_REQUIRED] tlsv13 alert certificate required"


def mutual_tls_http(url: str, certificate: ClientCertificate | None = None) -> HttpResult:
    """An ALB whose HTTPS listener verifies client certificates: without one, the handshake is refused."""
    if url.startswith("https://") and certificate is None:
        return HttpResult(0, 12.0, "", refused=CERTIFICATE_REQUIRED)
    return healthy_http(url, certificate)


def mutual_tls_config() -> EnvironmentConfig:
    return with_client_ca(dev_config())


class AlarmActions:
    """moto's CloudWatch, which does not act on a state change: setting an alarm to ALARM publishes to its actions'
    topics, as CloudWatch does (`deliver=False`: a topic that refuses CloudWatch, nothing arrives)."""

    def __init__(self, client: Any, sns: Any, deliver: bool = True) -> None:
        self.client, self.sns, self.deliver = client, sns, deliver

    # A paging signal in ALARM puts the composite in ALARM, which notifies the paging topic (set by the test).
    composite: tuple[str, str] | None = None

    def set_alarm_state(self, **kwargs: Any) -> dict[str, Any]:
        response: dict[str, Any] = self.client.set_alarm_state(**kwargs)
        if kwargs["StateValue"] == "ALARM" and self.deliver:
            (alarm,) = self.client.describe_alarms(AlarmNames=[kwargs["AlarmName"]])["MetricAlarms"]
            for topic in alarm["AlarmActions"]:
                self.sns.publish(TopicArn=topic, Message=json.dumps({"AlarmName": kwargs["AlarmName"]}))
            if self.composite:
                name, topic = self.composite
                self.sns.publish(TopicArn=topic, Message=json.dumps({"AlarmName": name}))
        return response

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)


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


class WithRetention:
    """moto's S3 client, whose GetObjectRetention fails (500) on an object locked by its bucket's default retention:
    answered here from HeadObject's lock headers, as S3 answers it (NoSuchObjectLockConfiguration when none)."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def get_object_retention(self, **kwargs: Any) -> dict[str, Any]:
        head = self.client.head_object(**kwargs)
        if not head.get("ObjectLockMode"):
            error = {"Error": {"Code": "NoSuchObjectLockConfiguration", "Message": "no retention"}}
            raise ClientError(error, "GetObjectRetention")
        return {"Retention": {"Mode": head["ObjectLockMode"], "RetainUntilDate": head["ObjectLockRetainUntilDate"]}}

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
    certificate: ClientCertificate | None = None,
    deliver: bool = True,
    coverage: GuardDutyCoverage | None = None,
    secret: SecretMetadata | None = None,
) -> list[Check]:
    if composites is None:
        composites = alarms.composite if alarms else ()
    clients = verify_module.Clients.from_session(session)
    clients.s3 = WithRetention(clients.s3)
    clients.cloudwatch = WithComposites(AlarmActions(clients.cloudwatch, clients.sns, deliver), composites, firing)
    clients.guardduty = coverage or GuardDutyCoverage()
    clients.secretsmanager = secret or SecretMetadata()
    return verify_module.verify(
        clients, config, get, certificate, pause=lambda _: None, post=accepting(session, config, counted=True)
    )


def accepting(session: boto3.Session, config: EnvironmentConfig, *, counted: bool, status: int = 201) -> Any:
    """The service answering a payment with `status`, and (`counted`) its EMF line becoming PaymentsAccepted."""

    def post(url: str, body: dict[str, Any], certificate: ClientCertificate | None = None) -> int:
        assert body["idempotency_key"].startswith("verify-")
        if counted and status == 201:
            dimensions = [
                {"Name": "Service", "Value": config.names.service},
                {"Name": "Environment", "Value": config.name},
            ]
            session.client("cloudwatch").put_metric_data(
                Namespace=config.names.metrics_namespace,
                MetricData=[{"MetricName": "PaymentsAccepted", "Value": 1, "Dimensions": dimensions}],
            )
        return status

    return post


def test_verify_passes_on_a_healthy_deploy(session: boto3.Session, alarms: DeployedAlarms) -> None:
    config = dev_config()
    deployed(session, config, alarms)
    checks = run_verify(session, config, alarms)
    assert all(check.status == PASS for check in checks), table(checks)
    assert len(checks) == 20


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
    assert len(alarms.composite + alarms.metric) == 20
    (check,) = [c for c in run_verify(session, config, alarms) if c.name == "alarms"]
    assert (check.status, check.reason) == (PASS, f"20 alarms, the page ({page}) among them, none in ALARM")
    (check,) = [c for c in run_verify(session, config, alarms, firing=(page,)) if c.name == "alarms"]
    assert (check.status, check.reason) == (FAIL, f"in ALARM: {page}")
    (check,) = [c for c in run_verify(session, config, alarms, composites=()) if c.name == "alarms"]
    assert (check.status, check.reason) == (FAIL, f"19 of 20 alarms exist; missing: {page}")


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

    def slow(url: str, certificate: ClientCertificate | None) -> HttpResult:
        return HttpResult(200, 450.0, "") if url.startswith("https://") else HttpResult(200, 5.0, "")

    checks = status(run_verify(session, config, alarms, slow))
    assert (checks["HTTPS /health"], checks["HTTP redirects to HTTPS"]) == (FAIL, FAIL)


def test_with_mutual_tls_verify_proves_anonymous_clients_are_refused_and_fetches_health_with_a_certificate(
    session: boto3.Session, alarms: DeployedAlarms
) -> None:
    config = mutual_tls_config()
    deployed(session, config, alarms)
    certificate = ClientCertificate(Path("client.pem"), Path("client.key"))
    checks = run_verify(session, config, alarms, mutual_tls_http, certificate=certificate)
    assert all(check.status == PASS for check in checks), table(checks)
    (refused,) = [c for c in checks if c.name == "HTTPS refuses clients without a certificate"]
    assert refused.reason == f"refused ({CERTIFICATE_REQUIRED})"


def test_with_mutual_tls_and_no_certificate_health_is_a_warning_not_a_failure(
    session: boto3.Session, alarms: DeployedAlarms
) -> None:
    """Route 53 and the ALB's own health checks need no certificate; `make verify` may not have one."""
    config = mutual_tls_config()
    deployed(session, config, alarms)
    checks = status(run_verify(session, config, alarms, mutual_tls_http))
    assert checks["HTTPS /health"] == WARN
    assert checks["HTTPS refuses clients without a certificate"] == PASS
    assert FAIL not in checks.values()


def test_with_mutual_tls_a_listener_that_serves_anonymous_clients_fails(
    session: boto3.Session, alarms: DeployedAlarms
) -> None:
    config = mutual_tls_config()
    deployed(session, config, alarms)
    checks = run_verify(session, config, alarms, healthy_http)
    (check,) = [c for c in checks if c.name == "HTTPS refuses clients without a certificate"]
    assert (check.status, check.reason) == (FAIL, "answered 200 without one")


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
    assert (check.status, check.reason) == (
        FAIL,
        f"payments-app kept 7 days, not {config.retention.log_retention_days}",
    )


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


def test_http_get_presents_a_client_certificate_and_reports_a_refused_handshake(tmp_path: Path) -> None:
    """Against a TLS server that requires a client certificate, as the ALB's mutual-TLS listener does."""
    import http.server
    import ssl
    import threading

    authority, server_pem, client = certificates(tmp_path)

    class Health(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            return

    server = http.server.HTTPServer(("127.0.0.1", 0), Health)
    listener = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    listener.load_cert_chain(server_pem, tmp_path / "server.key")
    listener.load_verify_locations(authority)
    listener.verify_mode = ssl.CERT_REQUIRED
    server.socket = listener.wrap_socket(server.socket, server_side=True)

    def serve() -> None:
        for _ in range(2):
            try:
                server.handle_request()
            except ssl.SSLError:  # the anonymous client's handshake, refused at accept
                continue

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    trusting = ssl.create_default_context(cafile=authority)
    url = f"https://localhost:{server.server_address[1]}/health"
    anonymous = verify_module.http_get(url, context=trusting)
    presented = verify_module.http_get(url, client, context=ssl.create_default_context(cafile=authority))
    thread.join(5)
    server.server_close()
    assert anonymous.status == 0
    assert anonymous.refused.startswith("SSL")  # the handshake, not an HTTP answer
    assert (presented.status, presented.refused) == (200, "")


def replica_buckets(session: boto3.Session, config: EnvironmentConfig, *, locked: bool) -> Any:
    """The standby's replica buckets as deployed (Object Lock enabled, a default retention), one replica in each."""
    standby = str(config.standby_region)
    s3 = session.client("s3", region_name=standby)
    for kind in REPLICATED_BUCKETS:
        bucket = config.names.replica_bucket(kind, str(config.account), standby)
        s3.create_bucket(
            Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": standby}, ObjectLockEnabledForBucket=True
        )
        if locked:
            rule = {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": 400}}
            s3.put_object_lock_configuration(
                Bucket=bucket, ObjectLockConfiguration={"ObjectLockEnabled": "Enabled", "Rule": rule}
            )
        s3.put_object(Bucket=bucket, Key="AWSLogs/replica", Body=b"record", ChecksumAlgorithm="CRC32")
    return s3


@pytest.mark.parametrize(("locked", "expected"), [(True, PASS), (False, FAIL)])
def test_verify_asks_whether_the_standbys_replicas_carry_a_retention(
    session: boto3.Session, locked: bool, expected: str
) -> None:
    config = configured(dev_config(), standby_region="us-west-2")
    s3 = replica_buckets(session, config, locked=locked)
    check = verify_module.replicas_locked(WithRetention(s3), config)
    assert check.status == expected
    assert ("COMPLIANCE until" in check.reason) if locked else check.reason.startswith("no Object Lock retention")


def test_verify_waits_for_the_first_replica(session: boto3.Session) -> None:
    config = configured(dev_config(), standby_region="us-west-2")
    s3 = session.client("s3", region_name="us-west-2")
    for kind in REPLICATED_BUCKETS:
        s3.create_bucket(
            Bucket=config.names.replica_bucket(kind, str(config.account), "us-west-2"),
            CreateBucketConfiguration={"LocationConstraint": "us-west-2"},
        )
    check = verify_module.replicas_locked(WithRetention(s3), config)
    assert (check.status, check.reason.startswith("nothing replicated yet")) == (WARN, True)


def archive_check(session: boto3.Session, config: EnvironmentConfig, alarms: DeployedAlarms) -> Check:
    (check,) = [c for c in run_verify(session, config, alarms) if c.name == "archive locked"]
    return check


def test_verify_reads_the_lock_of_todays_newest_archived_record(session: boto3.Session, alarms: DeployedAlarms) -> None:
    config = dev_config()
    deployed(session, config, alarms)
    check = archive_check(session, config, alarms)
    assert check.status == PASS
    assert check.reason.startswith(f"{ARCHIVE}/logs/{datetime.now(UTC):%Y/%m/%d}/record GOVERNANCE until ")


def other_archive(session: boto3.Session, config: EnvironmentConfig, records: dict[str, bool]) -> None:
    """Point the Security stack's output at an Object Lock bucket without a default retention, holding `records`
    (key -> whether written with a retention), written in order."""
    s3 = session.client("s3")
    s3.create_bucket(Bucket="other-archive", ObjectLockEnabledForBucket=True)
    until = datetime.now(UTC) + timedelta(days=400)
    for key, locked in records.items():
        lock = {"ObjectLockMode": "COMPLIANCE", "ObjectLockRetainUntilDate": until} if locked else {}
        s3.put_object(Bucket="other-archive", Key=key, Body=b"record", ChecksumAlgorithm="CRC32", **lock)
    cloudformation = session.client("cloudformation")
    cloudformation.delete_stack(StackName=config.names.stack("Security"))
    cloudformation.create_stack(StackName=config.names.stack("Security"), TemplateBody=json.dumps({
        "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
        "Outputs": {"LogArchiveBucketName": {"Value": "other-archive"}, "FlowLogBucketName": {"Value": "flow-logs"},
                    "AlbLogBucketName": {"Value": ALB_LOGS}, "LogArchiveStreamName": {"Value": STREAM}}}))  # fmt: skip


def test_verify_judges_the_archive_by_its_newest_record_not_its_oldest(
    session: boto3.Session, alarms: DeployedAlarms
) -> None:
    """Records archived before the lock was enabled keep none; what the lock does now is today's newest."""
    config = dev_config()
    deployed(session, config, alarms)
    old = f"logs/{datetime.now(UTC) - timedelta(days=30):%Y/%m/%d}/before-the-lock"
    other_archive(session, config, {old: False, f"logs/{datetime.now(UTC):%Y/%m/%d}/now": True})
    assert archive_check(session, config, alarms).status == PASS


def test_verify_fails_when_the_newest_archived_record_carries_no_lock(
    session: boto3.Session, alarms: DeployedAlarms
) -> None:
    config = dev_config()
    deployed(session, config, alarms)
    key = f"logs/{datetime.now(UTC):%Y/%m/%d}/unlocked"
    other_archive(session, config, {key: False})
    check = archive_check(session, config, alarms)
    assert (check.status, check.reason) == (FAIL, f"no Object Lock retention on {key} in other-archive")


def test_verify_waits_for_the_first_archived_record(session: boto3.Session, alarms: DeployedAlarms) -> None:
    config = dev_config()
    deployed(session, config, alarms)
    s3 = session.client("s3")
    for version in s3.list_object_versions(Bucket=ARCHIVE)["Versions"]:
        s3.delete_object(
            Bucket=ARCHIVE, Key=version["Key"], VersionId=version["VersionId"], BypassGovernanceRetention=True
        )
    check = archive_check(session, config, alarms)
    assert (check.status, check.reason.startswith("nothing archived")) == (WARN, True)


class Replicating:
    """moto's S3 clients of both regions, with the replication moto lacks: an object written into a source bucket is
    PENDING for `polls` HeadObject calls, then ends as `outcome` (COMPLETED: copied into its replica, which then
    answers REPLICA; FAILED; PENDING for ever; "lost": COMPLETED but never copied; None: no rule applies)."""

    def __init__(self, source: Any, standby: Any, replicas: dict[str, str], outcome: str | None, polls: int = 2):
        self.source, self.standby, self.replicas, self.outcome, self.polls = source, standby, replicas, outcome, polls
        self.heads: dict[tuple[str, str], int] = {}
        self.copied: set[tuple[str, str]] = set()
        self.written: list[tuple[str, str]] = []

    def put_object(self, **kwargs: Any) -> dict[str, Any]:
        self.written.append((kwargs["Bucket"], kwargs["Key"]))
        return dict(self.source.put_object(**kwargs))

    def head_object(self, **kwargs: Any) -> dict[str, Any]:
        head: dict[str, Any] = self.source.head_object(**kwargs)
        if self.outcome is None:
            return head
        where = (kwargs["Bucket"], kwargs["Key"])
        self.heads[where] = self.heads.get(where, 0) + 1
        if self.heads[where] <= self.polls or self.outcome == "PENDING":
            return head | {"ReplicationStatus": "PENDING"}
        if self.outcome == "COMPLETED" and where not in self.copied:
            body = self.source.get_object(**kwargs)["Body"].read()
            self.standby.put_object(Bucket=self.replicas[where[0]], Key=where[1], Body=body, ChecksumAlgorithm="CRC32")
            self.copied.add(where)
        return head | {"ReplicationStatus": "FAILED" if self.outcome == "FAILED" else "COMPLETED"}

    def replica_side(self) -> Any:
        replicating = self

        class Replica:
            def head_object(self, **kwargs: Any) -> dict[str, Any]:
                head: dict[str, Any] = replicating.standby.head_object(**kwargs)
                return head | {"ReplicationStatus": "REPLICA"}

            def __getattr__(self, name: str) -> Any:
                return getattr(replicating.standby, name)

        return Replica()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.source, name)


def replicating_account(session: boto3.Session, outcome: str | None) -> tuple[Any, EnvironmentConfig, Replicating]:
    """The Security stack's four audit buckets in us-east-1 and their replicas in us-west-2, replicating as
    `outcome`."""
    config = configured(dev_config(), standby_region="us-west-2")
    account = str(config.account)
    source, standby = session.client("s3"), session.client("s3", region_name="us-west-2")
    replicas = {}
    for kind in verify_module.SOURCE_BUCKET_OUTPUTS:
        bucket, replica = f"payments-dev-{kind}", config.names.replica_bucket(kind, account, "us-west-2")
        source.create_bucket(Bucket=bucket)
        standby.create_bucket(Bucket=replica, CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
        replicas[bucket] = replica
    session.client("cloudformation").create_stack(StackName=config.names.stack("Security"), TemplateBody=json.dumps({
        "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
        "Outputs": {output: {"Value": f"payments-dev-{kind}"}
                    for kind, output in verify_module.SOURCE_BUCKET_OUTPUTS.items()}}))  # fmt: skip
    clients = verify_module.Clients.from_session(session)
    clients.s3 = Replicating(source, standby, replicas, outcome)
    return clients, config, clients.s3


def test_verify_follows_a_canary_from_every_audit_bucket_to_its_replica(session: boto3.Session) -> None:
    clients, config, replicating = replicating_account(session, "COMPLETED")
    waits: list[float] = []
    check = verify_module.canary_replicated(clients, replicating.replica_side(), config, waits.append)
    assert check.status == PASS, check.reason
    assert [bucket for bucket, _ in replicating.written] == [f"payments-dev-{kind}" for kind in REPLICATED_BUCKETS]
    (key,) = {key for _, key in replicating.written}
    assert key.startswith(f"verify/replication-canary/{datetime.now(UTC):%Y/%m/%d}/")  # no log writer's prefix
    assert replicating.copied == set(replicating.written)
    assert all(f"{kind} in 30 s" in check.reason for kind in REPLICATED_BUCKETS)
    assert sum(waits) == 30  # two polls PENDING, bounded by the wait


@pytest.mark.parametrize(
    ("outcome", "reason"),
    [
        ("FAILED", "replication status FAILED"),
        ("PENDING", "still PENDING after 900 s"),
        (None, "has no replication status: no replication rule applies to it"),
        ("lost", "reported COMPLETED, but payments-dev-flow-logs-replica-"),
    ],
)
def test_verify_fails_when_a_canary_does_not_reach_the_standby(
    session: boto3.Session, outcome: str | None, reason: str
) -> None:
    clients, config, replicating = replicating_account(session, outcome)
    waits: list[float] = []
    check = verify_module.canary_replicated(clients, replicating.replica_side(), config, waits.append)
    assert check.status == FAIL
    assert reason in check.reason
    assert sum(waits) <= delivery_module.REPLICATION_WAIT_SECONDS


def test_verify_names_the_missing_output_of_a_security_stack_deployed_before_the_canary(
    session: boto3.Session,
) -> None:
    clients, config, replicating = replicating_account(session, "COMPLETED")
    cloudformation = session.client("cloudformation")
    cloudformation.delete_stack(StackName=config.names.stack("Security"))
    cloudformation.create_stack(StackName=config.names.stack("Security"), TemplateBody=json.dumps({
        "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
        "Outputs": {"LogArchiveBucketName": {"Value": "payments-dev-log-archive"}}}))  # fmt: skip
    check = verify_module.canary_replicated(clients, replicating.replica_side(), config, lambda _: None)
    assert (check.status, check.reason) == (
        FAIL,
        "the Security stack has no output FlowLogBucketName, AlbLogBucketName, AccessLogBucketName: deploy it",
    )
    assert replicating.written == []


def test_verify_passes_while_no_change_warning_waits_undelivered(
    session: boto3.Session, alarms: DeployedAlarms
) -> None:
    config = dev_config()
    deployed(session, config, alarms)
    checks = {c.name: c for c in run_verify(session, config, alarms)}
    assert checks["change warnings delivered"].status == PASS


def test_verify_fails_while_a_change_warning_waits_in_the_dead_letter_queue(
    session: boto3.Session, alarms: DeployedAlarms
) -> None:
    """What EventBridge puts there when the warning topic refuses it: a warning nobody received."""
    config = dev_config()
    deployed(session, config, alarms)
    sqs = session.client("sqs")
    (queue,) = sqs.list_queues(QueueNamePrefix=DEAD_LETTERS)["QueueUrls"]
    sqs.send_message(QueueUrl=queue, MessageBody='{"detail": {"eventName": "AuthorizeSecurityGroupIngress"}}')
    check = {c.name: c for c in run_verify(session, config, alarms)}["change warnings delivered"]
    assert check.status == FAIL
    assert check.reason.startswith(
        f"1 out-of-band change warning(s) could not reach the warning topic and wait in {DEAD_LETTERS}"
    )


def failed_invocations(session: boto3.Session, metric: str, rule: str) -> None:
    """What EventBridge publishes for a rule whose target refused an event an hour ago."""
    session.client("cloudwatch").put_metric_data(Namespace="AWS/Events", MetricData=[{
        "MetricName": metric, "Value": 1.0, "Timestamp": datetime.now(UTC) - timedelta(hours=1),
        "Dimensions": [{"Name": "RuleName", "Value": rule}]}])  # fmt: skip


@pytest.mark.parametrize(
    ("metrics", "reason"),
    [
        (("FailedInvocations",), "0 out-of-band change warning(s) could not reach the warning topic and wait in "),
        (("FailedInvocations", "InvocationsFailedToBeSentToDLQ"), "1 out-of-band change warning(s) in the last 24 h "
         "reached neither the warning topic nor "),
    ],
)  # fmt: skip
def test_verify_fails_on_a_failed_delivery_even_when_the_queue_is_empty(
    session: boto3.Session, alarms: DeployedAlarms, metrics: tuple[str, ...], reason: str
) -> None:
    """An empty queue is also what a queue that refused the dead letter looks like: the rule's metrics tell."""
    config = dev_config()
    deployed(session, config, alarms)
    for metric in metrics:
        failed_invocations(session, metric, GUARD_RULES[1])
    check = {c.name: c for c in run_verify(session, config, alarms)}["change warnings delivered"]
    assert check.status == FAIL
    assert check.reason.startswith(reason)


def test_verify_in_an_idle_standby_checks_its_own_tasks_not_the_service_name(
    session: boto3.Session, alarms: DeployedAlarms
) -> None:
    """The name answers from the region Route 53 prefers: the standby's own tasks and alarms are what it checks."""
    primary = configured(dev_config(), standby_region="us-east-1", region="us-west-2")
    standby = primary.standby()
    assert standby.region == "us-east-1"
    deployed(session, standby, alarms)
    checks = {check.name: check for check in run_verify(session, standby, alarms, get=refused_http)}
    assert checks["HTTPS /health"].status == WARN
    assert "HTTP redirects to HTTPS" not in checks
    assert checks["tasks running"].status == PASS


def refused_http(url: str, certificate: ClientCertificate | None = None) -> HttpResult:
    raise AssertionError(f"the standby's checks must not call {url}: the name answers from another region")


def test_verify_fails_when_an_alarm_does_not_reach_a_subscriber(session: boto3.Session, alarms: DeployedAlarms) -> None:
    """The topic policy that refused CloudWatch: configured on paper, never delivered."""
    config = dev_config()
    deployed(session, config, alarms)
    checks = {c.name: c for c in run_verify(session, config, alarms, deliver=False)}
    check = checks["alarm reaches a subscriber"]
    assert check.status == FAIL
    assert check.reason.startswith(f"no notification of {CANARY} from ")
    remaining = session.client("sqs").list_queues().get("QueueUrls", [])
    assert [queue.rsplit("/", 1)[-1] for queue in remaining] == [DEAD_LETTERS]  # the temporary queue is gone
    (alarm,) = session.client("cloudwatch").describe_alarms(AlarmNames=[CANARY])["MetricAlarms"]
    assert alarm["StateValue"] == "OK"


@pytest.mark.parametrize("missing", ["flow-log objects", "ALB access-log objects"])
def test_verify_fails_when_a_log_bucket_holds_nothing_of_today(
    session: boto3.Session, alarms: DeployedAlarms, missing: str
) -> None:
    config = dev_config()
    deployed(session, config, alarms)
    s3 = session.client("s3")
    bucket = "flow-logs" if missing.startswith("flow") else ALB_LOGS
    for item in s3.list_objects_v2(Bucket=bucket).get("Contents", []):
        s3.delete_object(Bucket=bucket, Key=item["Key"])
    checks = {c.name: c for c in run_verify(session, config, alarms)}
    assert checks[missing].status == FAIL
    assert checks[missing].reason.startswith("nothing under ")


def test_every_delivery_path_of_the_matrix_has_a_live_check_or_says_why_not() -> None:
    assert set(LIVE_CHECKS) == {row.name for row in MATRIX}
    verify_names = {"alarm reaches a subscriber", "flow-log objects", "WAF log events", "log groups",
                    "ALB access-log objects", "archive locked", "canary replicated", "archive stream delivers",
                    "change warnings delivered",
                    "test payment counted",
                    "tasks running",
                    "HTTPS /health", "HTTP redirects to HTTPS"}  # fmt: skip
    for row, check in LIVE_CHECKS.items():
        assert check in verify_names or check.startswith(
            ("not provable", "make drill", "make preflight", "python -m ops")
        ), row


class Verdicts:
    """Route 53's verdict per health check, as `ops.failover.HealthChecks.healthy` reads it."""

    def __init__(self, unhealthy: set[str]) -> None:
        self.unhealthy = unhealthy

    def healthy(self, health_check_id: str) -> bool:
        return health_check_id not in self.unhealthy


@pytest.mark.parametrize(
    ("unhealthy", "idle", "expected"),
    [(set(), False, PASS), ({"pref-1"}, False, FAIL), ({"region-1"}, True, WARN), ({"region-1"}, False, FAIL)],
)
def test_verify_reads_route53s_verdict_on_the_regions_checks(unhealthy: set[str], idle: bool, expected: str) -> None:
    primary = configured(dev_config(), standby_region="us-west-2")
    config = primary.standby() if idle else primary
    if idle:
        config = dataclasses.replace(config, disaster_recovery=dataclasses.replace(
            config.disaster_recovery, standby_mode=StandbyMode.PILOT_LIGHT))  # fmt: skip
    compute = {"RegionHealthCheckId": "region-1"} | ({} if idle else {"PreferenceHealthCheckId": "pref-1"})
    check = verify_module._route53(Verdicts(unhealthy), config, compute)
    assert check.status == expected


def test_the_page_test_proves_a_paging_signal_reaches_the_paging_topics_subscriber(
    session: boto3.Session, alarms: DeployedAlarms
) -> None:
    config = dev_config()
    deployed(session, config, alarms)
    paging = session.client("sns").create_topic(Name="payments-dev-paging")["TopicArn"]
    cloudformation = session.client("cloudformation")
    (stack,) = cloudformation.describe_stacks(StackName=config.names.stack("Observability"))["Stacks"]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]} | {"PagingTopicArn": paging}
    cloudformation.delete_stack(StackName=config.names.stack("Observability"))
    cloudformation.create_stack(StackName=config.names.stack("Observability"), TemplateBody=json.dumps({
        "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
        "Outputs": {key: {"Value": value} for key, value in outputs.items()}}))  # fmt: skip
    clients = verify_module.Clients.from_session(session)
    clients.s3 = WithRetention(clients.s3)
    actions = AlarmActions(clients.cloudwatch, clients.sns)
    actions.composite = (alarms.composite[0], paging)
    clients.cloudwatch = WithComposites(actions, alarms.composite)
    checks = {c.name: c for c in verify_module.verify(
        clients, config, healthy_http, page_test=True, pause=lambda _: None,
        post=accepting(session, config, counted=True))}  # fmt: skip
    check = checks["page reaches a subscriber"]
    assert check.status == PASS
    assert check.reason.startswith(f"{alarms.metric[0]} -> {alarms.composite[0]} -> payments-dev-paging")
    assert "page reaches a subscriber" not in {c.name for c in run_verify(session, config, alarms)}


@pytest.mark.parametrize(("success", "expected"), [(1.0, PASS), (0.0, FAIL), (None, WARN)])
def test_verify_reads_whether_the_archive_stream_delivers(
    session: boto3.Session, success: float | None, expected: str
) -> None:
    """A stream whose deliveries fail (a policy that refuses Firehose) reports DeliveryToS3.Success below 1."""
    cloudwatch = session.client("cloudwatch")
    if success is not None:
        when = datetime.now(UTC) - timedelta(minutes=10)
        cloudwatch.put_metric_data(Namespace="AWS/Firehose", MetricData=[{
            "MetricName": "DeliveryToS3.Success", "Value": success, "Timestamp": when,
            "Dimensions": [{"Name": "DeliveryStreamName", "Value": STREAM}]}])  # fmt: skip
    assert delivery_module.archive_stream_delivers(cloudwatch, STREAM).status == expected


@pytest.mark.parametrize(
    ("status", "counted", "expected"), [(201, False, "counted nothing"), (503, True, "answered 503")]
)
def test_verify_fails_when_a_test_payment_is_refused_or_not_counted(
    session: boto3.Session, alarms: DeployedAlarms, status: int, counted: bool, expected: str
) -> None:
    config = dev_config()
    deployed(session, config, alarms)
    clients = verify_module.Clients.from_session(session)
    check = verify_module.counted_test_payment(
        accepting(session, config, counted=counted, status=status), clients.cloudwatch, config,
        "https://payments.dev.example.com", None, lambda _: None,
    )  # fmt: skip
    assert check.status == FAIL
    assert expected in check.reason


@pytest.mark.parametrize(
    ("coverage", "status", "reason"),
    [
        (GuardDutyCoverage(), PASS, "payments: GuardDuty coverage HEALTHY"),
        (GuardDutyCoverage(("HEALTHY", "UNHEALTHY")), FAIL,
         "payments: GuardDuty coverage Failed to pull the GuardDuty agent image: the tasks are not watched"),
        (GuardDutyCoverage(()), WARN, "GuardDuty reports no coverage of payments yet"),
        (GuardDutyCoverage(detector=False), FAIL, "no GuardDuty detector in us-east-1"),
    ],
)  # fmt: skip
def test_verify_reads_guardduty_coverage_of_the_cluster_not_just_its_settings(
    session: boto3.Session, alarms: DeployedAlarms, coverage: GuardDutyCoverage, status: str, reason: str
) -> None:
    """GuardDuty starts a task whose agent failed to start: only its coverage says the tasks are watched."""
    config = dev_config()
    deployed(session, config, alarms)
    (check,) = [
        c for c in run_verify(session, config, alarms, coverage=coverage) if c.name == "GuardDuty covers the tasks"
    ]
    assert (check.status, check.reason.startswith(reason)) == (status, True), check.reason
    for request in coverage.asked:
        (criterion,) = request["FilterCriteria"]["FilterCriterion"]
        assert criterion == {"CriterionKey": "ECS_CLUSTER_NAME", "FilterCondition": {"Equals": ["payments"]}}


@pytest.mark.parametrize(
    ("secret", "status", "reason"),
    [
        (SecretMetadata(changed_days=30), PASS, "ProcessorSecret last changed 30 days ago"),
        (SecretMetadata(changed_days=500, age_days=900), FAIL,
         "ProcessorSecret last changed 500 days ago; the processor's credentials are changed at least every 365 days"),
        (SecretMetadata(changed_days=None), FAIL, "ProcessorSecret still holds the value generated at create"),
    ],
)  # fmt: skip
def test_verify_reads_when_the_processor_credentials_last_changed_never_their_value(
    session: boto3.Session, alarms: DeployedAlarms, secret: SecretMetadata, status: str, reason: str
) -> None:
    config = dev_config()
    deployed(session, config, alarms)
    (check,) = [
        c for c in run_verify(session, config, alarms, secret=secret) if c.name == "processor credentials current"
    ]
    assert (check.status, check.reason.startswith(reason)) == (status, True), check.reason
    assert secret.asked == [PROCESSOR_SECRET]  # DescribeSecret of the Security stack's secret, not its value
