"""Post-deploy verification of one profile, from the stacks' outputs."""

from __future__ import annotations

import json
import ssl
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from botocore.exceptions import ClientError

from ops import delivery, governance
from ops.checks import Check, failed, passed, run, warned
from ops.clients import ClientSet
from settings import ClientAuthentication, EnvironmentConfig
from settings.naming import REPLICATED_BUCKETS

LATENCY_OBJECTIVE_MS = 200
# DescribeAlarms takes at most this many names per call.
ALARM_NAMES_PER_CALL = 100


@dataclass(frozen=True)
class HttpResult:
    status: int
    milliseconds: float
    location: str
    # Why the TLS handshake failed (status 0), e.g. the load balancer required a client certificate.
    refused: str = ""


@dataclass(frozen=True)
class ClientCertificate:
    """A certificate (and its key) issued by a CA of `tls.client_ca_bundle`, for the mutual-TLS listener."""

    certificate: Path
    key: Path


HttpGet = Callable[[str, ClientCertificate | None], HttpResult]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _https_opener(
    certificate: ClientCertificate | None, context: ssl.SSLContext | None, *handlers: Any
) -> urllib.request.OpenerDirector:
    """An opener that verifies the server (the default trust store unless `context` is given) and presents
    `certificate` where the listener asks for one."""
    context = context or ssl.create_default_context()
    if certificate is not None:
        context.load_cert_chain(certificate.certificate, certificate.key)
    return urllib.request.build_opener(*handlers, urllib.request.HTTPSHandler(context=context))


def http_get(
    url: str,
    certificate: ClientCertificate | None = None,
    *,
    context: ssl.SSLContext | None = None,
    timeout: float = 5,
) -> HttpResult:
    """GET without following redirects, timing the whole exchange; a refused TLS handshake is a result."""
    opener = _https_opener(certificate, context, _NoRedirect)
    started = time.perf_counter()
    try:
        with opener.open(url, timeout=timeout) as response:
            response.read()
            status, location = response.status, response.headers.get("Location", "")
    except urllib.error.HTTPError as error:
        status, location = error.code, error.headers.get("Location", "")
    except (urllib.error.URLError, ssl.SSLError, ConnectionResetError) as error:
        # With TLS 1.3 a missing client certificate is refused after the handshake, at the first read.
        reason = error.reason if isinstance(error, urllib.error.URLError) else error
        if not isinstance(reason, (ssl.SSLError, ConnectionResetError)):
            raise
        return HttpResult(0, (time.perf_counter() - started) * 1000, "", refused=f"{type(reason).__name__}: {reason}")
    return HttpResult(status, (time.perf_counter() - started) * 1000, location)


def http_post(
    url: str,
    body: dict[str, Any],
    certificate: ClientCertificate | None = None,
    *,
    context: ssl.SSLContext | None = None,
    timeout: float = 10,
) -> int:
    """POST `body` as JSON; the response status (an HTTP error's too)."""
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    opener = _https_opener(certificate, context)
    try:
        with opener.open(request, timeout=timeout) as response:
            response.read()
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


HttpPost = Callable[[str, dict[str, Any], ClientCertificate | None], int]
# How long the business metric of a test payment may take to appear (Embedded Metric Format, then CloudWatch).
METRIC_WAIT_SECONDS = 300


def counted_test_payment(
    post: HttpPost,
    cloudwatch: Any,
    config: EnvironmentConfig,
    url: str,
    certificate: ClientCertificate | None,
    pause: Callable[[float], None],
) -> Check:
    """A payment marked as a test (`verify-` idempotency key) is accepted, and the service's business metric
    (`PaymentsAccepted`, from its EMF lines) counts it within METRIC_WAIT_SECONDS."""
    name = "test payment counted"
    key = f"verify-{uuid.uuid4().hex}"
    status = post(f"{url}/payments", {"amount": "0.01", "currency": "EUR", "idempotency_key": key}, certificate)
    if status != 201:
        return failed(name, f"POST /payments answered {status}, not 201")
    started = datetime.now(UTC) - timedelta(minutes=1)
    dimensions = [{"Name": "Service", "Value": config.names.service}, {"Name": "Environment", "Value": config.name}]
    waited = 0.0
    while True:
        datapoints = cloudwatch.get_metric_statistics(
            Namespace=config.names.metrics_namespace, MetricName="PaymentsAccepted", Dimensions=dimensions,
            StartTime=started, EndTime=datetime.now(UTC) + timedelta(minutes=1), Period=60, Statistics=["Sum"],
        )["Datapoints"]  # fmt: skip
        if sum(d["Sum"] for d in datapoints) >= 1:
            return passed(name, f"{key} accepted (201) and counted in {config.names.metrics_namespace}")
        if waited >= METRIC_WAIT_SECONDS:
            return failed(name, f"{key} accepted (201) but PaymentsAccepted counted nothing in {waited:.0f} s")
        pause(15)
        waited += 15


