"""components/fargate_service.py: a hardened container, an on-demand base under Spot, tuned autoscaling, and a
service that starts only once its capacity providers and its egress exist."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager

from components.container_contract import CONTRACT, PROCESSOR_SECRET_VARIABLE, REFERENCE_HEALTH_CHECK
from components.endpoints import ServiceEndpoints
from components.fargate_service import (
    CPU_TARGET_PERCENT,
    MEMORY_TARGET_PERCENT,
    SCALE_IN_COOLDOWN,
    SCALE_OUT_COOLDOWN,
    PaymentFargateService,
    TaskEgress,
    pulled_image,
)
from settings.limits import (
    CONTAINERS_PER_TASK_DEFINITION,
    MAX_PROCESSOR_CIDRS,
    MAX_SIDECARS,
    OUTBOUND_RULES_PER_SECURITY_GROUP,
    TASK_GROUP_OTHER_EGRESS_RULES,
    guardduty_agent_memory_mib,
)
from settings.naming import SERVICE_CONTAINER, PhysicalNames
from settings.regions import gateway_prefix_lists
from settings.sections import ComputeSettings, CpuArchitecture, Sidecar
from tests.support.bare import ACCOUNT, REGION, bare_stack, one, properties, resources, template
from tests.support.builders import LEDGER

NAMES = PhysicalNames(service="payments", environment="test")
IMAGE = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/payments@sha256:" + "a" * 64
PROCESSOR = ("198.51.100.0/24",)
SIDECAR = Sidecar(name="otel", image=f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/otel@sha256:" + "b" * 64)
COMPUTE = ComputeSettings(
    task_cpu=1024,
    task_memory_mib=2048,
    min_tasks=3,
    desired_tasks=4,
    max_tasks=9,
    on_demand_weight=2,
    spot_weight=5,
    requests_per_target=700,
)


def build(compute: ComputeSettings, processor: tuple[str, ...] = PROCESSOR) -> tuple[dict[str, Any], Stack]:
    stack = bare_stack()
    vpc = ec2.Vpc(stack, "Vpc", availability_zones=["us-east-1a", "us-east-1b"])
    target_group = elbv2.ApplicationTargetGroup(
        stack, "TargetGroup", vpc=vpc, port=CONTRACT.port, protocol=elbv2.ApplicationProtocol.HTTPS,
        target_type=elbv2.TargetType.IP,
    )  # fmt: skip
    alb_group = ec2.SecurityGroup(stack, "AlbGroup", vpc=vpc, allow_all_outbound=False)
    alb = elbv2.ApplicationLoadBalancer(stack, "Alb", vpc=vpc, security_group=alb_group)
    alb.add_listener("Listener", port=80, default_target_groups=[target_group], open=False)
    role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com"))
    image = pulled_image(stack, compute.container_image, compute.cpu_architecture)
    sidecars = {s.name: pulled_image(stack, s.image, compute.cpu_architecture, s.name).image for s in compute.sidecars}
    PaymentFargateService(
        stack,
        "Payments",
        compute=compute,
        names=NAMES,
        vpc=vpc,
        image=image.image,
        sidecar_images=sidecars,
        execution_role=role,
        task_role=role,
        log_group=logs.LogGroup(stack, "AppLogGroup"),
        secret=secretsmanager.Secret(stack, "ProcessorSecret"),
        ledger=LEDGER,
        target_group=target_group,
        load_balancer_security_group=alb_group,
        egress=TaskEgress(ServiceEndpoints(stack, "Endpoints", vpc=vpc), gateway_prefix_lists(REGION), processor),
        egress_ready=[vpc.private_subnets[0].internet_connectivity_established],
    )
    return template(stack), stack


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return build(COMPUTE)[0]


def app_container(document: dict[str, Any]) -> dict[str, Any]:
    (container,) = [
        c for c in one(document, "AWS::ECS::TaskDefinition")["ContainerDefinitions"] if c["Name"] == SERVICE_CONTAINER
    ]
    return dict(container)


def test_container_is_read_only_non_root_unprivileged_with_init_and_the_contracts_stop_timeout(
    document: dict[str, Any],
) -> None:
    app = app_container(document)
    assert app["ReadonlyRootFilesystem"] is True
    assert app["User"] == CONTRACT.user
    assert app["Privileged"] is False
    assert app["LinuxParameters"]["InitProcessEnabled"] is True
    assert app["StopTimeout"] == CONTRACT.stop_timeout_seconds
    assert app["MountPoints"] == [
        {"ContainerPath": CONTRACT.scratch_path, "ReadOnly": False, "SourceVolume": "scratch"}
    ]
    assert one(document, "AWS::ECS::TaskDefinition")["Volumes"] == [{"Name": "scratch"}]


def test_container_gets_the_contracts_environment_and_its_secret_from_secrets_manager(document: dict[str, Any]) -> None:
    app = app_container(document)
    environment = {variable["Name"]: variable["Value"] for variable in app["Environment"]}
    assert environment == CONTRACT.environment(
        service_name=NAMES.service,
        environment=NAMES.environment,
        metrics_namespace=NAMES.metrics_namespace,
        ledger_table=LEDGER.table_name,
        client_authentication=LEDGER.client_authentication.value,
        idempotency_hours=LEDGER.idempotency_hours,
    )
    assert environment["LEDGER"] == f"dynamodb:{LEDGER.table_name}"
    (secret,) = app["Secrets"]
    assert secret["Name"] == PROCESSOR_SECRET_VARIABLE
    assert secret["ValueFrom"]["Ref"].startswith("ProcessorSecret")
    for name in environment:
        assert not any(word in name for word in ("SECRET", "PASSWORD", "CREDENTIAL", "TOKEN", "KEY"))


def test_container_logs_go_to_the_given_log_group_and_block_rather_than_drop(document: dict[str, Any]) -> None:
    """Non-blocking mode drops lines when its buffer fills, with no metric: an audit trail may not."""
    logging = app_container(document)["LogConfiguration"]
    assert logging["LogDriver"] == "awslogs"
    assert logging["Options"]["awslogs-group"]["Ref"].startswith("AppLogGroup")
    assert logging["Options"]["mode"] == "blocking"
    assert "max-buffer-size" not in logging["Options"]


@pytest.mark.parametrize(
    ("image", "command", "expected"),
    [
        (None, None, REFERENCE_HEALTH_CHECK),
        (IMAGE, None, None),
        (IMAGE, ("CMD", "python", "/srv/check.py"), ("CMD", "python", "/srv/check.py")),
    ],
    ids=["reference image", "own image, none set", "own image, own check"],
)
def test_container_health_check_is_the_profiles_or_the_reference_services(
    image: str | None, command: tuple[str, ...] | None, expected: tuple[str, ...] | None
) -> None:
    document, _ = build(ComputeSettings(container_image=image, health_check_command=command))
    check = app_container(document).get("HealthCheck")
    if expected is None:
        assert check is None
    else:
        assert check is not None
        assert check["Command"] == list(expected)
        assert (check["Interval"], check["Retries"], check["StartPeriod"]) == (15, 3, 15)


def test_task_size_and_platform_come_from_the_settings() -> None:
    document, _ = build(ComputeSettings(task_cpu=1024, task_memory_mib=4096, cpu_architecture=CpuArchitecture.ARM64))
    task = one(document, "AWS::ECS::TaskDefinition")
    assert (task["Cpu"], task["Memory"]) == ("1024", "4096")
    assert task["RuntimePlatform"] == {"CpuArchitecture": "ARM64", "OperatingSystemFamily": "LINUX"}
    assert (task["NetworkMode"], task["RequiresCompatibilities"]) == ("awsvpc", ["FARGATE"])


@pytest.mark.parametrize("architecture", list(CpuArchitecture))
def test_the_reference_image_is_built_from_service_for_the_tasks_architecture_into_the_bootstrap_repository(
    architecture: CpuArchitecture,
) -> None:
    document, stack = build(ComputeSettings(cpu_architecture=architecture))
    image = app_container(document)["Image"]["Fn::Sub"]
    assert image.startswith(f"{ACCOUNT}.dkr.ecr.{REGION}.${{AWS::URLSuffix}}/cdk-hnb659fds-container-assets-")
    assembly = stack.node.root.synth()  # type: ignore[attr-defined]
    manifest = json.loads((Path(assembly.directory) / f"{stack.artifact_id}.assets.json").read_text())
    (asset,) = manifest["dockerImages"].values()
    assert Path(asset["source"]["directory"]).name.startswith("asset.")
    expected = "linux/arm64" if architecture is CpuArchitecture.ARM64 else "linux/amd64"
    assert asset["source"]["platform"] == expected


def test_a_pinned_image_is_pulled_by_digest() -> None:
    document, _ = build(ComputeSettings(container_image=IMAGE))
    parts = app_container(document)["Image"]["Fn::Join"][1]
    assert "".join(part for part in parts if isinstance(part, str)).endswith("/payments@sha256:" + "a" * 64)


def test_on_demand_base_keeps_min_tasks_up_when_spot_has_no_capacity(document: dict[str, Any]) -> None:
    service = one(document, "AWS::ECS::Service")
    strategy = {s["CapacityProvider"]: s for s in service["CapacityProviderStrategy"]}
    assert strategy["FARGATE"] == {"CapacityProvider": "FARGATE", "Base": COMPUTE.min_tasks, "Weight": 2}
    assert strategy["FARGATE_SPOT"] == {"CapacityProvider": "FARGATE_SPOT", "Weight": 5}


def test_service_waits_for_the_clusters_capacity_providers_and_its_egress(document: dict[str, Any]) -> None:
    (service_id,) = resources(document, "AWS::ECS::Service")
    (association_id,) = resources(document, "AWS::ECS::ClusterCapacityProviderAssociations")
    association = document["Resources"][association_id]["Properties"]
    assert association["CapacityProviders"] == ["FARGATE", "FARGATE_SPOT"]
    depends = document["Resources"][service_id]["DependsOn"]
    assert association_id in depends
    assert any(d.startswith("VpcPrivateSubnet1DefaultRoute") for d in depends)


def test_cluster_has_enhanced_container_insights(document: dict[str, Any]) -> None:
    assert {"Name": "containerInsights", "Value": "enhanced"} in one(document, "AWS::ECS::Cluster")["ClusterSettings"]


def test_service_rolls_back_failed_deployments_in_private_subnets_without_public_ips(document: dict[str, Any]) -> None:
    service = one(document, "AWS::ECS::Service")
    assert service["DesiredCount"] == COMPUTE.desired_tasks
    deployment = service["DeploymentConfiguration"]
    assert deployment["DeploymentCircuitBreaker"] == {"Enable": True, "Rollback": True}
    assert (deployment["MinimumHealthyPercent"], deployment["MaximumPercent"]) == (100, 200)
    assert service["HealthCheckGracePeriodSeconds"] == 60
    assert service["EnableExecuteCommand"] is False
    assert service["PlatformVersion"] == "1.4.0"
    network = service["NetworkConfiguration"]["AwsvpcConfiguration"]
    assert network["AssignPublicIp"] == "DISABLED"
    assert all("PrivateSubnet" in subnet["Ref"] for subnet in network["Subnets"])


def task_group_rules(document: dict[str, Any]) -> tuple[str, list[dict[str, Any]], list[dict[str, Any]]]:
    """The task security group's id, and every rule (inline or separate) into it and out of it."""
    groups = resources(document, "AWS::EC2::SecurityGroup")
    (task_group_id,) = [lid for lid in groups if lid.startswith("PaymentsSecurityGroup")]
    reference = {"Fn::GetAtt": [task_group_id, "GroupId"]}
    inline = groups[task_group_id]["Properties"]
    ingress = [*inline.get("SecurityGroupIngress", [])]
    ingress += [r for r in properties(document, "AWS::EC2::SecurityGroupIngress") if r["GroupId"] == reference]
    egress = [r for r in inline.get("SecurityGroupEgress", []) if r["Description"] != "Disallow all traffic"]
    egress += [r for r in properties(document, "AWS::EC2::SecurityGroupEgress") if r["GroupId"] == reference]
    return task_group_id, ingress, egress


