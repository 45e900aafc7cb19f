"""Each setting of a profile reaches the resource it governs, in every region of every profile.

The construct tests prove what a construct does with a value; these prove the stacks hand it the profile's
value, so a profile edit (another task size, a tighter WAF limit, a third zone) shows up where it should.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from components.generated_functions import log_retention_days
from settings import EnvironmentConfig
from settings.naming import SERVICE_CONTAINER
from tests.support.synthesized import Synthesized


def regions(synthesized: Synthesized) -> Iterator[tuple[EnvironmentConfig, dict[str, list[dict[str, Any]]]]]:
    """(configuration, {resource type: [properties]}) of each region's templates."""
    for config, documents in ((synthesized.config, synthesized.documents),) + (
        ((synthesized.config.standby(), synthesized.standby_documents),) if synthesized.config.standby_region else ()
    ):
        by_type: dict[str, list[dict[str, Any]]] = {}
        for document in documents.values():
            for resource in document["Resources"].values():
                by_type.setdefault(resource["Type"], []).append(resource.get("Properties", {}))
        yield config, by_type


def only(by_type: dict[str, list[dict[str, Any]]], resource_type: str) -> dict[str, Any]:
    (found,) = by_type[resource_type]
    return found


def test_network_settings(each_profile: Synthesized) -> None:
    for config, found in regions(each_profile):
        assert only(found, "AWS::EC2::VPC")["CidrBlock"] == config.network.vpc_cidr
        assert len(found["AWS::EC2::NatGateway"]) == config.network.az_count
        zones = {subnet["AvailabilityZone"] for subnet in found["AWS::EC2::Subnet"]}
        assert zones == set(config.availability_zones)
        eips = found.get("AWS::EC2::EIP", [])
        allocations = [nat["AllocationId"] for nat in found["AWS::EC2::NatGateway"]]
        if config.network.nat_eip_allocation_ids:
            assert (eips, allocations) == ([], list(config.network.nat_eip_allocation_ids))
        else:
            assert len(eips) == config.network.az_count


def test_compute_settings(each_profile: Synthesized) -> None:
    for config, found in regions(each_profile):
        compute = config.compute
        task = only(found, "AWS::ECS::TaskDefinition")
        assert (task["Cpu"], task["Memory"]) == (str(compute.task_cpu), str(compute.task_memory_mib))
        assert task["RuntimePlatform"]["CpuArchitecture"] == compute.cpu_architecture.value
        assert sorted(c["Name"] for c in task["ContainerDefinitions"]) == sorted(
            [SERVICE_CONTAINER, *(sidecar.name for sidecar in compute.sidecars)]
        )
        service = only(found, "AWS::ECS::Service")
        assert service["DesiredCount"] == compute.desired_tasks
        strategy = {s["CapacityProvider"]: s for s in service["CapacityProviderStrategy"]}
        assert strategy["FARGATE"] == {
            "CapacityProvider": "FARGATE",
            "Base": config.on_demand_base,
            "Weight": compute.on_demand_weight,
        }
        assert strategy["FARGATE_SPOT"] == {"CapacityProvider": "FARGATE_SPOT", "Weight": compute.spot_weight}
        target = only(found, "AWS::ApplicationAutoScaling::ScalableTarget")
        assert (target["MinCapacity"], target["MaxCapacity"]) == (compute.min_tasks, compute.max_tasks)
        requests = [
            p["TargetTrackingScalingPolicyConfiguration"]["TargetValue"]
            for p in found["AWS::ApplicationAutoScaling::ScalingPolicy"]
            if p["TargetTrackingScalingPolicyConfiguration"]["PredefinedMetricSpecification"]["PredefinedMetricType"]
            == "ALBRequestCountPerTarget"
        ]
        assert requests == [compute.requests_per_target]


def test_retention_settings(each_profile: Synthesized) -> None:
    for config, found in regions(each_profile):
        retention = config.retention
        # CDK's generated functions keep theirs a year at least: they have no archive stream.
        generated = log_retention_days(retention.log_retention_days)
        assert {group["RetentionInDays"] for group in found["AWS::Logs::LogGroup"]} == {
            retention.log_retention_days,
            generated,
        }
        for bucket in found["AWS::S3::Bucket"]:
            (rule,) = bucket["LifecycleConfiguration"]["Rules"]
            assert rule["ExpirationInDays"] == retention.audit_archive_days


def test_edge_and_protection_settings(each_profile: Synthesized) -> None:
    for config, found in regions(each_profile):
        acl = only(found, "AWS::WAFv2::WebACL")
        limits = [
            r["Statement"]["RateBasedStatement"]["Limit"]
            for r in acl["Rules"]
            if "RateBasedStatement" in r["Statement"]
        ]
        assert limits == [config.edge.waf_rate_limit, config.edge.waf_payment_rate_limit]
        alb = only(found, "AWS::ElasticLoadBalancingV2::LoadBalancer")
        attributes = {a["Key"]: a["Value"] for a in alb["LoadBalancerAttributes"]}
        assert attributes["deletion_protection.enabled"] == str(config.termination_protection).lower()


def test_alerting_settings(each_profile: Synthesized) -> None:
    for config, found in regions(each_profile):
        alerting = config.alerting
        subscribed = sorted(s["Endpoint"] for s in found.get("AWS::SNS::Subscription", []))
        assert subscribed == sorted([*alerting.paging_emails, *alerting.warning_emails])
        if config.is_standby:
            assert "AWS::Budgets::Budget" not in found
            continue
        budget = only(found, "AWS::Budgets::Budget")
        assert budget["Budget"]["BudgetLimit"] == {"Amount": alerting.monthly_budget_usd, "Unit": "USD"}
        thresholds = {
            n["Notification"]["Threshold"]
            for n in budget["NotificationsWithSubscribers"]
            if n["Notification"]["NotificationType"] == "ACTUAL"
        }
        assert thresholds == set(alerting.budget_alert_percentages)


def test_tls_settings(each_profile: Synthesized) -> None:
    for config, found in regions(each_profile):
        certificates = found.get("AWS::CertificateManager::Certificate", [])
        if config.tls.certificate_arn:
            assert certificates == []
        else:
            assert [c["DomainName"] for c in certificates] == [config.tls.domain_name]