@dataclass
class Clients(ClientSet):
    """The clients verify reads with."""

    cloudformation: Any
    ecs: Any
    elbv2: Any
    wafv2: Any
    ec2: Any
    logs: Any
    cloudwatch: Any
    s3: Any
    sns: Any
    sqs: Any
    guardduty: Any
    secretsmanager: Any


# PCI DSS 8.6.3: application passwords are changed periodically, on a risk analysis; a year at the latest here.
MAX_CREDENTIAL_AGE = timedelta(days=365)


def processor_credentials(secretsmanager: Any, secret_arn: str, now: datetime | None = None) -> Check:
    """The processor's credentials were put by someone (not the value generated at create) within a year. Reads the
    secret's metadata only (DescribeSecret), never its value."""
    name = "processor credentials current"
    now = now or datetime.now(UTC)
    secret = secretsmanager.describe_secret(SecretId=secret_arn)
    created, changed = secret.get("CreatedDate"), secret.get("LastChangedDate") or secret.get("CreatedDate")
    if changed is None or (created is not None and changed <= created + timedelta(minutes=5)):
        return failed(name, f"{secret['Name']} still holds the value generated at create: put the processor's "
                            "credentials (aws secretsmanager put-secret-value)")  # fmt: skip
    age = now - changed
    if age > MAX_CREDENTIAL_AGE:
        return failed(name, f"{secret['Name']} last changed {age.days} days ago; the processor's credentials are "
                            f"changed at least every {MAX_CREDENTIAL_AGE.days} days (PCI DSS 8.6.3)")  # fmt: skip
    return passed(name, f"{secret['Name']} last changed {age.days} days ago")


def outputs(clients: Clients, stack_name: str) -> dict[str, str]:
    (stack,) = clients.cloudformation.describe_stacks(StackName=stack_name)["Stacks"]
    return {output["OutputKey"]: output["OutputValue"] for output in stack.get("Outputs", [])}


