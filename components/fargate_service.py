"""The payment service on Fargate: hardened container, on-demand base under Spot, tuned autoscaling."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from aws_cdk import Duration
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_ecr_assets as ecr_assets
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct, IDependable

from components.container_contract import CONTRACT, PROCESSOR_SECRET_VARIABLE, REFERENCE_HEALTH_CHECK
from components.endpoints import HTTPS, HTTPS_PORT, ServiceEndpoints
from rules.acknowledge import AWS_SOLUTIONS, PCI_DSS_401, acknowledge
from settings.limits import ECR_IMAGE_PATTERN
from settings.naming import SERVICE_CONTAINER, PhysicalNames
from settings.regions import GatewayPrefixLists
from settings.sections import ClientAuthentication, ComputeSettings, CpuArchitecture

SERVICE_SOURCE = Path(__file__).resolve().parents[1] / "service"
CAPACITY_PROVIDERS = ("FARGATE", "FARGATE_SPOT")
# Seconds the ALB health check may fail after start before ECS replaces the task.
HEALTH_CHECK_GRACE = Duration.seconds(60)
CPU_TARGET_PERCENT = 60
MEMORY_TARGET_PERCENT = 70
# Scale out fast on a spike, scale in slowly so that one quiet minute does not undo it (failure 3.2).
SCALE_OUT_COOLDOWN = Duration.seconds(60)
SCALE_IN_COOLDOWN = Duration.seconds(300)


def no_capabilities(scope: Construct, id_: str, *, init_process_enabled: bool = False) -> ecs.LinuxParameters:
    """Linux parameters that drop every capability: the task's user needs none to serve, and a process that
    gained root (a setuid binary, an exploit) gains no capability either."""
    parameters = ecs.LinuxParameters(scope, id_, init_process_enabled=init_process_enabled)
    parameters.drop_capabilities(ecs.Capability.ALL)
    return parameters


def health_check_command(compute: ComputeSettings) -> tuple[str, ...] | None:
    """The container health check: the profile's, else the reference service's when the app builds it.

    An image of your own gets no container check unless the profile names one: the ALB's check of
    `/health` (part of the contract) still replaces a task that stops answering.
    """
    if compute.health_check_command is not None:
        return compute.health_check_command
    return REFERENCE_HEALTH_CHECK if compute.container_image is None else None


@dataclass(frozen=True)
class PulledImage:
    """An image a task runs, and the ECR repository the execution role pulls it from."""

    image: ecs.ContainerImage
    repository_arn: str


def pulled_image(
    scope: Construct, image: str | None, architecture: CpuArchitecture, id_prefix: str = ""
) -> PulledImage:
    """`image` (an ECR image pinned by digest), or the reference service built from `service/` when it is None."""
    if image is None:
        asset = ecr_assets.DockerImageAsset(
            scope,
            f"{id_prefix}ImageAsset",
            directory=str(SERVICE_SOURCE),
            # Documentation, not image content: editing it must not build a new image.
            exclude=["README.md"],
            platform=ecr_assets.Platform.LINUX_ARM64
            if architecture is CpuArchitecture.ARM64
            else ecr_assets.Platform.LINUX_AMD64,
        )
        return PulledImage(ecs.ContainerImage.from_docker_image_asset(asset), asset.repository.repository_arn)
    match = ECR_IMAGE_PATTERN.match(image)
    assert match is not None  # validated with the configuration
    repository = ecr.Repository.from_repository_attributes(
        scope,
        f"{id_prefix}ImageRepository",
        repository_name=match["repository"],
        repository_arn=f"arn:aws:ecr:{match['region']}:{match['account']}:repository/{match['repository']}",
    )
    return PulledImage(ecs.ContainerImage.from_ecr_repository(repository, match["digest"]), repository.repository_arn)


@dataclass(frozen=True)
class ServiceLedger:
    """What the service is told about its ledger and its clients (container environment)."""

    table_name: str
    client_authentication: ClientAuthentication
    idempotency_hours: int


@dataclass(frozen=True)
class TaskEgress:
    """Everywhere a task may connect, all over HTTPS: the interface endpoints, S3 and DynamoDB through their
    gateway endpoints (the region's prefix lists), and the payment processor's networks. Not the internet.

    With `processor_hosts_firewalled`, the processor is named by host, not address: HTTPS may leave for any
    address, and the egress firewall in the route to the NAT gateways passes only TLS to the processor's names
    (components/egress_firewall.py).

    And HTTPS within the VPC (the endpoints' VPC): GuardDuty's Fargate agent, which GuardDuty adds to each task once
    Runtime Monitoring manages it, reports through an interface endpoint GuardDuty creates with a security group of
    its own (GuardDuty guide, How Runtime Monitoring works with Fargate), unknown to the template."""

    endpoints: ServiceEndpoints
    prefix_lists: GatewayPrefixLists
    processor_cidrs: tuple[str, ...] = ()
    processor_hosts_firewalled: bool = False


class PaymentFargateService(Construct):
    """Cluster, task definition and service; starts only after the network's egress paths exist."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        compute: ComputeSettings,
        names: PhysicalNames,
        vpc: ec2.IVpc,
        image: ecs.ContainerImage,
        sidecar_images: Mapping[str, ecs.ContainerImage],
        execution_role: iam.IRole,
        task_role: iam.IRole,
        log_group: logs.ILogGroup,
        secret: secretsmanager.ISecret,
        ledger: ServiceLedger,
        target_group: elbv2.ApplicationTargetGroup,
        load_balancer_security_group: ec2.ISecurityGroup,
        egress: TaskEgress,
        egress_ready: Sequence[IDependable],
        on_demand_base: int | None = None,
    ) -> None:
        """`on_demand_base`: tasks on Fargate on-demand before any on Spot; `compute.min_tasks` unless given."""
        super().__init__(scope, id_)
        on_demand_base = compute.min_tasks if on_demand_base is None else on_demand_base
        self.cluster = ecs.Cluster(self, "Cluster", vpc=vpc, container_insights_v2=ecs.ContainerInsights.ENHANCED)
        # Made here rather than by `enable_fargate_capacity_providers`, whose association appears only at synth,
        # too late for the service to depend on it. Same construct path, so the same logical id.
        self.capacity_providers = ecs.CfnClusterCapacityProviderAssociations(
            self.cluster,
            "Cluster",
            cluster=self.cluster.cluster_name,
            capacity_providers=list(CAPACITY_PROVIDERS),
            default_capacity_provider_strategy=[],
        )
        self.task_definition = ecs.FargateTaskDefinition(
            self,
            "TaskDefinition",
            cpu=compute.task_cpu,
            memory_limit_mib=compute.task_memory_mib,
            runtime_platform=ecs.RuntimePlatform(
                operating_system_family=ecs.OperatingSystemFamily.LINUX,
                cpu_architecture=ecs.CpuArchitecture.ARM64
                if compute.cpu_architecture is CpuArchitecture.ARM64
                else ecs.CpuArchitecture.X86_64,
            ),
            execution_role=execution_role,
            task_role=task_role,
            volumes=[ecs.Volume(name="scratch")],
        )
        health_check = health_check_command(compute)
        # Blocking: the log is the audit trail (PCI DSS 10.2), and a non-blocking driver drops lines silently when
        # its buffer fills, with no metric that says so. Blocked, a task whose lines CloudWatch Logs cannot take
        # stops answering: its health checks fail, the ALB replaces it and the 5xx and healthy-host alarms page.
        logging = ecs.LogDrivers.aws_logs(
            stream_prefix=names.service, log_group=log_group, mode=ecs.AwsLogDriverMode.BLOCKING
        )
        self.container = self.task_definition.add_container(
            SERVICE_CONTAINER,
            image=image,
            essential=True,
            readonly_root_filesystem=True,
            user=CONTRACT.user,
            privileged=False,
            linux_parameters=no_capabilities(self, "LinuxParameters", init_process_enabled=True),
            # The hard limit: the service is killed and replaced before it can take a sidecar's memory, or the memory
            # of the runtime agent GuardDuty adds to every task.
            memory_limit_mib=compute.service_container_memory_mib,
            stop_timeout=CONTRACT.stop_timeout,
            port_mappings=[ecs.PortMapping(container_port=CONTRACT.port, name="https")],
            environment=CONTRACT.environment(
                service_name=names.service,
                environment=names.environment,
                metrics_namespace=names.metrics_namespace,
                ledger_table=ledger.table_name,
                client_authentication=ledger.client_authentication.value,
                idempotency_hours=ledger.idempotency_hours,
            ),
            secrets={PROCESSOR_SECRET_VARIABLE: ecs.Secret.from_secrets_manager(secret)},
            logging=logging,
            health_check=ecs.HealthCheck(
                command=list(health_check),
                interval=Duration.seconds(15),
                timeout=Duration.seconds(5),
                retries=3,
                start_period=Duration.seconds(15),
            )
            if health_check
            else None,
        )
        self.container.add_mount_points(
            ecs.MountPoint(source_volume="scratch", container_path=CONTRACT.scratch_path, read_only=False)
        )
        # Sidecars run under the same hardening: read-only root, the task's user, not privileged, no capability,
        # a hard memory limit, same log group.
        self.sidecars = [
            self.task_definition.add_container(
                sidecar.name,
                image=sidecar_images[sidecar.name],
                essential=sidecar.essential,
                readonly_root_filesystem=True,
                user=CONTRACT.user,
                privileged=False,
                memory_reservation_mib=sidecar.memory_reservation_mib,
                memory_limit_mib=sidecar.memory_reservation_mib,
                linux_parameters=no_capabilities(self, f"{sidecar.name}LinuxParameters"),
                logging=logging,
            )
            for sidecar in compute.sidecars
        ]
        acknowledge(
            self.task_definition,
            "ECS2",
            packs=(AWS_SOLUTIONS,),
            reason="The environment variables hold only non-secret settings (names, port, paths); compensating "
            "control: the processor credentials come from Secrets Manager through the `secrets` field",
        )

        self.security_group = ec2.SecurityGroup(
            self,
            "SecurityGroup",
            vpc=vpc,
            description="Payment tasks: HTTPS from the ALB in; HTTPS out to AWS endpoints and the processor only",
            allow_all_outbound=False,
        )
        self.security_group.add_ingress_rule(
            load_balancer_security_group, ec2.Port.tcp(CONTRACT.port), "HTTPS from the ALB only"
        )
        egress.endpoints.admit(self.security_group)
        self.security_group.add_egress_rule(
            ec2.Peer.prefix_list(egress.prefix_lists.s3), HTTPS, "HTTPS to S3 (image layers), gateway endpoint"
        )
        self.security_group.add_egress_rule(
            ec2.Peer.prefix_list(egress.prefix_lists.dynamodb), HTTPS, "HTTPS to DynamoDB (ledger), gateway endpoint"
        )
        self.security_group.add_egress_rule(
            ec2.Peer.ipv4(egress.endpoints.vpc_cidr),
            HTTPS,
            "HTTPS within the VPC: GuardDuty's runtime agent to its endpoint",
        )
        for cidr in egress.processor_cidrs:
            self.security_group.add_egress_rule(ec2.Peer.ipv4(cidr), HTTPS, "HTTPS to the payment processor")
        if egress.processor_hosts_firewalled:
            # Its own resource, so that the acknowledgement covers this one rule and nothing added later.
            acknowledge(
                ec2.CfnSecurityGroupEgress(
                    self,
                    "ProcessorHostsEgress",
                    group_id=self.security_group.security_group_id,
                    ip_protocol="tcp",
                    from_port=HTTPS_PORT,
                    to_port=HTTPS_PORT,
                    cidr_ip="0.0.0.0/0",
                    description="HTTPS to the payment processor by name, through the egress firewall",
                ),
                "1.3.2-RestrictedOutbound",
                packs=(PCI_DSS_401,),
                reason="The processor is reachable by host name only (network.processor_hosts): its addresses are "
                "not known to the template; compensating control: the egress firewall (components/egress_firewall.py) "
                "sits in every private subnet's only route to the internet and drops every established flow whose TLS "
                "server name is not a processor host (it checks names, not addresses), logs each drop and warns",
            )
        load_balancer_security_group.add_egress_rule(
            self.security_group, ec2.Port.tcp(CONTRACT.port), "HTTPS to the payment tasks"
        )

        self.service = ecs.FargateService(
            self,
            "Service",
            cluster=self.cluster,
            task_definition=self.task_definition,
            desired_count=compute.desired_tasks,
            min_healthy_percent=100,
            max_healthy_percent=200,
            circuit_breaker=ecs.DeploymentCircuitBreaker(enable=True, rollback=True),
            health_check_grace_period=HEALTH_CHECK_GRACE,
            assign_public_ip=False,
            vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
            security_groups=[self.security_group],
            platform_version=ecs.FargatePlatformVersion.VERSION1_4,
            enable_execute_command=False,
            propagate_tags=ecs.PropagatedTagSource.SERVICE,
            capacity_provider_strategies=[
                # The on-demand base keeps min_tasks running when Spot has no capacity (failures 1.4, 5.4); in a
                # standby, the primary's min_tasks once it serves.
                ecs.CapacityProviderStrategy(
                    capacity_provider="FARGATE", base=on_demand_base, weight=compute.on_demand_weight
                ),
                ecs.CapacityProviderStrategy(capacity_provider="FARGATE_SPOT", weight=compute.spot_weight),
            ],
        )
        self.service.attach_to_application_target_group(target_group)
        # Created, updated and deleted only while the cluster has the capacity providers its strategy names.
        self.service.node.add_dependency(self.capacity_providers)
        # Failure 1.1: no task starts before the NAT routes and endpoints it pulls and logs through exist.
        self.service.node.add_dependency(*egress_ready)

        scaling = self.service.auto_scale_task_count(min_capacity=compute.min_tasks, max_capacity=compute.max_tasks)
        scaling.scale_on_cpu_utilization(
            "CpuTarget",
            target_utilization_percent=CPU_TARGET_PERCENT,
            scale_out_cooldown=SCALE_OUT_COOLDOWN,
            scale_in_cooldown=SCALE_IN_COOLDOWN,
        )
        scaling.scale_on_memory_utilization(
            "MemoryTarget",
            target_utilization_percent=MEMORY_TARGET_PERCENT,
            scale_out_cooldown=SCALE_OUT_COOLDOWN,
            scale_in_cooldown=SCALE_IN_COOLDOWN,
        )
        scaling.scale_on_request_count(
            "RequestsTarget",
            requests_per_target=compute.requests_per_target,
            target_group=target_group,
            scale_out_cooldown=SCALE_OUT_COOLDOWN,
            scale_in_cooldown=SCALE_IN_COOLDOWN,
        )
