"""The synthesized templates as CloudFormation would deploy them: every Ref, GetAtt, Join, Sub, Select,
Split and ImportValue resolved to the physical name or ARN the resource would get, across stacks and
regions, so that policies can be evaluated against the concrete requests AWS services make.

Generated names are stand-ins (`<stack>-<logical id>-generated`), used consistently: a policy and a
request that name the same resource resolve to the same string. Written here rather than taken from a
library because the one maintained Python resolver (cloud-radar) leaves every Ref and GetAtt for the
caller to supply, which is the part this module exists for.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

NO_VALUE = object()


class UnresolvableError(ValueError):
    """A template value this model cannot turn into a string; the message says where."""


def _arn(service: str, region: str, account: str, resource: str) -> str:
    return f"arn:aws:{service}:{region}:{account}:{resource}"


@dataclass
class DeployedStack:
    """One stack's template with its account, region and stack name."""

    stack_name: str
    construct_id: str
    account: str
    region: str
    template: Mapping[str, Any]
    app: DeployedApp = field(repr=False, default=None)  # type: ignore[assignment]

    @property
    def resources(self) -> Mapping[str, Mapping[str, Any]]:
        found: Mapping[str, Mapping[str, Any]] = self.template.get("Resources", {})
        return found

    def of_type(self, resource_type: str) -> dict[str, Mapping[str, Any]]:
        """Logical id -> properties of every resource of `resource_type`."""
        return {
            logical_id: resource.get("Properties", {})
            for logical_id, resource in self.resources.items()
            if resource["Type"] == resource_type
        }

    def properties(self, logical_id: str) -> Mapping[str, Any]:
        found: Mapping[str, Any] = self.resources[logical_id].get("Properties", {})
        return found

    def resolved(self, logical_id: str) -> dict[str, Any]:
        """The resource's properties with every intrinsic function resolved."""
        value = self.resolve(self.properties(logical_id))
        assert isinstance(value, dict)
        return value

    # -- physical names -------------------------------------------------------------------------------

    def _generated(self, logical_id: str, lower: bool = False, limit: int = 255) -> str:
        # Stacks have the same names in both regions; CloudFormation's random suffix keeps global names (IAM
        # roles, S3 buckets) apart, which the region stands in for here.
        # Truncated before the region, which must survive: two regions' buckets of the same logical id would
        # otherwise resolve to one name (CloudFormation's random suffix keeps them apart).
        name = f"{self.stack_name}-{logical_id}"[: limit - len(self.region) - 1] + f"-{self.region}"
        return name.lower() if lower else name

    def name(self, logical_id: str) -> str:
        """The physical name of a named resource type, set or generated."""
        resource_type = self.resources[logical_id]["Type"]
        props = self.properties(logical_id)
        explicit = {
            "AWS::S3::Bucket": "BucketName",
            "AWS::Logs::LogGroup": "LogGroupName",
            "AWS::IAM::Role": "RoleName",
            "AWS::IAM::ManagedPolicy": "ManagedPolicyName",
            "AWS::SNS::Topic": "TopicName",
            "AWS::KinesisFirehose::DeliveryStream": "DeliveryStreamName",
            "AWS::ECS::Cluster": "ClusterName",
            "AWS::ECS::Service": "ServiceName",
            "AWS::CloudWatch::Alarm": "AlarmName",
            "AWS::CloudWatch::CompositeAlarm": "AlarmName",
            "AWS::WAFv2::WebACL": "Name",
            "AWS::ElasticLoadBalancingV2::LoadBalancer": "Name",
            "AWS::ElasticLoadBalancingV2::TargetGroup": "Name",
            "AWS::SecretsManager::Secret": "Name",
            "AWS::Budgets::Budget": "BudgetName",
            "AWS::DynamoDB::Table": "TableName",
            "AWS::SQS::Queue": "QueueName",
        }.get(resource_type)
        if explicit == "BudgetName":
            value = props.get("Budget", {}).get("BudgetName")
        else:
            value = props.get(explicit) if explicit else None
        if value is not None:
            return str(self.resolve(value))
        if resource_type == "AWS::S3::Bucket":
            return self._generated(logical_id, lower=True, limit=63)
        if resource_type in ("AWS::ElasticLoadBalancingV2::LoadBalancer", "AWS::ElasticLoadBalancingV2::TargetGroup"):
            return logical_id[:32]
        return self._generated(logical_id)

    def ref(self, logical_id: str) -> Any:
        """What `Ref` returns for the resource."""
        if logical_id.startswith("AWS::"):
            return self._pseudo(logical_id)
        if logical_id not in self.resources:
            raise UnresolvableError(f"{self.construct_id}: Ref to {logical_id}, which is not in the template")
        resource_type = self.resources[logical_id]["Type"]
        region, account = self.region, self.account
        name = self.name(logical_id) if resource_type in _NAMED else None
        if resource_type == "AWS::SNS::Topic":
            return _arn("sns", region, account, str(name))
        if resource_type == "AWS::SQS::Queue":  # its URL
            return f"https://sqs.{region}.amazonaws.com/{account}/{name}"
        if resource_type == "AWS::IAM::ManagedPolicy":
            return f"arn:aws:iam::{account}:policy/{name}"
        if resource_type == "AWS::SecretsManager::Secret":
            return _arn("secretsmanager", region, account, f"secret:{name}-AbCdEf")
        if resource_type == "AWS::KMS::Key":
            return f"{logical_id.lower()}-{self.region}"
        if resource_type == "AWS::ECS::Service":
            cluster = self.resolve(self.properties(logical_id)["Cluster"])
            return _arn("ecs", region, account, f"service/{cluster}/{name}")
        if resource_type in ("AWS::ElasticLoadBalancingV2::LoadBalancer", "AWS::ElasticLoadBalancingV2::TargetGroup"):
            return self.attribute(logical_id, "Arn")
        if resource_type == "AWS::ElasticLoadBalancingV2::Listener":
            balancer = str(self.resolve(self.properties(logical_id)["LoadBalancerArn"]))
            return balancer.replace(":loadbalancer/", ":listener/") + f"/{logical_id.lower()}"
        if resource_type == "AWS::CertificateManager::Certificate":
            return _arn("acm", region, account, f"certificate/{logical_id.lower()}")
        if name is not None:
            return name
        return f"{logical_id}-physical-id"

    def attribute(self, logical_id: str, attribute: str) -> Any:
        """What `Fn::GetAtt` returns for the resource's attribute."""
        if logical_id not in self.resources:
            raise UnresolvableError(f"{self.construct_id}: GetAtt {logical_id}.{attribute}: no such resource")
        resource_type = self.resources[logical_id]["Type"]
        region, account = self.region, self.account
        if attribute == "Arn":
            name = self.name(logical_id) if resource_type in _NAMED else None
            arns = {
                "AWS::S3::Bucket": lambda: f"arn:aws:s3:::{name}",
                "AWS::KMS::Key": lambda: _arn("kms", region, account, f"key/{self.ref(logical_id)}"),
                "AWS::Logs::LogGroup": lambda: _arn("logs", region, account, f"log-group:{name}:*"),
                "AWS::IAM::Role": lambda: f"arn:aws:iam::{account}:role/{name}",
                "AWS::KinesisFirehose::DeliveryStream": lambda: _arn(
                    "firehose", region, account, f"deliverystream/{name}"
                ),
                "AWS::ECS::Cluster": lambda: _arn("ecs", region, account, f"cluster/{name}"),
                "AWS::CloudWatch::Alarm": lambda: _arn("cloudwatch", region, account, f"alarm:{name}"),
                "AWS::CloudWatch::CompositeAlarm": lambda: _arn("cloudwatch", region, account, f"alarm:{name}"),
                "AWS::WAFv2::WebACL": lambda: _arn("wafv2", region, account, f"regional/webacl/{name}/{logical_id}-id"),
                "AWS::ElasticLoadBalancingV2::LoadBalancer": lambda: _arn(
                    "elasticloadbalancing", region, account, f"loadbalancer/app/{name}/0123456789abcdef"
                ),
                "AWS::ElasticLoadBalancingV2::TargetGroup": lambda: _arn(
                    "elasticloadbalancing", region, account, f"targetgroup/{name}/0123456789abcdef"
                ),
                "AWS::ECR::Repository": lambda: _arn("ecr", region, account, f"repository/{name}"),
                "AWS::DynamoDB::Table": lambda: _arn("dynamodb", region, account, f"table/{name}"),
                "AWS::SQS::Queue": lambda: _arn("sqs", region, account, str(name)),
                # Rules are named by CloudFormation; `name` gives the generated stand-in.
                "AWS::Events::Rule": lambda: _arn("events", region, account, f"rule/{self.name(logical_id)}"),
            }
            if resource_type in arns:
                return arns[resource_type]()
            if resource_type in ("AWS::SNS::Topic", "AWS::SecretsManager::Secret"):
                return self.ref(logical_id)
        if resource_type == "AWS::ElasticLoadBalancingV2::LoadBalancer":
            name = self.name(logical_id)
            values = {
                "LoadBalancerFullName": f"app/{name}/0123456789abcdef",
                "DNSName": f"{name.lower()}-123456789.{region}.elb.amazonaws.com",
                "CanonicalHostedZoneID": "Z35SXDOTRQ7X7K",
                "LoadBalancerName": name,
            }
            if attribute in values:
                return values[attribute]
        if resource_type == "AWS::ElasticLoadBalancingV2::TargetGroup" and attribute == "TargetGroupFullName":
            return f"targetgroup/{self.name(logical_id)}/0123456789abcdef"
        if resource_type == "AWS::SNS::Topic" and attribute == "TopicArn":
            return self.ref(logical_id)
        if attribute in ("Name", "TopicName", "AlarmName", "QueueName") and resource_type in _NAMED:
            return self.name(logical_id)
        return f"{logical_id}.{attribute}"

    def _pseudo(self, name: str) -> Any:
        values = {
            "AWS::AccountId": self.account,
            "AWS::Region": self.region,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": self.stack_name,
        }
        if name == "AWS::NoValue":
            return NO_VALUE
        if name not in values:
            raise UnresolvableError(f"{self.construct_id}: pseudo parameter {name}")
        return values[name]

    # -- intrinsic functions ---------------------------------------------------------------------------

    def resolve(self, value: Any) -> Any:
        """`value` with every intrinsic function evaluated."""
        if isinstance(value, list):
            return [item for item in (self.resolve(v) for v in value) if item is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, argument),) = value.items()
            if key == "Ref":
                return self.ref(argument)
            if key == "Fn::GetAtt":
                logical_id, attribute = argument if isinstance(argument, list) else argument.split(".", 1)
                return self.attribute(logical_id, attribute)
            if key == "Fn::Join":
                separator, items = argument
                return separator.join(str(item) for item in self.resolve(items))
            if key == "Fn::Select":
                index, items = argument
                return self.resolve(items)[int(self.resolve(index))]
            if key == "Fn::Split":
                separator, text = argument
                return str(self.resolve(text)).split(separator)
            if key == "Fn::Sub":
                return self._sub(argument)
            if key == "Fn::ImportValue":
                return self.app.export(self.region, str(self.resolve(argument)))
            if key.startswith("Fn::"):
                raise UnresolvableError(f"{self.construct_id}: {key} is not modelled")
        return {k: v for k, v in ((k, self.resolve(v)) for k, v in value.items()) if v is not NO_VALUE}

    def _sub(self, argument: Any) -> str:
        text, variables = (argument, {}) if isinstance(argument, str) else argument
        values = {name: self.resolve(value) for name, value in variables.items()}

        def replace(match: re.Match[str]) -> str:
            name = match[1]
            if name in values:
                return str(values[name])
            if name.startswith("AWS::"):
                return str(self._pseudo(name))
            if "." in name:
                logical_id, attribute = name.split(".", 1)
                return str(self.attribute(logical_id, attribute))
            return str(self.ref(name))

        return re.sub(r"\$\{([^}!]+)\}", replace, text)