def verify(
    clients: Clients,
    config: EnvironmentConfig,
    get: HttpGet = http_get,
    certificate: ClientCertificate | None = None,
    standby_s3: Any = None,
    pause: Callable[[float], None] = time.sleep,
    route53_health: Any = None,
    page_test: bool = False,
    post: HttpPost = http_post,
) -> list[Check]:
    """`clients` and `config` of one region (a standby's: `config.standby()`). `certificate`: a client certificate,
    for a profile whose listener requires one (mutual TLS); `standby_s3`: an S3 client of the standby region, for a
    profile that has one."""
    found: dict[str, Any] = {}
    checks = run("stack outputs", lambda: _outputs(clients, config, found))
    if checks[-1].failed:
        return checks
    url = found["compute"]["ServiceUrl"]
    if config.is_standby:
        # The service name answers from whichever region Route 53 prefers, and the certificate names only it.
        reason = ("not fetched: the service name answers from the region Route 53 prefers; 'targets healthy' checks "
                  "this region's tasks")  # fmt: skip
        checks.append(warned("HTTPS /health", reason))
    elif config.tls.client_authentication is ClientAuthentication.MUTUAL_TLS:
        checks += run("HTTPS refuses clients without a certificate", lambda: _refuses_anonymous(get, url))
        if certificate is None:
            reason = ("not fetched: the listener requires a client certificate; give one with --client-cert and "
                      "--client-key ('targets healthy' checks the tasks)")  # fmt: skip
            checks.append(warned("HTTPS /health", reason))
        else:
            checks += run("HTTPS /health", lambda: _health(get, url, certificate))
    else:
        checks += run("HTTPS /health", lambda: _health(get, url, None))
    if not config.is_standby:
        checks += run("HTTP redirects to HTTPS", lambda: _redirect(get, url))
        if config.tls.client_authentication is ClientAuthentication.MUTUAL_TLS and certificate is None:
            checks.append(warned("test payment counted", "not sent: the listener requires a client certificate"))
        else:
            checks += run("test payment counted", lambda: counted_test_payment(
                post, clients.cloudwatch, config, url, certificate, pause))  # fmt: skip
    checks += run("tasks running", lambda: _service(clients, found))
    if checks[-1].failed and "service" not in found:
        return checks
    checks += run("targets healthy", lambda: _targets(clients, found))
    checks += run("WAF on the ALB", lambda: _waf(clients, found))
    checks += run("flow logs", lambda: _flow_logs(clients, found))
    checks += run("log groups", lambda: _log_groups(clients, config, found))
    checks += run("alarms", lambda: _alarms(clients, found["observability"]["AlarmNames"].split(",")))
    checks += run("dashboard", lambda: _dashboard(clients, found))
    if not config.is_standby:  # one secret value, replicated by the operator to the standby's (RUNBOOK)
        security_outputs = _security(clients, config, found)
        if "ProcessorSecretArn" in security_outputs:
            checks += run("processor credentials current", lambda: processor_credentials(
                clients.secretsmanager, security_outputs["ProcessorSecretArn"]))  # fmt: skip
        else:
            checks.append(failed("processor credentials current", "the Security stack has no output "
                                 "ProcessorSecretArn: deploy it"))  # fmt: skip
    checks += run(governance.COVERAGE, lambda: governance.task_coverage(
        clients.guardduty, found["compute"]["ClusterName"], config.region))  # fmt: skip
    checks += _delivered(clients, config, found, pause)
    if page_test:  # pages whoever is on call: only when asked
        page, signal = found["observability"]["AlarmNames"].split(",")[:2]
        checks += run("page reaches a subscriber", lambda: delivery.alarm_reaches_subscriber(
            clients.cloudwatch, clients.sns, clients.sqs, signal, found["observability"]["PagingTopicArn"],
            notifies=page, name="page reaches a subscriber", sleep=pause))  # fmt: skip
    if route53_health is not None and "RegionHealthCheckId" in found["compute"]:
        checks += run("Route 53 health checks", lambda: _route53(route53_health, config, found["compute"]))
    checks += run("archive locked", lambda: archive_locked(clients, config, security=_security(clients, config, found)))
    if config.standby_region and standby_s3 is not None:
        checks += run("canary replicated", lambda: canary_replicated(
            clients, standby_s3, config, pause, security=_security(clients, config, found)))  # fmt: skip
        checks += run("replicas locked", lambda: replicas_locked(standby_s3, config))
    return checks


# What S3 answers GetObjectRetention for an object that has no retention.
NO_RETENTION = {"NoSuchObjectLockConfiguration", "ObjectLockConfigurationNotFoundError"}


def _delivered(
    clients: Clients, config: EnvironmentConfig, found: dict[str, Any], pause: Callable[[float], None]
) -> list[Check]:
    """The delivery paths, live: records where their writers put them, an alarm's notification at a subscriber."""
    security = _security(clients, config, found)
    account, region = str(config.account), config.region
    checks = run("flow-log objects", lambda: delivery.flow_log_objects(
        clients.s3, security["FlowLogBucketName"], account, region, sleep=pause))  # fmt: skip
    checks += run("ALB access-log objects", lambda: delivery.alb_log_objects(
        clients.s3, security["AlbLogBucketName"], account, region, sleep=pause))  # fmt: skip
    checks += run("WAF log events", lambda: delivery.waf_log_events(clients.logs, config.names.waf_log_group))
    checks += run("archive stream delivers", lambda: delivery.archive_stream_delivers(
        clients.cloudwatch, security["LogArchiveStreamName"]))  # fmt: skip
    observability = found["observability"]
    checks += run("alarm reaches a subscriber", lambda: delivery.alarm_reaches_subscriber(
        clients.cloudwatch, clients.sns, clients.sqs, observability["CanaryAlarmName"],
        observability["WarningTopicArn"], sleep=pause))  # fmt: skip
    guard = ("ChangeGuardDeadLetterQueueUrl", "ChangeGuardRuleNames")
    if missing := [output for output in guard if output not in observability]:
        checks.append(failed("change warnings delivered", f"the Observability stack has no output "
                             f"{', '.join(missing)}: deploy it"))  # fmt: skip
    else:
        checks += run("change warnings delivered", lambda: delivery.change_warnings_delivered(
            clients.sqs, clients.cloudwatch, observability["ChangeGuardDeadLetterQueueUrl"],
            observability["ChangeGuardRuleNames"].split(",")))  # fmt: skip
    return checks


