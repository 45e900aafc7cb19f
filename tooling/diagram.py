"""Architecture diagram generated from the synthesized templates (Mermaid), kept in docs/ARCHITECTURE.md.

Nodes are the app's main resources, grouped per stack; edges are the references between them found in
the templates (Ref, GetAtt, and cross-stack imports resolved to their exporting resource), so the
diagram cannot drift from the code. `make diagram` rewrites the block; a test fails when it is stale.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator, Mapping
from typing import Any

from aws_cdk.assertions import Template

from settings.profiles import DEFAULT_PROFILE
from tooling.blocks import replace_block
from tooling.synthesis import ROOT, build_profile

ARCHITECTURE = ROOT / "docs" / "ARCHITECTURE.md"
NAME = "diagram"
PROFILE = DEFAULT_PROFILE

# Resource types drawn, with their label. Types with many resources are drawn once, with a count.
LABELS: dict[str, str] = {
    "AWS::KMS::Key": "KMS key",
    "AWS::S3::Bucket": "S3 bucket",
    "AWS::Logs::LogGroup": "log group",
    "AWS::WAFv2::WebACL": "WAF web ACL",
    "AWS::KinesisFirehose::DeliveryStream": "Firehose archive stream",
    "AWS::SecretsManager::Secret": "secret",
    "AWS::CertificateManager::Certificate": "ACM certificate",
    "AWS::EC2::VPC": "VPC",
    "AWS::EC2::NatGateway": "NAT gateway",
    "AWS::EC2::VPCEndpoint": "VPC endpoint",
    "AWS::EC2::FlowLog": "flow log",
    "AWS::ElasticLoadBalancingV2::LoadBalancer": "ALB",
    "AWS::ElasticLoadBalancingV2::Listener": "listener",
    "AWS::ElasticLoadBalancingV2::TargetGroup": "target group",
    "AWS::ECS::Cluster": "ECS cluster",
    "AWS::ECS::Service": "Fargate service",
    "AWS::ECS::TaskDefinition": "task definition",
    "AWS::CloudWatch::Alarm": "alarm",
    "AWS::CloudWatch::CompositeAlarm": "composite alarm (pages)",
    "AWS::SNS::Topic": "SNS topic",
    "AWS::CloudWatch::Dashboard": "dashboard",
    "AWS::Budgets::Budget": "cost budget",
}
# Resources that join two others: drawn as an edge between them, not as a node.
CONNECTORS: dict[str, tuple[str, str, str]] = {
    "AWS::WAFv2::WebACLAssociation": ("WebACLArn", "ResourceArn", "protects"),
    "AWS::Logs::SubscriptionFilter": ("LogGroupName", "DestinationArn", "archived by"),
    "AWS::WAFv2::LoggingConfiguration": ("ResourceArn", "LogDestinationConfigs", "logs to"),
}
# Resources that reference nearly everything: drawn, but their references would only add noise.
QUIET = {"AWS::CloudWatch::Dashboard"}
GROUPED = {"AWS::EC2::VPCEndpoint", "AWS::EC2::NatGateway", "AWS::CloudWatch::Alarm", "AWS::SNS::Topic",
           "AWS::ElasticLoadBalancingV2::Listener"}  # fmt: skip


def references(value: Any) -> Iterator[tuple[str | None, str]]:
    """(import name or None, logical id or export) of every Ref, GetAtt and ImportValue inside `value`."""
    if isinstance(value, dict):
        if "Ref" in value and isinstance(value["Ref"], str):
            yield None, value["Ref"]
        elif "Fn::GetAtt" in value:
            yield None, value["Fn::GetAtt"][0]
        elif "Fn::ImportValue" in value and isinstance(value["Fn::ImportValue"], str):
            yield value["Fn::ImportValue"], ""
        else:
            for item in value.values():
                yield from references(item)
    elif isinstance(value, list):
        for item in value:
            yield from references(item)


def render(documents: Mapping[str, Mapping[str, Any]]) -> str:
    exports: dict[str, tuple[str, str]] = {}
    for stack, document in documents.items():
        for output in document.get("Outputs", {}).values():
            if "Export" in output:
                (_, target), *_ = list(references(output["Value"])) or [(None, "")]
                exports[output["Export"]["Name"]] = (stack, target)

    node_of: dict[tuple[str, str], str] = {}
    lines = ["flowchart LR", '  internet(["Internet"])']
    for stack, document in documents.items():
        lines.append(f'  subgraph {stack}["{stack} stack"]')
        counts: dict[str, list[str]] = {}
        for logical_id, resource in document["Resources"].items():
            if resource["Type"] in LABELS:
                counts.setdefault(resource["Type"], []).append(logical_id)
        for resource_type, logical_ids in counts.items():
            label = LABELS[resource_type]
            if resource_type in GROUPED:
                node = f"{stack}_{re.sub(r'[^A-Za-z0-9]', '', label)}"
                lines.append(f'    {node}["{len(logical_ids)} x {label}"]')
                node_of.update({(stack, logical_id): node for logical_id in logical_ids})
            else:
                for logical_id in sorted(logical_ids):
                    resource_node = f"{stack}_{logical_id}"
                    name = re.sub(r"[0-9A-F]{8}$", "", logical_id)
                    lines.append(f'    {resource_node}["{label}: {name}"]')
                    node_of[(stack, logical_id)] = resource_node
        lines.append("  end")

    def targets(stack: str, value: Any) -> Iterator[str]:
        for imported, logical_id in references(value):
            source = exports.get(imported, (stack, "")) if imported else (stack, logical_id)
            if source in node_of:
                yield node_of[source]

    edges: set[tuple[str, str, str]] = set()
    for stack, document in documents.items():
        for logical_id, resource in document["Resources"].items():
            properties = resource.get("Properties", {})
            if resource["Type"] in CONNECTORS:
                left, right, verb = CONNECTORS[resource["Type"]]
                for a in targets(stack, properties.get(left)):
                    for b in targets(stack, properties.get(right)):
                        edges.add((a, verb, b))
            drawn = node_of.get((stack, logical_id))
            if drawn is None or resource["Type"] in QUIET:
                continue
            for target in targets(stack, properties):
                if target != drawn:
                    edges.add((drawn, "uses", target))
            if properties.get("Scheme") == "internet-facing":
                edges.add(("internet", "HTTPS 443, HTTP 80 redirects", drawn))
    lines += [f"  {a} -->|{verb}| {b}" for a, verb, b in sorted(edges)]
    return "\n".join(lines)


def fenced(documents: Mapping[str, Mapping[str, Any]]) -> str:
    return f"```mermaid\n{render(documents)}\n```"


def main() -> int:
    _, _, stacks = build_profile(PROFILE)
    documents = {stack.node.id: Template.from_stack(stack).to_json() for stack in stacks.all()}
    ARCHITECTURE.write_text(replace_block(ARCHITECTURE.read_text(), NAME, fenced(documents), "make diagram"))
    print(f"updated the diagram in {ARCHITECTURE.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
