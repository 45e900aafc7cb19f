"""Fail the service over to the standby region, and back.

`failover`: refuse unless the standby is deployed and its service exists; scale it to the primary's minimum
(on demand: its capacity-provider base is that minimum); wait for as many healthy targets and for the standby's
Route 53 health check to pass; then step the primary aside (its PRIMARY record's CALCULATED check gets a
threshold above its one child, so Route 53 answers with the standby even once the primary recovers). Up to a
healthy standby only the standby region's APIs are used; the Route 53 steps need its control plane and CloudWatch
in us-east-1, and warn instead of failing when those do not answer, since Route 53's data plane answers with the
healthy standby while the primary's own check fails. `failback`: refuse unless the primary serves again; let the
primary take the name back; wait until Route 53 sees it healthy and cached answers expire; return the standby to
what its mode runs. Every step prints its elapsed time; each is safe to repeat, so a partial run is finished by
running the command again.
"""

from __future__ import annotations

import dataclasses
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, TextIO

from botocore.exceptions import BotoCoreError, ClientError

from components.audit_bucket import REPLICATION_RULE_ID
from components.service_dns import SERVES, STEPS_ASIDE
from ops.checks import Check, failed, passed, warned
from ops.clients import ClientSet
from settings import EnvironmentConfig
from settings.naming import REPLICATED_BUCKETS, PhysicalNames

DEFAULT_TIMEOUT_SECONDS = 900
# S3 Replication Time Control's objective (components/audit_bucket.py): 99.99 % of objects within 15 minutes.
REPLICATION_TIME_SECONDS = 15 * 60
POLL_SECONDS = 15
# The alias record of a load balancer answers with the load balancer's own TTL.
ALIAS_TTL_SECONDS = 60
CLIENTS_MOVE_SECONDS = ALIAS_TTL_SECONDS + 30


@dataclass
class RegionClients(ClientSet):
    """The clients failover reads and changes one region with."""

    SERVICES: ClassVar[dict[str, str]] = {"autoscaling": "application-autoscaling"}

    cloudformation: Any
    ecs: Any
    elbv2: Any
    autoscaling: Any


@dataclass
class Timer:
    """Elapsed time of a run, and how it waits; tests pass a clock and a sleep that do not wait."""

    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    progress: TextIO = field(default_factory=lambda: sys.stderr)
    started: float = 0.0

    def start(self) -> None:
        self.started = self.clock()

    @property
    def elapsed(self) -> float:
        return self.clock() - self.started

    def step(self, check: Check) -> Check:
        print(f"  [{self.elapsed:6.0f} s] {check.name}: {check.status} {check.reason}", file=self.progress, flush=True)
        return check

    def wait(self, until: Callable[[], str | None], timeout: float, poll: float = POLL_SECONDS) -> str | None:
        """Poll `until` (None when done, else what is still missing) for at most `timeout` seconds."""
        deadline = self.clock() + timeout
        missing = until()
        while missing is not None and self.clock() < deadline:
            self.sleep(poll)
            missing = until()
        return missing


@dataclass(frozen=True)
class Deployed:
    """One region's service as its Compute stack's outputs name it."""

    clients: RegionClients
    region: str
    outputs: dict[str, str]

    @classmethod
    def read(cls, clients: RegionClients, region: str, names: PhysicalNames) -> Deployed:
        (stack,) = clients.cloudformation.describe_stacks(StackName=names.stack("Compute"))["Stacks"]
        outputs = {output["OutputKey"]: output["OutputValue"] for output in stack.get("Outputs", [])}
        return cls(clients, region, outputs)

    def service(self) -> dict[str, Any] | None:
        services = self.clients.ecs.describe_services(
            cluster=self.outputs["ClusterName"], services=[self.outputs["ServiceName"]]
        )["services"]
        active = [s for s in services if s.get("status") == "ACTIVE"]
        return active[0] if active else None

    def healthy_targets(self) -> int:
        described = self.clients.elbv2.describe_target_health(TargetGroupArn=self.outputs["TargetGroupArn"])
        return sum(d["TargetHealth"]["State"] == "healthy" for d in described["TargetHealthDescriptions"])

    def scale(self, *, desired: int, minimum: int, maximum: int) -> None:
        """The service's desired count and its autoscaling range (the range first: autoscaling would undo a
        desired count outside it)."""
        cluster, name = self.outputs["ClusterName"], self.outputs["ServiceName"]
        self.clients.autoscaling.register_scalable_target(
            ServiceNamespace="ecs",
            ResourceId=f"service/{cluster}/{name}",
            ScalableDimension="ecs:service:DesiredCount",
            MinCapacity=minimum,
            MaxCapacity=maximum,
        )
        self.clients.ecs.update_service(cluster=cluster, service=name, desiredCount=desired)


