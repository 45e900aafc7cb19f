"""What one stack hands another, followed through the exports the way CloudFormation resolves them.

A construct test proves a construct does the right thing with what it is given; these prove each stack is
given the right thing: the alarms watch this app's ALB, the tasks log to the Security stack's KMS log group,
the flow logs land in the Security stack's bucket. Every region of every profile.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from components.endpoints import GATEWAY_ENDPOINTS, INTERFACE_ENDPOINTS
from settings import EnvironmentConfig
from settings.naming import SERVICE_CONTAINER
from stacks.payment_app import STANDBY_PREFIX, PaymentServiceStacks
from tests.support.alarms import metric_stats
from tests.support.synthesized import Synthesized


@dataclass(frozen=True)
class Region:
    """One region's four stacks, their templates by unprefixed stack name, and its exports."""

    config: EnvironmentConfig
    stacks: PaymentServiceStacks
    synthesized: Synthesized
    documents: dict[str, dict[str, Any]]

    def logical_id(self, construct: Any) -> str:
        return self.synthesized.logical_id(construct)

    def resources(self, stack: str) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = self.documents[stack]["Resources"]
        return found

    def one(self, stack: str, resource_type: str) -> dict[str, Any]:
        (found,) = [r["Properties"] for r in self.resources(stack).values() if r["Type"] == resource_type]
        return dict(found)

    def exported(self, value: Any) -> tuple[str, Any]:
        """The producing stack and value of an `Fn::ImportValue`."""
        assert isinstance(value, dict), value
        assert "Fn::ImportValue" in value, value
        for stack, document in self.documents.items():
            for output in document.get("Outputs", {}).values():
                if output.get("Export", {}).get("Name") == value["Fn::ImportValue"]:
                    return stack, output["Value"]
        raise AssertionError(f"no stack of this region exports {value['Fn::ImportValue']}")

    def imported(self, value: Any, resource_type: str, attribute: str = "Ref") -> tuple[str, str]:
        """(stack, logical id) of the `resource_type` whose `attribute` (or Ref) `value` imports."""
        stack, produced = self.exported(value)
        if attribute == "Ref":
            logical_id = produced["Ref"]
        else:
            logical_id, produced_attribute = produced["Fn::GetAtt"]
            assert produced_attribute == attribute, (produced_attribute, attribute)
        assert self.resources(stack)[logical_id]["Type"] == resource_type
        return stack, str(logical_id)


def regions(synthesized: Synthesized) -> Iterator[Region]:
    yield Region(synthesized.config, synthesized.stacks, synthesized, synthesized.documents)
    if synthesized.stacks.standby is not None:
        documents = {s.removeprefix(STANDBY_PREFIX): d for s, d in synthesized.standby_documents.items()}
        yield Region(synthesized.config.standby(), synthesized.stacks.standby, synthesized, documents)


def load_balancer_of(region: Region, value: Any) -> str:
    """The ALB a LoadBalancer dimension names: its full-name attribute, or `app/<name>/<id>` cut from a
    listener ARN of that ALB (how CDK's target group metric helpers build it)."""
    if "Fn::ImportValue" in value:
        return region.imported(value, "AWS::ElasticLoadBalancingV2::LoadBalancer", "LoadBalancerFullName")[1]
    parts = value["Fn::Join"][1]
    assert parts[1::2] == ["/", "/"]
    selects = [part["Fn::Select"] for part in parts[0::2]]
    assert [index for index, _ in selects] == [1, 2, 3]
    (listener_import,) = {json.dumps(split["Fn::Split"][1]) for _, split in selects}
    _, listener = region.imported(json.loads(listener_import), "AWS::ElasticLoadBalancingV2::Listener")
    return str(region.resources("Compute")[listener]["Properties"]["LoadBalancerArn"]["Ref"])