def retention_of(s3: Any, bucket: str, key: str, version: str | None = None) -> str:
    """The object's Object Lock retention ("MODE until DATE"), "" when it has none. Any other refusal (AccessDenied:
    the caller may not read retentions) is raised, so that it is reported as itself, not as an unlocked object."""
    extra = {"VersionId": version} if version else {}
    try:
        retention = s3.get_object_retention(Bucket=bucket, Key=key, **extra)["Retention"]
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in NO_RETENTION:
            return ""
        raise
    return f"{retention['Mode']} until {retention['RetainUntilDate']:%Y-%m-%d}"


def archived_on(day: date) -> str:
    """The prefix Firehose writes a day's archived records under (components/log_archive.py)."""
    return f"logs/{day:%Y/%m/%d}/"


def archive_locked(
    clients: Clients,
    config: EnvironmentConfig,
    today: date | None = None,
    security: Mapping[str, str] | None = None,
) -> Check:
    """Today's (or yesterday's) newest archived record carries the log archive's Object Lock retention: Firehose's
    writes reach a bucket with a default retention, and S3 applies it (docs/RUNBOOK.md, the archive under Object
    Lock). The newest: records archived before the lock was enabled keep none. `security`: the Security stack's
    outputs, when already read."""
    security = security if security is not None else outputs(clients, config.names.stack("Security"))
    bucket = security["LogArchiveBucketName"]
    today = today or datetime.now(UTC).date()
    key = delivery.newest_of_days(clients.s3, bucket, archived_on, today)
    if key is not None:
        lock = retention_of(clients.s3, bucket, key)
        if not lock:
            return failed("archive locked", f"no Object Lock retention on {key} in {bucket}")
        return passed("archive locked", f"{bucket}/{key} {lock}")
    return warned(
        "archive locked", f"nothing archived in {bucket} today or yesterday; Firehose delivers every 5 minutes"
    )


# The Security stack's output naming each audit bucket that replicates to the standby region.
SOURCE_BUCKET_OUTPUTS = {
    "flow-logs": "FlowLogBucketName",
    "alb-logs": "AlbLogBucketName",
    "log-archive": "LogArchiveBucketName",
    "access-logs": "AccessLogBucketName",
}


def canary_replicated(
    clients: Clients,
    standby_s3: Any,
    config: EnvironmentConfig,
    pause: Callable[[float], None] = time.sleep,
    security: Mapping[str, str] | None = None,
) -> Check:
    """A canary object written into each replicating audit bucket arrives in its standby replica
    (`delivery.canary_replicated`). `security`: the Security stack's outputs, when already read."""
    security = security if security is not None else outputs(clients, config.names.stack("Security"))
    missing = [output for output in SOURCE_BUCKET_OUTPUTS.values() if output not in security]
    if missing:
        return failed("canary replicated", f"the Security stack has no output {', '.join(missing)}: deploy it")
    account, standby = str(config.account), str(config.standby_region)
    return delivery.canary_replicated(
        clients.s3,
        standby_s3,
        {kind: security[output] for kind, output in SOURCE_BUCKET_OUTPUTS.items()},
        lambda kind: config.names.replica_bucket(kind, account, standby),
        sleep=pause,
    )


