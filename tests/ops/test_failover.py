"""ops/failover.py against moto (ECS, ELBv2, Application Auto Scaling, Route 53, CloudFormation outputs) in two
regions: failover scales the standby up, waits for it, and only then makes Route 53 prefer it; failback gives
the name back and idles the standby; a standby that is not ready is refused, and each step can be run again."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.exceptions import EndpointConnectionError

from components.service_dns import SERVES, STEPS_ASIDE
from ops.checks import FAIL, PASS, WARN, Check
from ops.commands import failover_command
from ops.failover import Deployed, HealthChecks, RegionClients, Timer, drill_failover, failback, failover
from settings import DisasterRecoverySettings, EnvironmentConfig, StandbyMode
from tests.support.aws import dev_config

PRIMARY, STANDBY = "us-east-1", "us-west-2"


def config(mode: StandbyMode = StandbyMode.PILOT_LIGHT) -> EnvironmentConfig:
    base = dev_config()
    return replace(
        base,
        disaster_recovery=DisasterRecoverySettings(standby_region=STANDBY, standby_mode=mode),
        standby_availability_zones=(f"{STANDBY}a", f"{STANDBY}b"),
    )


@dataclass
class Region:
    name: str
    deployed: Deployed
    target_group: str
    health_check: str


class Clock:
    """A clock that advances by each sleep; `on_sleep` plays what AWS does meanwhile (tasks start)."""

    def __init__(self, on_sleep: Any = None) -> None:
        self.now, self.sleeps, self.on_sleep = 0.0, 0, on_sleep

    def sleep(self, seconds: float) -> None:
        self.now += seconds
        self.sleeps += 1
        if self.on_sleep:
            self.on_sleep(self.sleeps)

    def timer(self) -> Timer:
        return Timer(clock=lambda: self.now, sleep=self.sleep, progress=io.StringIO())


def deploy_region(
    session: boto3.Session, name: str, env: EnvironmentConfig, *, desired: int, preference: str | None
) -> Region:
    """One region's Compute stack as failover reads it: cluster, service, target group, scalable target, the
    region's health check (and the primary's preference), and the stack outputs naming them."""
    ec2, elbv2, ecs = (session.client(s, region_name=name) for s in ("ec2", "elbv2", "ecs"))
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    group = elbv2.create_target_group(Name="payments", Protocol="HTTPS", Port=8443, VpcId=vpc, TargetType="ip")
    group_arn = group["TargetGroups"][0]["TargetGroupArn"]
    ecs.create_cluster(clusterName="payments")
    ecs.register_task_definition(
        family="payments", containerDefinitions=[{"name": "App", "image": "app", "memory": 512}]
    )
    ecs.create_service(cluster="payments", serviceName="payments", taskDefinition="payments", desiredCount=desired)
    session.client("application-autoscaling", region_name=name).register_scalable_target(
        ServiceNamespace="ecs", ResourceId="service/payments/payments", ScalableDimension="ecs:service:DesiredCount",
        MinCapacity=desired, MaxCapacity=env.compute.max_tasks,
    )  # fmt: skip
    outputs = {
        "ClusterName": "payments",
        "ServiceName": "payments",
        "TargetGroupArn": group_arn,
        "RegionHealthCheckId": health_check(session, name),
    }
    if preference:
        outputs["PreferenceHealthCheckId"] = preference
    template = {"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
                "Outputs": {key: {"Value": value} for key, value in outputs.items()}}  # fmt: skip
    cloudformation = session.client("cloudformation", region_name=name)
    cloudformation.create_stack(StackName=env.names.stack("Compute"), TemplateBody=json.dumps(template))
    return Region(
        name, Deployed.read(in_region(session, name), name, env.names), group_arn, outputs["RegionHealthCheckId"]
    )


def in_region(session: boto3.Session, name: str) -> RegionClients:
    """Clients of region `name` from the test's session, whose botocore session caches the service models (a
    session of its own would load them again)."""
    services = {f.name: RegionClients.SERVICES.get(f.name, f.name) for f in fields(RegionClients)}
    return RegionClients(**{field: session.client(service, region_name=name) for field, service in services.items()})


def health_check(session: boto3.Session, region: str) -> str:
    config_ = {"Type": "CLOUDWATCH_METRIC", "AlarmIdentifier": {"Region": region, "Name": f"no-healthy-{region}"},
               "InsufficientDataHealthStatus": "Unhealthy"}  # fmt: skip
    created = session.client("route53").create_health_check(CallerReference=region, HealthCheckConfig=config_)
    return str(created["HealthCheck"]["Id"])


def register(session: boto3.Session, region: Region, count: int) -> None:
    """ECS registers a started task's address with the target group; moto reports registered targets healthy."""
    targets = [{"Id": f"10.0.0.{n + 10}", "Port": 8443} for n in range(count)]
    session.client("elbv2", region_name=region.name).register_targets(
        TargetGroupArn=region.target_group, Targets=targets
    )


