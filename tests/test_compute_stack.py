"""Compute stack guarantees: HTTPS-only ALB with WAF, hardened task, least-privilege roles, sane scaling."""

from __future__ import annotations

import re
from typing import Any

import pytest

from components.container_contract import CONTRACT
from components.endpoints import GATEWAY_ENDPOINTS, INTERFACE_ENDPOINTS
from components.fargate_service import SCALE_IN_COOLDOWN, SCALE_OUT_COOLDOWN
from tests.conftest import ROOT, Synthesized, synthesize

COMPUTE = "Compute"


def one(synthesized: Synthesized, resource_type: str) -> dict[str, Any]:
    (properties,) = synthesized.properties(COMPUTE, resource_type)
    return properties


def container(synthesized: Synthesized) -> dict[str, Any]:
    (definition,) = one(synthesized, "AWS::ECS::TaskDefinition")["ContainerDefinitions"]
    result: dict[str, Any] = definition
    return result


def listeners(synthesized: Synthesized) -> dict[int, dict[str, Any]]:
    return {lsn["Port"]: lsn for lsn in synthesized.properties(COMPUTE, "AWS::ElasticLoadBalancingV2::Listener")}


def attributes(properties: dict[str, Any], key: str) -> dict[str, Any]:
    return {a["Key"]: a["Value"] for a in properties[key]}


def statements(synthesized: Synthesized, policy_id: str) -> dict[str, dict[str, Any]]:
    policies = synthesized.resources(COMPUTE, "AWS::IAM::ManagedPolicy")
    (policy,) = [p for logical_id, p in policies.items() if logical_id.startswith(policy_id)]
    return {s["Sid"]: s for s in policy["Properties"]["PolicyDocument"]["Statement"]}


def test_alb_is_internet_facing_in_public_subnets(dev: Synthesized) -> None:
    alb = one(dev, "AWS::ElasticLoadBalancingV2::LoadBalancer")
    assert alb["Scheme"] == "internet-facing"
    assert all("PublicSubnet" in s["Fn::ImportValue"] for s in alb["Subnets"])
    assert len(alb["Subnets"]) == dev.config.az_count


def test_alb_drops_invalid_headers_with_strictest_desync_mitigation_and_logs_access(dev: Synthesized) -> None:
    attrs = attributes(one(dev, "AWS::ElasticLoadBalancingV2::LoadBalancer"), "LoadBalancerAttributes")
    assert attrs["routing.http.drop_invalid_header_fields.enabled"] == "true"
    assert attrs["routing.http.desync_mitigation_mode"] == "strictest"
    assert attrs["access_logs.s3.enabled"] == "true"
    bucket = dev.logical_id(dev.stacks.security.alb_log_bucket)
    assert attrs["access_logs.s3.bucket"]["Fn::ImportValue"].startswith(
        f"payments-dev-Security:ExportsOutputRef{bucket}"
    )


def test_alb_deletion_protection_is_on_in_prod(dev: Synthesized, prod: Synthesized) -> None:
    def protected(s: Synthesized) -> str:
        return str(
            attributes(one(s, "AWS::ElasticLoadBalancingV2::LoadBalancer"), "LoadBalancerAttributes")[
                "deletion_protection.enabled"
            ]
        )

    assert (protected(prod), protected(dev)) == ("true", "false")


def test_https_listener_uses_a_current_tls13_policy_and_the_certificate(each_profile: Synthesized) -> None:
    https = listeners(each_profile)[443]
    assert https["Protocol"] == "HTTPS"
    assert https["SslPolicy"] == "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09"
    (certificate,) = https["Certificates"]
    if each_profile.config.tls.certificate_arn:
        assert certificate["CertificateArn"] == each_profile.config.tls.certificate_arn
    else:
        assert certificate["CertificateArn"]["Fn::ImportValue"].startswith(
            f"payments-{each_profile.config.name}-Security:ExportsOutputRefCertificate"
        )


def test_port_80_only_redirects_to_https(each_profile: Synthesized) -> None:
    by_port = listeners(each_profile)
    assert set(by_port) == {80, 443}
    assert by_port[80]["DefaultActions"] == [
        {"RedirectConfig": {"Port": "443", "Protocol": "HTTPS", "StatusCode": "HTTP_301"}, "Type": "redirect"}
    ]