def replicas_locked(s3: Any, config: EnvironmentConfig) -> Check:
    """The first object listed in each of the standby's replica buckets carries an Object Lock retention. S3's guide
    says a replica takes its source object's lock settings, and only the archive's sources have one; this settles
    it per account."""
    locked, unlocked, empty = [], [], []
    standby = str(config.standby_region)
    for kind in REPLICATED_BUCKETS:
        bucket = config.names.replica_bucket(kind, str(config.account), standby)
        versions = s3.list_object_versions(Bucket=bucket, MaxKeys=1).get("Versions", [])
        if not versions:
            empty.append(bucket)
        elif lock := retention_of(s3, bucket, versions[0]["Key"], versions[0]["VersionId"]):
            locked.append(f"{bucket} {lock}")
        else:
            unlocked.append(bucket)
    if unlocked:
        return failed(
            "replicas locked",
            f"no Object Lock retention on the replicas in {', '.join(unlocked)}: the bucket policy is their only "
            "protection (docs/RUNBOOK.md, after the first deploy with a standby region)",
        )
    if empty:
        return warned("replicas locked", f"nothing replicated yet into {', '.join(empty)}; run again later")
    return passed("replicas locked", "; ".join(locked))


def _security(clients: Clients, config: EnvironmentConfig, found: dict[str, Any]) -> dict[str, str]:
    """The Security stack's outputs, read once per verify (several checks need them)."""
    if "security" not in found:
        found["security"] = outputs(clients, config.names.stack("Security"))
    security: dict[str, str] = found["security"]
    return security


def _outputs(clients: Clients, config: EnvironmentConfig, found: dict[str, Any]) -> Check:
    found["compute"] = outputs(clients, config.names.stack("Compute"))
    found["observability"] = outputs(clients, config.names.stack("Observability"))
    missing = [key for key in ("ServiceUrl", "ClusterName", "ServiceName") if key not in found["compute"]]
    missing += [key for key in ("DashboardUrl", "AlarmNames") if key not in found["observability"]]
    if missing:
        return failed("stack outputs", f"missing outputs {missing}")
    return passed("stack outputs", found["compute"]["ServiceUrl"])


def _route53(health: Any, config: EnvironmentConfig, compute: dict[str, str]) -> Check:
    """The region's health check (its healthy targets) and, in the primary, the preference the record follows:
    healthy, as Route 53 reports them (`ops.failover.HealthChecks`). An idle pilot-light standby is unhealthy by
    design: no target."""
    checks = {"region": compute["RegionHealthCheckId"]}
    if "PreferenceHealthCheckId" in compute:
        checks["preference"] = compute["PreferenceHealthCheckId"]
    unhealthy = [f"{role} {check}" for role, check in checks.items() if not health.healthy(check)]
    if unhealthy and config.runs_idle:
        return warned("Route 53 health checks", f"unhealthy by design while idle (no target): {', '.join(unhealthy)}")
    if unhealthy:
        return failed("Route 53 health checks", f"unhealthy: {', '.join(unhealthy)}")
    return passed("Route 53 health checks", f"healthy: {', '.join(checks.values())}")


def _refuses_anonymous(get: HttpGet, url: str) -> Check:
    result = get(f"{url}/health", None)
    if result.status:
        return failed("HTTPS refuses clients without a certificate", f"answered {result.status} without one")
    return passed("HTTPS refuses clients without a certificate", f"refused ({result.refused})")


def _health(get: HttpGet, url: str, certificate: ClientCertificate | None) -> Check:
    result = get(f"{url}/health", certificate)
    if result.refused:
        return failed("HTTPS /health", f"refused: {result.refused}")
    if result.status != 200:
        return failed("HTTPS /health", f"answered {result.status}")
    if result.milliseconds >= LATENCY_OBJECTIVE_MS:
        return failed("HTTPS /health", f"200 in {result.milliseconds:.0f} ms, objective {LATENCY_OBJECTIVE_MS} ms")
    return passed("HTTPS /health", f"200 in {result.milliseconds:.0f} ms")


def _redirect(get: HttpGet, url: str) -> Check:
    result = get(f"http://{urlparse(url).netloc}/health", None)
    if result.status not in (301, 308) or not result.location.startswith("https://"):
        return failed("HTTP redirects to HTTPS", f"answered {result.status} {result.location!r}")
    return passed("HTTP redirects to HTTPS", f"{result.status} to {result.location}")


def _service(clients: Clients, found: dict[str, Any]) -> Check:
    compute = found["compute"]
    (service,) = clients.ecs.describe_services(cluster=compute["ClusterName"], services=[compute["ServiceName"]])[
        "services"
    ]
    found["service"] = service
    running, desired = service["runningCount"], service["desiredCount"]
    if running != desired:
        return failed("tasks running", f"{running} running, {desired} desired")
    return passed("tasks running", f"{running} of {desired}")