class Route53:
    """What Route 53 does meanwhile: every `poll`, it publishes each check's `HealthCheckStatus` (1 healthy, 0 not)
    to CloudWatch in us-east-1 at the run's simulated time. A calculated check with a threshold above its one child
    is unhealthy; the checks in `down` are unhealthy; the others healthy."""

    def __init__(self, session: boto3.Session, clock: Clock, down: set[str] | None = None) -> None:
        self.session, self.clock, self.down = session, clock, down or set()
        self.route53 = session.client("route53")
        self.cloudwatch = session.client("cloudwatch", region_name="us-east-1")
        self.start = datetime.now(UTC) - timedelta(hours=1)

    def now(self) -> datetime:
        return self.start + timedelta(seconds=self.clock.now)

    def publish(self) -> None:
        for check in self.route53.list_health_checks()["HealthChecks"]:
            stepped_aside = check["HealthCheckConfig"].get("HealthThreshold", SERVES) > SERVES
            healthy = not stepped_aside and check["Id"] not in self.down
            self.cloudwatch.put_metric_data(Namespace="AWS/Route53", MetricData=[{
                "MetricName": "HealthCheckStatus", "Dimensions": [{"Name": "HealthCheckId", "Value": check["Id"]}],
                "Timestamp": self.now(), "Value": 1 if healthy else 0}])  # fmt: skip

    def health(self) -> HealthChecks:
        self.publish()
        return HealthChecks(route53=self.route53, cloudwatch=self.cloudwatch, now=self.now)


@pytest.fixture
def regions(session: boto3.Session) -> tuple[EnvironmentConfig, Region, Region, str]:
    env = config()
    preference = session.client("route53").create_health_check(
        CallerReference="preference",
        HealthCheckConfig={"Type": "CALCULATED", "ChildHealthChecks": [], "HealthThreshold": SERVES},
    )["HealthCheck"]["Id"]
    primary = deploy_region(session, PRIMARY, env, desired=env.compute.min_tasks, preference=preference)
    register(session, primary, env.compute.min_tasks)
    standby = deploy_region(session, STANDBY, env, desired=0, preference=None)
    return env, primary, standby, preference


def threshold(session: boto3.Session, health_check_id: str) -> int:
    found = session.client("route53").get_health_check(HealthCheckId=health_check_id)["HealthCheck"]
    return int(found["HealthCheckConfig"]["HealthThreshold"])


def scaling(session: boto3.Session, region: Region) -> tuple[int, int]:
    (service,) = session.client("ecs", region_name=region.name).describe_services(
        cluster="payments", services=["payments"]
    )["services"]
    (target,) = session.client("application-autoscaling", region_name=region.name).describe_scalable_targets(
        ServiceNamespace="ecs"
    )["ScalableTargets"]
    return service["desiredCount"], target["MinCapacity"]


def names(checks: list[Check]) -> list[tuple[str, str]]:
    return [(check.name, check.status) for check in checks]


class Run:
    """One command's run: a clock that does not wait, Route 53 publishing statuses as it goes, and what else
    happens at each poll (`on_poll(polls)`: tasks come up)."""

    def __init__(self, session: boto3.Session, down: set[str] | None = None, on_poll: Any = None) -> None:
        self.clock = Clock(on_sleep=self._poll)
        self.route53 = Route53(session, self.clock, down)
        self.on_poll = on_poll

    def _poll(self, polls: int) -> None:
        if self.on_poll:
            self.on_poll(polls)
        self.route53.publish()

    def failover(self, regions: tuple[EnvironmentConfig, Region, Region, str], timeout: float = 300) -> list[Check]:
        env, primary, standby, _ = regions
        return failover(env, primary.deployed, standby.deployed, self.route53.health(), timer=self.clock.timer(),
                        timeout=timeout)  # fmt: skip

    def failback(self, regions: tuple[EnvironmentConfig, Region, Region, str], timeout: float = 300) -> list[Check]:
        env, primary, standby, _ = regions
        return failback(env, primary.deployed, standby.deployed, self.route53.health(), timer=self.clock.timer(),
                        timeout=timeout)  # fmt: skip