def test_tasks_admit_only_the_load_balancer_and_reach_only_aws_endpoints_and_the_processor(
    document: dict[str, Any],
) -> None:
    """No route to the internet: HTTPS to the interface endpoints, to S3 and DynamoDB through their gateway
    endpoints (the region's prefix lists), within the VPC (GuardDuty's agent to the endpoint GuardDuty creates) and
    to the processor's own networks; nothing else."""
    task_group_id, ingress, egress = task_group_rules(document)
    (from_alb,) = ingress
    assert from_alb["SourceSecurityGroupId"]["Fn::GetAtt"][0].startswith("AlbGroup")
    assert (from_alb["FromPort"], from_alb["ToPort"]) == (CONTRACT.port, CONTRACT.port)
    assert {(r["IpProtocol"], r["FromPort"], r["ToPort"]) for r in egress} == {("tcp", 443, 443)}
    lists = gateway_prefix_lists(REGION)
    (vpc,) = resources(document, "AWS::EC2::VPC")
    within_vpc = {"Fn::GetAtt": [vpc, "CidrBlock"]}
    destinations = sorted(
        str(r.get("CidrIp") or r.get("DestinationPrefixListId") or r["DestinationSecurityGroupId"]["Fn::GetAtt"][0])
        for r in egress
        if r.get("CidrIp") != within_vpc
    )
    (endpoint_group,) = [lid for lid in resources(document, "AWS::EC2::SecurityGroup") if lid.startswith("Endpoints")]
    assert destinations == sorted([*PROCESSOR, lists.s3, lists.dynamodb, endpoint_group])
    assert [r["CidrIp"] for r in egress if r.get("CidrIp") == within_vpc] == [within_vpc]
    alb_egress = [
        r for r in properties(document, "AWS::EC2::SecurityGroupEgress") if r.get("FromPort") == CONTRACT.port
    ]
    assert [r["DestinationSecurityGroupId"] for r in alb_egress] == [{"Fn::GetAtt": [task_group_id, "GroupId"]}]