def _targets(clients: Clients, found: dict[str, Any]) -> Check:
    service = found["service"]
    group = service["loadBalancers"][0]["targetGroupArn"]
    (target_group,) = clients.elbv2.describe_target_groups(TargetGroupArns=[group])["TargetGroups"]
    found["load_balancer_arn"] = target_group["LoadBalancerArns"][0]
    states = [
        d["TargetHealth"]["State"]
        for d in clients.elbv2.describe_target_health(TargetGroupArn=group)["TargetHealthDescriptions"]
    ]
    healthy = states.count("healthy")
    if healthy < service["desiredCount"] or healthy != len(states):
        return failed("targets healthy", f"{healthy} of {len(states)} healthy ({', '.join(states) or 'none'})")
    return passed("targets healthy", f"{healthy} healthy")


def _waf(clients: Clients, found: dict[str, Any]) -> Check:
    acl = clients.wafv2.get_web_acl_for_resource(ResourceArn=found["load_balancer_arn"]).get("WebACL")
    if not acl:
        return failed("WAF on the ALB", "no web ACL associated")
    return passed("WAF on the ALB", acl["Name"])


def _flow_logs(clients: Clients, found: dict[str, Any]) -> Check:
    (balancer,) = clients.elbv2.describe_load_balancers(LoadBalancerArns=[found["load_balancer_arn"]])["LoadBalancers"]
    logs = clients.ec2.describe_flow_logs(Filters=[{"Name": "resource-id", "Values": [balancer["VpcId"]]}])["FlowLogs"]
    active = [f for f in logs if f.get("FlowLogStatus") == "ACTIVE" and f.get("TrafficType") == "ALL"]
    if not active:
        return failed("flow logs", f"no active ALL-traffic flow log on {balancer['VpcId']}")
    return passed("flow logs", f"{active[0]['FlowLogId']} to {active[0].get('LogDestination', '?')}")


def _log_groups(clients: Clients, config: EnvironmentConfig, found: dict[str, Any]) -> Check:
    task = clients.ecs.describe_task_definition(taskDefinition=found["service"]["taskDefinition"])["taskDefinition"]
    app_group = task["containerDefinitions"][0]["logConfiguration"]["options"]["awslogs-group"]
    problems = []
    for name in (app_group, config.names.waf_log_group):
        groups = [
            g
            for g in clients.logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"]
            if g["logGroupName"] == name
        ]
        if not groups:
            problems.append(f"{name} missing")
        elif not groups[0].get("kmsKeyId"):
            problems.append(f"{name} not KMS-encrypted")
        elif groups[0].get("retentionInDays") != config.retention.log_retention_days:
            problems.append(
                f"{name} kept {groups[0].get('retentionInDays')} days, not {config.retention.log_retention_days}"
            )
    if problems:
        return failed("log groups", "; ".join(problems))
    return passed("log groups", f"2 groups KMS-encrypted, {config.retention.log_retention_days} days")


def _alarms(clients: Clients, names: list[str]) -> Check:
    """Every alarm the Observability stack made (its AlarmNames output, the paging composite first) exists and
    none is in ALARM."""
    alarms = []
    for start in range(0, len(names), ALARM_NAMES_PER_CALL):
        response = clients.cloudwatch.describe_alarms(
            AlarmNames=names[start : start + ALARM_NAMES_PER_CALL], AlarmTypes=["MetricAlarm", "CompositeAlarm"]
        )
        alarms += response.get("MetricAlarms", []) + response.get("CompositeAlarms", [])
    found = {alarm["AlarmName"] for alarm in alarms}
    missing = [name for name in names if name not in found]
    if missing:
        return failed("alarms", f"{len(found)} of {len(names)} alarms exist; missing: {', '.join(missing)}")
    firing = sorted(alarm["AlarmName"] for alarm in alarms if alarm["StateValue"] == "ALARM")
    if firing:
        return failed("alarms", f"in ALARM: {', '.join(firing)}")
    return passed("alarms", f"{len(names)} alarms, the page ({names[0]}) among them, none in ALARM")


def _dashboard(clients: Clients, found: dict[str, Any]) -> Check:
    name = found["observability"]["DashboardUrl"].split("#dashboards:name=", 1)[1]
    clients.cloudwatch.get_dashboard(DashboardName=name)
    return passed("dashboard", name)