# Types whose Ref or ARN is built from a physical name.
_NAMED = {
    "AWS::DynamoDB::Table",
    "AWS::SQS::Queue",
    "AWS::S3::Bucket",
    "AWS::Logs::LogGroup",
    "AWS::IAM::Role",
    "AWS::IAM::ManagedPolicy",
    "AWS::SNS::Topic",
    "AWS::KinesisFirehose::DeliveryStream",
    "AWS::ECS::Cluster",
    "AWS::ECS::Service",
    "AWS::CloudWatch::Alarm",
    "AWS::CloudWatch::CompositeAlarm",
    "AWS::WAFv2::WebACL",
    "AWS::ElasticLoadBalancingV2::LoadBalancer",
    "AWS::ElasticLoadBalancingV2::TargetGroup",
    "AWS::SecretsManager::Secret",
    "AWS::Budgets::Budget",
    "AWS::ECR::Repository",
}


class DeployedApp:
    """Every stack of a profile, in both regions, with the exports that join them."""

    def __init__(self, stacks: list[DeployedStack]) -> None:
        self.stacks = stacks
        for stack in stacks:
            stack.app = self
        # Exports are per region: both regions' stacks export under the same names.
        self._exports: dict[tuple[str, str], tuple[DeployedStack, Any]] = {}
        for stack in stacks:
            for output in stack.template.get("Outputs", {}).values():
                if "Export" in output:
                    export_name = str(stack.resolve(output["Export"]["Name"]))
                    self._exports[(stack.region, export_name)] = (stack, output["Value"])

    def export(self, region: str, name: str) -> Any:
        if (region, name) not in self._exports:
            raise UnresolvableError(f"ImportValue {name}: no stack in {region} exports it")
        stack, value = self._exports[(region, name)]
        return stack.resolve(value)

    def regions(self) -> list[str]:
        return list(dict.fromkeys(stack.region for stack in self.stacks))

    def in_region(self, region: str) -> list[DeployedStack]:
        return [stack for stack in self.stacks if stack.region == region]

    def resources(self, resource_type: str, region: str | None = None) -> Iterator[tuple[DeployedStack, str]]:
        """(stack, logical id) of every resource of `resource_type`, in `region` or everywhere."""
        for stack in self.stacks:
            if region is None or stack.region == region:
                for logical_id in stack.of_type(resource_type):
                    yield stack, logical_id

    def find(self, resource_type: str, physical: str, region: str | None = None) -> tuple[DeployedStack, str] | None:
        """The resource of `resource_type` whose Ref, name or ARN is `physical`."""
        for stack, logical_id in self.resources(resource_type, region):
            candidates = {str(stack.ref(logical_id))}
            if resource_type in _NAMED:
                candidates.add(stack.name(logical_id))
            arn = stack.attribute(logical_id, "Arn")
            candidates.add(str(arn))
            if physical in candidates:
                return stack, logical_id
        return None