def test_waf_web_acl_is_associated_with_the_alb_in_the_albs_stack(dev: Synthesized) -> None:
    association = one(dev, "AWS::WAFv2::WebACLAssociation")
    alb = dev.logical_id(dev.stacks.compute.load_balancer.load_balancer)
    assert association["ResourceArn"] == {"Ref": alb}
    acl = dev.logical_id_of_cfn(dev.stacks.security, "AWS::WAFv2::WebACL")
    assert association["WebACLArn"]["Fn::ImportValue"].startswith(
        f"payments-dev-Security:ExportsOutputFnGetAtt{acl}Arn"
    )


def test_targets_are_reached_over_https_and_checked_on_health(each_profile: Synthesized) -> None:
    group = one(each_profile, "AWS::ElasticLoadBalancingV2::TargetGroup")
    assert (group["Protocol"], group["Port"], group["TargetType"]) == ("HTTPS", CONTRACT.port, "ip")
    assert (group["HealthCheckProtocol"], group["HealthCheckPath"]) == ("HTTPS", "/health")
    assert group["Matcher"] == {"HttpCode": "200"}
    # A new task is in service after 2 checks 10 s apart; a failing one is out after 3.
    assert (group["HealthCheckIntervalSeconds"], group["HealthyThresholdCount"]) == (10, 2)
    assert (group["UnhealthyThresholdCount"], group["HealthCheckTimeoutSeconds"]) == (3, 5)
    attrs = attributes(group, "TargetGroupAttributes")
    assert int(attrs["deregistration_delay.timeout_seconds"]) < CONTRACT.stop_timeout.to_seconds()
    assert attrs["slow_start.duration_seconds"] == "30"


def test_alb_admits_443_and_80_from_the_internet_and_talks_only_to_tasks(dev: Synthesized) -> None:
    groups = dev.resources(COMPUTE, "AWS::EC2::SecurityGroup")
    alb_group = groups[dev.logical_id(dev.stacks.compute.load_balancer.security_group)]["Properties"]
    ports = sorted((rule["FromPort"], rule["CidrIp"]) for rule in alb_group["SecurityGroupIngress"])
    assert ports == [(80, "0.0.0.0/0"), (443, "0.0.0.0/0")]
    assert (
        "SecurityGroupEgress" not in alb_group or alb_group["SecurityGroupEgress"][0]["CidrIp"] == "255.255.255.255/32"
    )
    (egress,) = dev.properties(COMPUTE, "AWS::EC2::SecurityGroupEgress")
    task_group = dev.logical_id(dev.stacks.compute.payments.security_group)
    assert egress["DestinationSecurityGroupId"] == {"Fn::GetAtt": [task_group, "GroupId"]}
    assert (egress["FromPort"], egress["ToPort"]) == (CONTRACT.port, CONTRACT.port)


def test_tasks_admit_only_the_alb_on_the_container_port_and_egress_only_https(dev: Synthesized) -> None:
    task_group_id = dev.logical_id(dev.stacks.compute.payments.security_group)
    task_group = dev.resources(COMPUTE, "AWS::EC2::SecurityGroup")[task_group_id]["Properties"]
    assert "SecurityGroupIngress" not in task_group
    (ingress,) = dev.properties(COMPUTE, "AWS::EC2::SecurityGroupIngress")
    alb_group = dev.logical_id(dev.stacks.compute.load_balancer.security_group)
    assert ingress["GroupId"] == {"Fn::GetAtt": [task_group_id, "GroupId"]}
    assert ingress["SourceSecurityGroupId"] == {"Fn::GetAtt": [alb_group, "GroupId"]}
    assert (ingress["FromPort"], ingress["ToPort"]) == (CONTRACT.port, CONTRACT.port)
    assert [(r["IpProtocol"], r["FromPort"], r["ToPort"]) for r in task_group["SecurityGroupEgress"]] == [
        ("tcp", 443, 443)
    ]


def test_cluster_has_container_insights_and_fargate_capacity_providers(dev: Synthesized) -> None:
    cluster = one(dev, "AWS::ECS::Cluster")
    assert {"Name": "containerInsights", "Value": "enhanced"} in cluster["ClusterSettings"]
    assert one(dev, "AWS::ECS::ClusterCapacityProviderAssociations")["CapacityProviders"] == ["FARGATE", "FARGATE_SPOT"]