@dataclass(frozen=True)
class HealthChecks:
    """Route 53 health checks as failover reads and sets them. Status comes from the `HealthCheckStatus` metric
    Route 53 publishes to CloudWatch in us-east-1 for every kind of check, calculated ones included (1 healthy,
    0 unhealthy); GetHealthCheckStatus does not answer for calculated checks and is meant for diagnosis only."""

    route53: Any
    # A CloudWatch client in us-east-1, where Route 53 publishes its metrics.
    cloudwatch: Any
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    def healthy(self, health_check_id: str) -> bool:
        end = self.now()
        datapoints = self.cloudwatch.get_metric_statistics(
            Namespace="AWS/Route53",
            MetricName="HealthCheckStatus",
            Dimensions=[{"Name": "HealthCheckId", "Value": health_check_id}],
            # Route 53 publishes with a delay: ten minutes back, through the current minute; the newest decides.
            StartTime=end - timedelta(minutes=10),
            EndTime=end + timedelta(minutes=1),
            Period=60,
            Statistics=["Minimum"],
        )["Datapoints"]
        latest = max(datapoints, key=lambda d: d["Timestamp"], default=None)
        return latest is not None and latest["Minimum"] >= 1

    def set_threshold(self, health_check_id: str, threshold: int) -> None:
        self.route53.update_health_check(HealthCheckId=health_check_id, HealthThreshold=threshold)


def _missing_outputs(deployed: Deployed, keys: tuple[str, ...]) -> list[str]:
    return [key for key in keys if key not in deployed.outputs]


SERVICE_OUTPUTS = ("ClusterName", "ServiceName", "TargetGroupArn", "RegionHealthCheckId")


def failover(
    config: EnvironmentConfig,
    primary: Deployed | str,
    standby: Deployed,
    health: HealthChecks,
    *,
    timer: Timer | None = None,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
) -> list[Check]:
    """Move the service name to the standby region; stop at the first standby step that cannot complete.

    `primary`: the primary's deployment, or why it could not be read. Everything up to a healthy standby uses the
    standby region's APIs only. Reading Route 53's verdict and stepping the primary aside use Route 53's control
    plane and CloudWatch in us-east-1: when those do not answer (an outage there), they are warnings, because Route
    53's data plane already answers with the healthy standby while the primary's own health check fails.
    """
    timer = timer or Timer()
    timer.start()
    compute = config.compute
    missing = _missing_outputs(standby, SERVICE_OUTPUTS)
    if missing:
        return [timer.step(failed("standby ready", f"stack outputs missing: {missing}; deploy both regions first"))]
    service = standby.service()
    if service is None:
        return [timer.step(failed("standby ready", f"no active service {standby.outputs['ServiceName']}"))]
    checks = [timer.step(passed("standby ready", f"{standby.outputs['ServiceName']} in {standby.region}"))]
    desired = max(service["desiredCount"], compute.min_tasks)
    standby.scale(desired=desired, minimum=compute.min_tasks, maximum=compute.max_tasks)
    checks.append(
        timer.step(
            passed("scale the standby", f"desired {desired}, autoscaling {compute.min_tasks} to {compute.max_tasks}")
        )
    )

    def targets() -> str | None:
        healthy = standby.healthy_targets()
        return None if healthy >= compute.min_tasks else f"{healthy} of {compute.min_tasks} healthy"

    still = timer.wait(targets, timeout)
    if still is not None:
        checks.append(timer.step(failed("standby targets healthy", f"{still} after {timer.elapsed:.0f} s")))
        return checks
    checks.append(timer.step(passed("standby targets healthy", f"{compute.min_tasks} healthy")))
    region_check = standby.outputs["RegionHealthCheckId"]
    try:
        still = timer.wait(lambda: None if health.healthy(region_check) else "unhealthy", timeout)
    except (ClientError, BotoCoreError) as error:
        checks.append(timer.step(warned("standby health check", f"Route 53's verdict unreadable ({error})")))
    else:
        if still is not None:
            checks.append(timer.step(failed("standby health check", f"{region_check} still {still}")))
            return checks
        checks.append(timer.step(passed("standby health check", f"{region_check} healthy")))
    checks.append(timer.step(_step_aside(primary, health)))
    checks.append(
        timer.step(
            passed(
                "time to fail over",
                f"{timer.elapsed:.0f} s until the standby was healthy and the primary stepped aside; Route 53 answers "
                f"with {standby.region} once its checkers see the change (about a minute), plus up to "
                f"{ALIAS_TTL_SECONDS} s of cached answers. Until failback, deploy only with "
                "`-c config.standby_mode=hot` (docs/RUNBOOK.md)",
            )
        )
    )
    return checks