def test_failover_scales_the_standby_waits_for_it_then_moves_the_name_and_failback_returns_it(
    session: boto3.Session, regions: tuple[EnvironmentConfig, Region, Region, str]
) -> None:
    env, _, standby, preference = regions
    minimum = env.compute.min_tasks
    # The standby's tasks come up a few polls after it is scaled: until then failover must not move the name.
    run = Run(session, on_poll=lambda polls: register(session, standby, minimum) if polls == 3 else None)
    checks = run.failover(regions)
    assert names(checks) == [
        ("standby ready", PASS), ("scale the standby", PASS), ("standby targets healthy", PASS),
        ("standby health check", PASS), ("Route 53 prefers the standby", PASS), ("time to fail over", PASS),
    ]  # fmt: skip
    assert scaling(session, standby) == (minimum, minimum)
    assert threshold(session, preference) == STEPS_ASIDE
    assert checks[-1].reason.startswith("45 s until the standby was healthy and the primary stepped aside")

    checks = Run(session).failback(regions)
    assert names(checks) == [
        ("primary ready", PASS), ("Route 53 prefers the primary", PASS), ("primary serves", PASS),
        ("clients moved", PASS), ("standby back to pilot-light", PASS), ("time to fail back", PASS),
    ]  # fmt: skip
    assert threshold(session, preference) == SERVES
    assert scaling(session, standby) == (0, 0)
    # Route 53 reported the primary stepped aside until the minute after the threshold went back; then the TTL.
    assert 90 < float(checks[-1].reason.split(" s")[0]) <= 90 + 120


def test_failover_refuses_to_move_the_name_to_a_standby_whose_tasks_never_get_healthy(
    session: boto3.Session, regions: tuple[EnvironmentConfig, Region, Region, str]
) -> None:
    env, _, _, preference = regions
    checks = Run(session).failover(regions, timeout=120)
    assert names(checks)[-1] == ("standby targets healthy", FAIL)
    assert checks[-1].reason == f"0 of {env.compute.min_tasks} healthy after 120 s"
    assert threshold(session, preference) == SERVES  # the name stays with the primary


def test_failover_refuses_while_route53_sees_the_standby_unhealthy(
    session: boto3.Session, regions: tuple[EnvironmentConfig, Region, Region, str]
) -> None:
    env, _, standby, preference = regions
    register(session, standby, env.compute.min_tasks)
    checks = Run(session, down={standby.health_check}).failover(regions, timeout=60)
    assert names(checks)[-1] == ("standby health check", FAIL)
    assert threshold(session, preference) == SERVES


def test_a_partial_failover_is_finished_by_running_it_again(
    session: boto3.Session, regions: tuple[EnvironmentConfig, Region, Region, str]
) -> None:
    env, _, standby, preference = regions
    first = Run(session).failover(regions, timeout=30)
    assert names(first)[-1] == ("standby targets healthy", FAIL)
    register(session, standby, env.compute.min_tasks)
    again = Run(session).failover(regions, timeout=30)
    assert all(check.status == PASS for check in again), names(again)
    assert scaling(session, standby) == (env.compute.min_tasks, env.compute.min_tasks)
    assert threshold(session, preference) == STEPS_ASIDE
    twice = Run(session).failover(regions, timeout=30)
    assert all(check.status == PASS for check in twice), names(twice)


def test_failover_refuses_a_standby_that_is_not_deployed(session: boto3.Session) -> None:
    env = config()
    primary = deploy_region(session, PRIMARY, env, desired=1, preference="pref")
    standby = Region(STANDBY, Deployed(in_region(session, STANDBY), STANDBY, {}), "", "")
    checks = Run(session).failover((env, primary, standby, "pref"))
    assert names(checks) == [("standby ready", FAIL)]
    assert "stack outputs missing" in checks[0].reason


def test_failback_refuses_until_the_primary_serves_again(
    session: boto3.Session, regions: tuple[EnvironmentConfig, Region, Region, str]
) -> None:
    _, primary, _, preference = regions
    session.client("route53").update_health_check(HealthCheckId=preference, HealthThreshold=STEPS_ASIDE)
    checks = Run(session, down={primary.health_check}).failback(regions)
    assert names(checks) == [("primary ready", FAIL)]
    assert threshold(session, preference) == STEPS_ASIDE


@pytest.mark.parametrize(("mode", "idle"), [(StandbyMode.WARM, (2, 2)), (StandbyMode.HOT, None)])
def test_failback_returns_the_standby_to_what_its_mode_runs(
    session: boto3.Session, mode: StandbyMode, idle: tuple[int, int] | None
) -> None:
    env = config(mode)
    preference = session.client("route53").create_health_check(
        CallerReference="p", HealthCheckConfig={"Type": "CALCULATED", "ChildHealthChecks": [], "HealthThreshold": 2}
    )["HealthCheck"]["Id"]
    primary = deploy_region(session, PRIMARY, env, desired=env.compute.min_tasks, preference=preference)
    register(session, primary, env.compute.min_tasks)
    standby = deploy_region(session, STANDBY, env, desired=env.compute.max_tasks, preference=None)
    checks = Run(session).failback((env, primary, standby, preference))
    assert all(check.status == PASS for check in checks), names(checks)
    assert scaling(session, standby) == (idle or (env.compute.desired_tasks, env.compute.min_tasks))