def test_the_processor_networks_settings_allow_fill_the_task_groups_outbound_rule_quota() -> None:
    """`processor_cidrs` at its most (MAX_PROCESSOR_CIDRS networks) gives the task group exactly the 60 outbound
    rules a security group holds by default (each gateway prefix list, S3's and DynamoDB's, weighs one rule)."""
    networks = tuple(f"203.0.{n}.0/24" for n in range(MAX_PROCESSOR_CIDRS))
    document, _ = build(COMPUTE, processor=networks)
    _, _, egress = task_group_rules(document)
    assert len(egress) == OUTBOUND_RULES_PER_SECURITY_GROUP == 60
    assert len(egress) - len(networks) == TASK_GROUP_OTHER_EGRESS_RULES
    lists = gateway_prefix_lists(REGION)
    assert sorted(r["DestinationPrefixListId"] for r in egress if "DestinationPrefixListId" in r) == sorted(
        [lists.s3, lists.dynamodb]
    )


def test_the_sidecars_settings_allow_fill_the_task_definitions_container_quota() -> None:
    sidecars = tuple(
        Sidecar(name=f"agent{n}", image=SIDECAR.image, memory_reservation_mib=6) for n in range(MAX_SIDECARS)
    )
    document, _ = build(ComputeSettings(container_image=IMAGE, sidecars=sidecars))
    assert len(one(document, "AWS::ECS::TaskDefinition")["ContainerDefinitions"]) == CONTAINERS_PER_TASK_DEFINITION