def _step_aside(primary: Deployed | str, health: HealthChecks) -> Check:
    name = "Route 53 prefers the standby"
    fallback = (
        "Route 53 answers with the standby while the primary's own health check fails; run `ops failover` again "
        "once the primary region answers, to keep the name with the standby after the primary recovers"
    )
    if isinstance(primary, str) or "PreferenceHealthCheckId" not in primary.outputs:
        why = primary if isinstance(primary, str) else "no PreferenceHealthCheckId output"
        return warned(name, f"the primary could not be read ({why}); {fallback}")
    preference = primary.outputs["PreferenceHealthCheckId"]
    try:
        health.set_threshold(preference, STEPS_ASIDE)
    except (ClientError, BotoCoreError) as error:
        return warned(name, f"could not step {preference} aside ({error}); {fallback}")
    return passed(name, f"{preference} (primary) stepped aside: threshold 2")


def failback(
    config: EnvironmentConfig,
    primary: Deployed,
    standby: Deployed,
    health: HealthChecks,
    *,
    timer: Timer | None = None,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
) -> list[Check]:
    """Give the service name back to the primary region and return the standby to its mode's capacity."""
    timer = timer or Timer()
    timer.start()
    compute = config.compute
    missing = _missing_outputs(primary, (*SERVICE_OUTPUTS, "PreferenceHealthCheckId"))
    missing += _missing_outputs(standby, SERVICE_OUTPUTS)
    if missing:
        return [timer.step(failed("primary ready", f"stack outputs missing: {missing}"))]
    healthy = primary.healthy_targets()
    region_check = primary.outputs["RegionHealthCheckId"]
    verdict = health.healthy(region_check)
    if healthy < compute.min_tasks or not verdict:
        reason = (
            f"{healthy} of {compute.min_tasks} targets healthy, health check {region_check} "
            f"{'healthy' if verdict else 'unhealthy'}; restore the primary and run `make verify` first"
        )
        return [timer.step(failed("primary ready", reason))]
    checks = [timer.step(passed("primary ready", f"{healthy} targets healthy in {primary.region}"))]
    preference = primary.outputs["PreferenceHealthCheckId"]
    health.set_threshold(preference, SERVES)
    checks.append(timer.step(passed("Route 53 prefers the primary", f"{preference} serves: threshold 1")))
    still = timer.wait(lambda: None if health.healthy(preference) else "unhealthy", timeout)
    if still is not None:
        checks.append(timer.step(failed("primary serves", f"{preference} still {still}")))
        return checks
    checks.append(timer.step(passed("primary serves", f"{preference} healthy: Route 53 answers with the primary")))
    # Clients that resolved the name before keep calling the standby for up to the TTL: let them move first.
    timer.sleep(CLIENTS_MOVE_SECONDS)
    checks.append(timer.step(passed("clients moved", f"waited {CLIENTS_MOVE_SECONDS} s (the {ALIAS_TTL_SECONDS} s TTL "
                                                      "and a margin) before scaling the standby down")))  # fmt: skip
    idle = config.standby()
    standby.scale(desired=idle.compute.desired_tasks, minimum=idle.compute.min_tasks, maximum=idle.compute.max_tasks)
    mode = config.disaster_recovery.standby_mode.value
    checks.append(timer.step(passed(f"standby back to {mode}", f"desired {idle.compute.desired_tasks}")))
    checks.append(
        timer.step(
            passed("time to fail back", f"{timer.elapsed:.0f} s in all; the primary served from `primary serves` on")
        )
    )
    return checks