def test_on_demand_base_keeps_min_tasks_up_when_spot_has_no_capacity(each_profile: Synthesized) -> None:
    strategy = {s["CapacityProvider"]: s for s in one(each_profile, "AWS::ECS::Service")["CapacityProviderStrategy"]}
    config = each_profile.config
    assert strategy["FARGATE"]["Base"] == config.min_tasks
    assert strategy["FARGATE"]["Weight"] == config.on_demand_weight
    assert strategy["FARGATE_SPOT"]["Weight"] == config.spot_weight
    assert "Base" not in strategy["FARGATE_SPOT"]


def test_task_size_and_platform_come_from_config(each_profile: Synthesized) -> None:
    task = one(each_profile, "AWS::ECS::TaskDefinition")
    assert (task["Cpu"], task["Memory"]) == (
        str(each_profile.config.task_cpu),
        str(each_profile.config.task_memory_mib),
    )
    assert task["RuntimePlatform"] == {
        "CpuArchitecture": each_profile.config.cpu_architecture,
        "OperatingSystemFamily": "LINUX",
    }
    assert task["NetworkMode"] == "awsvpc"
    assert task["RequiresCompatibilities"] == ["FARGATE"]


def test_arm64_profile_builds_an_arm64_image() -> None:
    arm = synthesize("dev", {"config.cpu_architecture": "ARM64"})
    assert one(arm, "AWS::ECS::TaskDefinition")["RuntimePlatform"]["CpuArchitecture"] == "ARM64"
    assets = [a for a in arm.app.node.find_all() if a.node.id == "ImageAsset"]
    assert len(assets) == 1


def test_container_is_read_only_non_root_unprivileged_with_init_and_stop_timeout(each_profile: Synthesized) -> None:
    app = container(each_profile)
    assert app["ReadonlyRootFilesystem"] is True
    assert app["User"] == "10001:10001"
    assert app["Privileged"] is False
    assert app["LinuxParameters"]["InitProcessEnabled"] is True
    assert app["StopTimeout"] == CONTRACT.stop_timeout.to_seconds() == 30
    assert app["MountPoints"] == [{"ContainerPath": "/tmp", "ReadOnly": False, "SourceVolume": "scratch"}]
    assert int(next(e["Value"] for e in app["Environment"] if e["Name"] == "DRAIN_SECONDS")) < app["StopTimeout"]


def test_container_health_check_probes_health_over_https(dev: Synthesized) -> None:
    check = container(dev)["HealthCheck"]
    assert check["Command"] == ["CMD", "python", "-m", "payments_service.healthcheck"]
    assert (check["Interval"], check["Retries"], check["StartPeriod"]) == (15, 3, 15)


def test_container_logs_go_to_the_kms_log_group_of_the_security_stack(dev: Synthesized) -> None:
    logging = container(dev)["LogConfiguration"]
    assert logging["LogDriver"] == "awslogs"
    group = dev.logical_id(dev.stacks.security.app_log_group)
    assert logging["Options"]["awslogs-group"]["Fn::ImportValue"].startswith(
        f"payments-dev-Security:ExportsOutputRef{group}"
    )
    assert logging["Options"]["mode"] == "non-blocking"


def test_processor_credentials_come_from_secrets_manager_not_plain_environment(dev: Synthesized) -> None:
    app = container(dev)
    (secret,) = app["Secrets"]
    assert secret["Name"] == "PAYMENT_PROCESSOR_CREDENTIALS"
    assert secret["ValueFrom"]["Fn::ImportValue"].startswith("payments-dev-Security:ExportsOutputRefProcessorSecret")
    for variable in app["Environment"]:
        assert not any(word in variable["Name"] for word in ("SECRET", "PASSWORD", "CREDENTIAL", "TOKEN", "KEY"))


def test_image_is_built_from_the_reference_service_and_pushed_to_the_bootstrap_repository(dev: Synthesized) -> None:
    image = container(dev)["Image"]["Fn::Sub"]
    assert image.startswith("111111111111.dkr.ecr.us-east-1.${AWS::URLSuffix}/cdk-hnb659fds-container-assets-")
    assert "docker.io" not in image


