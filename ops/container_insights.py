"""The metrics Container Insights with enhanced observability publishes for an ECS service on Fargate.

From the CloudWatch User Guide, "Amazon ECS Container Insights with enhanced observability metrics": each
metric with the dimension sets it is published under. Each set is one metric per value combination: per
cluster, per service, per task definition family, per task (`TaskId`), per container name (`ContainerName`),
and per task and container. Left out: the EC2 instance metrics and `ContainerInstanceCount` (no instances on
Fargate), the EBS metrics (no EBS volume), `RestartCount` (only containers with a restart policy: none here).
"""

from __future__ import annotations

CLUSTER, SERVICE, FAMILY, TASK, CONTAINER = (
    "ClusterName",
    "ServiceName",
    "TaskDefinitionFamily",
    "TaskId",
    "ContainerName",
)

# Per container, under five dimension sets.
_PER_CONTAINER = (
    (CLUSTER,),
    (CONTAINER, TASK, SERVICE, CLUSTER),
    (CONTAINER, FAMILY, CLUSTER, TASK),
    (FAMILY, CLUSTER, CONTAINER),
    (SERVICE, CLUSTER, CONTAINER),
)
# Per task, under five dimension sets.
_PER_TASK = ((FAMILY, CLUSTER), (SERVICE, CLUSTER), (CLUSTER,), (CLUSTER, SERVICE, TASK), (CLUSTER, FAMILY, TASK))

METRICS: dict[str, tuple[tuple[str, ...], ...]] = {
    **dict.fromkeys(
        (
            "ContainerCpuUtilized",
            "ContainerCpuReserved",
            "ContainerMemoryUtilized",
            "ContainerMemoryReserved",
            "ContainerMemoryUtilization",
            "ContainerStorageReadBytes",
            "ContainerStorageWriteBytes",
        ),
        _PER_CONTAINER,
    ),
    **dict.fromkeys(
        (
            "ContainerCpuUtilization",
            "ContainerNetworkRxBytes",
            "ContainerNetworkTxBytes",
            "CpuUtilized",
            "CpuReserved",
            "EphemeralStorageReserved",
            "EphemeralStorageUtilized",
            "MemoryUtilized",
            "MemoryReserved",
            "NetworkRxBytes",
            "NetworkTxBytes",
            "StorageReadBytes",
            "StorageWriteBytes",
            "TaskCpuUtilization",
            "TaskEphemeralStorageUtilization",
            "TaskMemoryUtilization",
        ),
        _PER_TASK,
    ),
    **dict.fromkeys(
        ("DeploymentCount", "DesiredTaskCount", "PendingTaskCount", "RunningTaskCount", "TaskSetCount"),
        ((SERVICE, CLUSTER),),
    ),
    **dict.fromkeys(("ServiceCount", "TaskCount"), ((CLUSTER,),)),
}
# Only containers with a health check publish it.
HEALTH_METRIC = "UnHealthyContainerHealthStatus"
HEALTH_DIMENSIONS = (
    (CLUSTER,),
    (CLUSTER, SERVICE, CONTAINER),
    (CLUSTER, FAMILY, CONTAINER),
    (CLUSTER, SERVICE, TASK, CONTAINER),
    (CLUSTER, FAMILY, TASK, CONTAINER),
)


def _streams(dimensions: tuple[str, ...], tasks: float, containers: int) -> float:
    count = 1.0
    if TASK in dimensions:
        count *= tasks
    if CONTAINER in dimensions:
        count *= containers
    return count


def metric_count(tasks: float, containers: int, health_checked: int) -> float:
    """Metrics one service publishes with `tasks` running all month, each of `containers` containers, of which
    `health_checked` have a health check (0 while no task runs: nothing is published)."""
    if tasks <= 0:
        return 0.0
    found = sum(_streams(d, tasks, containers) for sets in METRICS.values() for d in sets)
    return found + sum(_streams(d, tasks, health_checked) for d in HEALTH_DIMENSIONS)