# The RPO of the audit trail only: the payment ledger is not replicated (README, disaster recovery).
AUDIT_LAG = "audit-trail replication lag"


def replication_lag(cloudwatch: Any, config: EnvironmentConfig, now: datetime | None = None) -> Check:
    """The RPO of the audit trail as S3 measured it: the longest `ReplicationLatency` of the last hour of each
    replication rule into the standby's replicas (S3 Replication Time Control metrics, in the primary region)."""
    now = now or datetime.now(UTC)
    account, standby = str(config.account), str(config.standby_region)
    replicas = {config.names.replica_bucket(kind, account, standby) for kind in REPLICATED_BUCKETS}
    listed = cloudwatch.list_metrics(
        Namespace="AWS/S3",
        MetricName="ReplicationLatency",
        Dimensions=[{"Name": "RuleId", "Value": REPLICATION_RULE_ID}],
    )["Metrics"]
    latest: dict[str, float] = {}
    for metric in listed:
        dimensions = {d["Name"]: d["Value"] for d in metric["Dimensions"]}
        if dimensions.get("DestinationBucket") not in replicas:
            continue
        datapoints = cloudwatch.get_metric_statistics(
            Namespace="AWS/S3", MetricName="ReplicationLatency", Dimensions=metric["Dimensions"],
            StartTime=now - timedelta(hours=1), EndTime=now, Period=300, Statistics=["Maximum"],
        )["Datapoints"]  # fmt: skip
        if datapoints:
            latest[dimensions["DestinationBucket"]] = max(d["Maximum"] for d in datapoints)
    if not latest:
        return warned(AUDIT_LAG, "S3 reported no replication latency in the last hour: nothing replicated")
    worst = max(latest, key=lambda bucket: latest[bucket])
    reason = f"at most {latest[worst]:.0f} s in the last hour ({worst}); {len(latest)} of {len(replicas)} replicas"
    if latest[worst] > REPLICATION_TIME_SECONDS:
        return failed(AUDIT_LAG, f"{reason}: beyond the {REPLICATION_TIME_SECONDS} s of S3 RTC")
    return passed(AUDIT_LAG, reason)


def drill_failover(
    config: EnvironmentConfig,
    primary: Deployed,
    standby: Deployed,
    health: HealthChecks,
    cloudwatch: Any,
    *,
    timer: Timer | None = None,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
) -> list[Check]:
    """Fail over, measure the audit trail's replication lag, fail back: the DR drill, with both RTOs and the RPO."""
    over = _prefixed(failover(config, primary, standby, health, timer=timer, timeout=timeout), "failover")
    if any(check.failed for check in over):
        return over
    lag = replication_lag(cloudwatch, config)
    back = _prefixed(failback(config, primary, standby, health, timer=timer, timeout=timeout), "failback")
    return [*over, lag, *back]


def _prefixed(checks: list[Check], prefix: str) -> list[Check]:
    return [dataclasses.replace(check, name=f"{prefix}: {check.name}") for check in checks]