def test_without_a_processor_network_the_tasks_reach_aws_endpoints_only() -> None:
    document, _ = build(ComputeSettings(container_image=IMAGE), processor=())
    _, _, egress = task_group_rules(document)
    (vpc,) = resources(document, "AWS::EC2::VPC")
    ranges = [r.get("CidrIp") or r.get("CidrIpv6") for r in egress if "CidrIp" in r or "CidrIpv6" in r]
    assert ranges == [{"Fn::GetAtt": [vpc, "CidrBlock"]}]  # the VPC's own range only


@pytest.mark.parametrize(
    ("metric", "target"),
    [
        ("ECSServiceAverageCPUUtilization", CPU_TARGET_PERCENT),
        ("ECSServiceAverageMemoryUtilization", MEMORY_TARGET_PERCENT),
    ],
)
def test_autoscaling_tracks_cpu_and_memory_with_slow_scale_in(
    document: dict[str, Any], metric: str, target: int
) -> None:
    configs = [
        p["TargetTrackingScalingPolicyConfiguration"]
        for p in properties(document, "AWS::ApplicationAutoScaling::ScalingPolicy")
    ]
    (policy,) = [c for c in configs if c["PredefinedMetricSpecification"]["PredefinedMetricType"] == metric]
    assert policy["TargetValue"] == target
    assert policy["ScaleOutCooldown"] == SCALE_OUT_COOLDOWN.to_seconds() == 60
    assert policy["ScaleInCooldown"] == SCALE_IN_COOLDOWN.to_seconds() == 300