def test_every_alarm_dimension_resolves_to_a_resource_of_this_app(each_profile: Synthesized) -> None:
    """An alarm on a metric no resource publishes never fires (the seed's bare-id dimensions)."""
    for region in regions(each_profile):
        compute = region.stacks.compute
        alb = region.logical_id(compute.load_balancer.load_balancer)
        target_group = region.logical_id(compute.load_balancer.target_group)
        acl = region.one("Security", "AWS::WAFv2::WebACL")
        app = next(
            c
            for c in region.one("Compute", "AWS::ECS::TaskDefinition")["ContainerDefinitions"]
            if c["Name"] == SERVICE_CONTAINER
        )
        environment = {variable["Name"]: variable["Value"] for variable in app["Environment"]}
        checked = 0
        for alarm_construct in region.stacks.observability.alarms.alarms.values():
            name = alarm_construct.node.id
            alarm = region.resources("Observability")[region.logical_id(alarm_construct)]["Properties"]
            for metric in metric_stats(alarm):
                dimensions = {d["Name"]: d["Value"] for d in metric["Dimensions"]}
                namespace = metric["Namespace"]
                if namespace == "AWS/ApplicationELB":
                    assert load_balancer_of(region, dimensions.pop("LoadBalancer")) == alb, name
                    if "TargetGroup" in dimensions:
                        _, resolved = region.imported(
                            dimensions.pop("TargetGroup"),
                            "AWS::ElasticLoadBalancingV2::TargetGroup",
                            "TargetGroupFullName",
                        )
                        assert resolved == target_group, name
                elif namespace in ("AWS/ECS", "ECS/ContainerInsights"):
                    cluster = region.imported(dimensions.pop("ClusterName"), "AWS::ECS::Cluster")[1]
                    service = region.imported(dimensions.pop("ServiceName"), "AWS::ECS::Service", "Name")[1]
                    assert cluster == region.logical_id(compute.payments.cluster), name
                    assert service == region.logical_id(compute.payments.service), name
                elif namespace == "AWS/WAFV2":
                    assert dimensions.pop("WebACL") == acl["Name"], name
                    assert dimensions.pop("Region") == region.config.region, name
                    rules = ("ALL", *(rule["VisibilityConfig"]["MetricName"] for rule in acl["Rules"]))
                    assert dimensions.pop("Rule") in rules, name
                else:
                    # Business metrics: exactly the namespace and dimensions the container is told to emit.
                    assert namespace == environment["METRICS_NAMESPACE"], name
                    assert dimensions.pop("Service") == environment["SERVICE_NAME"]
                    assert dimensions.pop("Environment") == environment["ENVIRONMENT"]
                assert dimensions == {}, (name, dimensions)
                checked += 1
        assert checked >= len(region.stacks.observability.alarms.alarms)


def test_no_alb_dimension_is_a_bare_id_or_name(each_profile: Synthesized) -> None:
    for region in regions(each_profile):
        text = json.dumps(region.documents["Observability"])
        assert "LoadBalancerName" not in text
        assert "TargetGroupName" not in text


def test_the_vpc_flow_log_writes_to_the_security_stacks_flow_log_bucket(each_profile: Synthesized) -> None:
    for region in regions(each_profile):
        flow_log = region.one("Network", "AWS::EC2::FlowLog")
        assert flow_log["ResourceId"] == {"Ref": region.logical_id(region.stacks.network.vpc)}
        bucket, suffix = flow_log["LogDestination"]["Fn::Join"][1]
        assert region.imported(bucket, "AWS::S3::Bucket", "Arn") == (
            "Security",
            region.logical_id(region.stacks.security.flow_log_bucket),
        )
        assert suffix == "/vpc-flow-logs/"


def test_the_alb_is_guarded_by_the_security_stacks_web_acl_and_logs_to_its_bucket(each_profile: Synthesized) -> None:
    for region in regions(each_profile):
        association = region.one("Compute", "AWS::WAFv2::WebACLAssociation")
        assert association["ResourceArn"] == {
            "Ref": region.logical_id(region.stacks.compute.load_balancer.load_balancer)
        }
        stack, _acl = region.imported(association["WebACLArn"], "AWS::WAFv2::WebACL", "Arn")
        assert stack == "Security"
        attributes = {
            a["Key"]: a["Value"]
            for a in region.one("Compute", "AWS::ElasticLoadBalancingV2::LoadBalancer")["LoadBalancerAttributes"]
        }
        assert region.imported(attributes["access_logs.s3.bucket"], "AWS::S3::Bucket") == (
            "Security",
            region.logical_id(region.stacks.security.alb_log_bucket),
        )