def test_configured_ecr_image_is_pulled_by_digest() -> None:
    uri = "222222222222.dkr.ecr.us-east-1.amazonaws.com/payments@sha256:" + "a" * 64
    pinned = synthesize("dev", {"config.container_image": uri})
    image = container(pinned)["Image"]["Fn::Join"][1]
    assert "".join(part if isinstance(part, str) else "" for part in image).endswith("/payments@sha256:" + "a" * 64)
    pull = statements(pinned, "RolesExecutionPolicy")["PullImage"]
    assert pull["Resource"] == "arn:aws:ecr:us-east-1:222222222222:repository/payments"


def test_execution_role_can_pull_this_image_write_this_log_group_and_read_this_secret(dev: Synthesized) -> None:
    found = statements(dev, "RolesExecutionPolicy")
    assert set(found) == {"EcrLogin", "PullImage", "WriteAppLogs", "ReadProcessorSecret", "DecryptWithDataKey"}
    assert found["EcrLogin"]["Action"] == "ecr:GetAuthorizationToken"
    assert found["PullImage"]["Resource"].endswith(":repository/cdk-hnb659fds-container-assets-111111111111-us-east-1")
    assert found["WriteAppLogs"]["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert "AppLogGroup" in found["WriteAppLogs"]["Resource"]["Fn::ImportValue"]
    assert found["DecryptWithDataKey"]["Condition"] == {
        "StringEquals": {"kms:ViaService": "secretsmanager.us-east-1.amazonaws.com"}
    }


def test_task_role_may_do_nothing_because_the_service_calls_no_aws_api(dev: Synthesized) -> None:
    (task,) = dev.properties(COMPUTE, "AWS::ECS::TaskDefinition")
    role_id = task["TaskRoleArn"]["Fn::GetAtt"][0]
    role = dev.resources(COMPUTE, "AWS::IAM::Role")[role_id]["Properties"]
    assert "ManagedPolicyArns" not in role
    assert "Policies" not in role
    assert [p for p in dev.properties(COMPUTE, "AWS::IAM::ManagedPolicy") if "Roles" in p] == []


def test_the_reference_service_imports_no_aws_sdk() -> None:
    """Why the task role is empty: the service gets its secret from ECS and emits metrics as log lines."""
    sources = (ROOT / "service" / "payments_service").rglob("*.py")
    assert not [
        path
        for path in sources
        if re.search(r"^\s*(import|from)\s+(boto3|botocore|aiobotocore)", path.read_text(), re.M)
    ]


def test_no_role_has_a_wildcard_action_or_an_inline_policy(dev: Synthesized) -> None:
    assert dev.resources(COMPUTE, "AWS::IAM::Policy") == {}
    for role in dev.properties(COMPUTE, "AWS::IAM::Role"):
        assert "Policies" not in role
    for policy in dev.properties(COMPUTE, "AWS::IAM::ManagedPolicy"):
        for statement in policy["PolicyDocument"]["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            assert not any(action == "*" or action.endswith(":*") for action in actions)
            if statement["Resource"] == "*":
                assert statement["Sid"] == "EcrLogin"


def test_roles_trust_only_ecs_tasks_of_this_account(dev: Synthesized) -> None:
    for role in dev.properties(COMPUTE, "AWS::IAM::Role"):
        (statement,) = role["AssumeRolePolicyDocument"]["Statement"]
        assert statement["Principal"] == {"Service": "ecs-tasks.amazonaws.com"}
        assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": "111111111111"}


def test_execution_role_trust_needs_no_source_arn(dev: Synthesized) -> None:
    """ECS documents only aws:SourceAccount for assuming the execution role; requiring more would stop tasks."""
    (task,) = dev.properties(COMPUTE, "AWS::ECS::TaskDefinition")
    role = dev.resources(COMPUTE, "AWS::IAM::Role")[task["ExecutionRoleArn"]["Fn::GetAtt"][0]]["Properties"]
    (statement,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": "111111111111"}}


def test_service_keeps_a_task_per_zone_and_rolls_back_failed_deployments(each_profile: Synthesized) -> None:
    service = one(each_profile, "AWS::ECS::Service")
    config = each_profile.config
    assert service["DesiredCount"] == config.desired_tasks >= config.min_tasks >= config.az_count
    deployment = service["DeploymentConfiguration"]
    assert deployment["DeploymentCircuitBreaker"] == {"Enable": True, "Rollback": True}
    assert (deployment["MinimumHealthyPercent"], deployment["MaximumPercent"]) == (100, 200)
    assert service["HealthCheckGracePeriodSeconds"] == 60
    assert service["EnableExecuteCommand"] is False


def test_tasks_run_in_private_subnets_without_public_ips(each_profile: Synthesized) -> None:
    network = one(each_profile, "AWS::ECS::Service")["NetworkConfiguration"]["AwsvpcConfiguration"]
    assert network["AssignPublicIp"] == "DISABLED"
    assert all("PrivateSubnet" in s["Fn::ImportValue"] for s in network["Subnets"])
    assert len(network["Subnets"]) == each_profile.config.az_count


def test_service_waits_for_nat_gateways_and_endpoints(dev: Synthesized) -> None:
    waited = {dependency.node.path for dependency in dev.stacks.compute.payments.service.node.dependencies}
    endpoints = {f"Network/Network/Vpc/{name}" for name in INTERFACE_ENDPOINTS} | {
        f"Network/Network/Vpc/{name}" for name in GATEWAY_ENDPOINTS
    }
    nat_routes = {f"Network/Network/Vpc/PrivateSubnet{zone}/DefaultRoute" for zone in (1, 2)}
    assert endpoints | nat_routes <= waited
    # Across stacks CDK turns these into a stack dependency: CloudFormation finishes Network first.
    assert "Network" in {stack.node.id for stack in dev.stacks.compute.dependencies}


@pytest.mark.parametrize(
    ("metric", "target"),
    [("ECSServiceAverageCPUUtilization", 60), ("ECSServiceAverageMemoryUtilization", 70)],
)
def test_autoscaling_tracks_cpu_and_memory_with_slow_scale_in(dev: Synthesized, metric: str, target: int) -> None:
    configs = [
        p["TargetTrackingScalingPolicyConfiguration"]
        for p in dev.properties(COMPUTE, "AWS::ApplicationAutoScaling::ScalingPolicy")
    ]
    (policy,) = [c for c in configs if c["PredefinedMetricSpecification"]["PredefinedMetricType"] == metric]
    assert policy["TargetValue"] == target
    assert policy["ScaleOutCooldown"] == SCALE_OUT_COOLDOWN.to_seconds() == 60
    assert policy["ScaleInCooldown"] == SCALE_IN_COOLDOWN.to_seconds() == 300


def test_autoscaling_tracks_alb_requests_per_target(each_profile: Synthesized) -> None:
    configs = [
        p["TargetTrackingScalingPolicyConfiguration"]
        for p in each_profile.properties(COMPUTE, "AWS::ApplicationAutoScaling::ScalingPolicy")
    ]
    (policy,) = [
        c for c in configs if c["PredefinedMetricSpecification"]["PredefinedMetricType"] == "ALBRequestCountPerTarget"
    ]
    assert policy["TargetValue"] == each_profile.config.requests_per_target
    label = policy["PredefinedMetricSpecification"]["ResourceLabel"]["Fn::Join"][1]
    assert label[-1] == {
        "Fn::GetAtt": [
            each_profile.logical_id(each_profile.stacks.compute.load_balancer.target_group),
            "TargetGroupFullName",
        ]
    }


def test_scaling_range_comes_from_config(each_profile: Synthesized) -> None:
    target = one(each_profile, "AWS::ApplicationAutoScaling::ScalableTarget")
    assert (target["MinCapacity"], target["MaxCapacity"]) == (
        each_profile.config.min_tasks,
        each_profile.config.max_tasks,
    )


def test_outputs_give_the_https_url_alb_cluster_and_service(dev: Synthesized, staging: Synthesized) -> None:
    outputs = {name: o for name, o in dev.documents[COMPUTE]["Outputs"].items() if "Export" not in o}
    assert set(outputs) == {"ServiceUrl", "LoadBalancerDnsName", "ClusterName", "ServiceName"}
    assert outputs["ServiceUrl"]["Value"] == "https://payments.dev.example.com"
    imported = staging.documents[COMPUTE]["Outputs"]["ServiceUrl"]["Value"]["Fn::Join"][1]
    assert imported[0] == "https://"


def test_service_name_resolves_to_the_alb(dev: Synthesized) -> None:
    record = one(dev, "AWS::Route53::RecordSet")
    assert (record["Name"], record["Type"], record["HostedZoneId"]) == (
        "payments.dev.example.com.",
        "A",
        "Z0EXAMPLEDEV000000001",
    )