def test_autoscaling_tracks_requests_per_target_within_the_configured_range(document: dict[str, Any]) -> None:
    configs = [
        p["TargetTrackingScalingPolicyConfiguration"]
        for p in properties(document, "AWS::ApplicationAutoScaling::ScalingPolicy")
    ]
    (policy,) = [
        c for c in configs if c["PredefinedMetricSpecification"]["PredefinedMetricType"] == "ALBRequestCountPerTarget"
    ]
    assert policy["TargetValue"] == COMPUTE.requests_per_target
    target = one(document, "AWS::ApplicationAutoScaling::ScalableTarget")
    assert (target["MinCapacity"], target["MaxCapacity"]) == (COMPUTE.min_tasks, COMPUTE.max_tasks)


def test_sidecars_run_beside_the_service_under_the_same_hardening() -> None:
    document, _ = build(ComputeSettings(container_image=IMAGE, sidecars=(SIDECAR,)))
    containers = {c["Name"]: c for c in one(document, "AWS::ECS::TaskDefinition")["ContainerDefinitions"]}
    assert set(containers) == {"App", SIDECAR.name}
    sidecar = containers[SIDECAR.name]
    assert (sidecar["Essential"], sidecar["MemoryReservation"]) == (False, SIDECAR.memory_reservation_mib)
    assert sidecar["Memory"] == SIDECAR.memory_reservation_mib
    assert sidecar["LinuxParameters"]["Capabilities"] == {"Drop": ["ALL"]}
    assert (sidecar["ReadonlyRootFilesystem"], sidecar["User"], sidecar["Privileged"]) == (True, CONTRACT.user, False)
    assert sidecar["LogConfiguration"] == containers["App"]["LogConfiguration"]


@pytest.mark.parametrize("sidecars", [(), (SIDECAR,)], ids=["alone", "with a sidecar"])
def test_every_container_drops_every_capability_and_has_a_hard_memory_limit_within_the_task(
    sidecars: tuple[Sidecar, ...],
) -> None:
    """A container over its limit is killed and replaced, never starving the others; none holds a capability."""
    compute = ComputeSettings(container_image=IMAGE, sidecars=sidecars)
    document, _ = build(compute)
    task = one(document, "AWS::ECS::TaskDefinition")
    containers = task["ContainerDefinitions"]
    assert [c["LinuxParameters"]["Capabilities"] for c in containers] == [{"Drop": ["ALL"]}] * len(containers)
    agent = guardduty_agent_memory_mib(compute.task_cpu, compute.task_memory_mib)
    assert sum(c["Memory"] for c in containers) + agent == int(task["Memory"]) == compute.task_memory_mib
    (service,) = [c for c in containers if c["Name"] == "App"]
    assert service["Memory"] == compute.task_memory_mib - agent - sum(s.memory_reservation_mib for s in sidecars)


# GuardDuty User Guide, "Prerequisites for AWS Fargate (Amazon ECS only) support", CPU and memory limits: the agent's
# maximum memory by task size.
@pytest.mark.parametrize(
    ("cpu", "memory", "agent"),
    [(256, 1024, 128), (512, 1024, 128), (1024, 2048, 128), (4096, 30720, 128), (8192, 28672, 256),
     (8192, 32768, 512), (16384, 32768, 1024)],
)  # fmt: skip
def test_guarddutys_runtime_agent_has_room_in_every_task_size(cpu: int, memory: int, agent: int) -> None:
    """GuardDuty adds its agent to every task as a sidecar sharing the task's memory: the containers' hard limits
    leave it its documented maximum, or the agent (or the service) is killed for memory."""
    assert guardduty_agent_memory_mib(cpu, memory) == agent
    compute = ComputeSettings(task_cpu=cpu, task_memory_mib=memory, container_image=IMAGE)
    document, _ = build(compute)
    task = one(document, "AWS::ECS::TaskDefinition")
    assert int(task["Memory"]) - sum(c["Memory"] for c in task["ContainerDefinitions"]) >= agent