def test_the_https_listener_serves_the_security_stacks_certificate_or_the_configured_one(
    each_profile: Synthesized,
) -> None:
    for region in regions(each_profile):
        listeners = [
            r["Properties"]
            for r in region.resources("Compute").values()
            if r["Type"] == "AWS::ElasticLoadBalancingV2::Listener" and r["Properties"]["Port"] == 443
        ]
        ((certificate,),) = [listener["Certificates"] for listener in listeners]
        if region.config.tls.certificate_arn:
            assert certificate["CertificateArn"] == region.config.tls.certificate_arn
        else:
            stack, _ = region.imported(certificate["CertificateArn"], "AWS::CertificateManager::Certificate")
            assert stack == "Security"


def test_tasks_log_to_the_security_stacks_kms_log_group_and_read_its_secret(each_profile: Synthesized) -> None:
    for region in regions(each_profile):
        security = region.stacks.security
        task = region.one("Compute", "AWS::ECS::TaskDefinition")
        for container in task["ContainerDefinitions"]:
            group = container["LogConfiguration"]["Options"]["awslogs-group"]
            assert region.imported(group, "AWS::Logs::LogGroup") == (
                "Security",
                region.logical_id(security.app_log_group),
            )
        (app,) = [c for c in task["ContainerDefinitions"] if c["Name"] == SERVICE_CONTAINER]
        (secret,) = app["Secrets"]
        assert region.imported(secret["ValueFrom"], "AWS::SecretsManager::Secret") == (
            "Security",
            region.logical_id(security.processor_secret),
        )


def test_the_service_starts_only_after_nat_routes_and_endpoints_exist(each_profile: Synthesized) -> None:
    """Tasks pull their image and secret at start; without egress they fail and the deploy rolls back."""
    for region in regions(each_profile):
        network, compute = region.stacks.network, region.stacks.compute
        waited = {dependency.node.path for dependency in compute.payments.service.node.dependencies}
        vpc = f"{network.node.id}/Network/Vpc"
        endpoints = {f"{vpc}/{name}" for name in (*INTERFACE_ENDPOINTS, *GATEWAY_ENDPOINTS)}
        nat_routes = {f"{subnet.node.path}/DefaultRoute" for subnet in network.vpc.private_subnets}
        assert len(nat_routes) == region.config.network.az_count
        assert endpoints | nat_routes <= waited
        # Across stacks CDK turns these into a stack dependency: CloudFormation finishes Network first.
        assert network in compute.dependencies


def test_buckets_written_by_alb_or_s3_access_logging_use_the_encryption_those_writers_support(
    each_profile: Synthesized,
) -> None:
    """ALB access logs and S3 server access logs are delivered only to SSE-S3 buckets (a KMS default key makes
    delivery fail silently); every other bucket is SSE-KMS under the data key."""
    for region in regions(each_profile):
        security = region.stacks.security
        attributes = {
            a["Key"]: a["Value"]
            for a in region.one("Compute", "AWS::ElasticLoadBalancingV2::LoadBalancer")["LoadBalancerAttributes"]
        }
        sse_s3 = {region.imported(attributes["access_logs.s3.bucket"], "AWS::S3::Bucket")[1]}
        for resource in region.resources("Security").values():
            target = resource.get("Properties", {}).get("LoggingConfiguration", {}).get("DestinationBucketName")
            if target is not None:
                sse_s3.add(target["Ref"])
        data_key = region.logical_id(security.data_key)
        for logical_id, bucket in region.resources("Security").items():
            if bucket["Type"] != "AWS::S3::Bucket":
                continue
            (rule,) = bucket["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"]
            default = rule["ServerSideEncryptionByDefault"]
            if logical_id in sse_s3:
                assert default == {"SSEAlgorithm": "AES256"}, logical_id
            else:
                assert default == {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": {"Fn::GetAtt": [data_key, "Arn"]}}, (
                    logical_id
                )