def replication_latency(session: boto3.Session, env: EnvironmentConfig, seconds: float | None) -> None:
    """What S3 Replication Time Control publishes in the primary region for the archive's rule (none: nothing)."""
    if seconds is None:
        return
    replica = env.names.replica_bucket("log-archive", str(env.account), STANDBY)
    session.client("cloudwatch", region_name=PRIMARY).put_metric_data(Namespace="AWS/S3", MetricData=[{
        "MetricName": "ReplicationLatency", "Value": seconds, "Timestamp": datetime.now(UTC) - timedelta(minutes=10),
        "Dimensions": [{"Name": "SourceBucket", "Value": "archive-source"},
                       {"Name": "DestinationBucket", "Value": replica}, {"Name": "RuleId", "Value": "ToStandby"}],
    }])  # fmt: skip


@pytest.mark.parametrize(("latency", "expected"), [(42.0, PASS), (None, WARN), (1800.0, FAIL)])
def test_the_dr_drill_fails_over_measures_the_replication_lag_and_fails_back(
    session: boto3.Session, regions: tuple[EnvironmentConfig, Region, Region, str], latency: float | None, expected: str
) -> None:
    env, primary, standby, preference = regions
    register(session, standby, env.compute.min_tasks)
    replication_latency(session, env, latency)
    run = Run(session)
    checks = drill_failover(
        env, primary.deployed, standby.deployed, run.route53.health(),
        session.client("cloudwatch", region_name=PRIMARY), timer=run.clock.timer(), timeout=300,
    )  # fmt: skip
    by_name = {check.name: check for check in checks}
    assert by_name["failover: time to fail over"].status == by_name["failback: time to fail back"].status == PASS
    assert by_name["audit-trail replication lag"].status == expected
    if latency == 42.0:
        assert by_name["audit-trail replication lag"].reason.startswith("at most 42 s in the last hour")
    assert threshold(session, preference) == SERVES  # the name is back with the primary
    assert scaling(session, standby) == (0, 0)


def test_the_dr_drill_stops_before_failback_when_failover_fails(
    session: boto3.Session, regions: tuple[EnvironmentConfig, Region, Region, str]
) -> None:
    env, primary, standby, preference = regions
    run = Run(session)
    checks = drill_failover(
        env, primary.deployed, standby.deployed, run.route53.health(),
        session.client("cloudwatch", region_name=PRIMARY), timer=run.clock.timer(), timeout=30,
    )  # fmt: skip
    assert checks[-1].name == "failover: standby targets healthy"
    assert checks[-1].status == FAIL
    assert threshold(session, preference) == SERVES


class Unreachable:
    """Route 53's control plane and CloudWatch in us-east-1 during an outage there: every call fails."""

    def __getattr__(self, name: str) -> Any:
        def refuse(**_: Any) -> Any:
            raise EndpointConnectionError(endpoint_url="https://route53.amazonaws.com")

        return refuse


def test_failover_moves_the_standby_into_service_when_the_primary_region_does_not_answer(
    session: boto3.Session, regions: tuple[EnvironmentConfig, Region, Region, str]
) -> None:
    """In an outage of us-east-1 the standby steps all work; the Route 53 steps warn, and say that Route 53's data
    plane answers with the healthy standby while the primary's own check fails."""
    env, _, standby, _ = regions
    register(session, standby, env.compute.min_tasks)
    run = Run(session)
    unreachable = HealthChecks(route53=Unreachable(), cloudwatch=Unreachable())
    checks = failover(env, "payments-dev-Compute in us-east-1: Could not connect", standby.deployed, unreachable,
                      timer=run.clock.timer())  # fmt: skip
    assert names(checks) == [
        ("standby ready", PASS), ("scale the standby", PASS), ("standby targets healthy", PASS),
        ("standby health check", WARN), ("Route 53 prefers the standby", WARN), ("time to fail over", PASS),
    ]  # fmt: skip
    assert "Route 53 answers with the standby while the primary's own health check fails" in checks[4].reason
    assert scaling(session, standby) == (env.compute.min_tasks, env.compute.min_tasks)


def test_a_standby_that_is_not_deployed_is_a_failed_check_not_a_traceback(
    session: boto3.Session, capsys: pytest.CaptureFixture[str]
) -> None:
    assert failover_command("prod", {}, back=False, timeout=1) == 1
    out = capsys.readouterr().out
    assert "standby ready" in out
    assert "payments-prod-Compute in us-west-2: " in out
    assert "does not exist" in out
