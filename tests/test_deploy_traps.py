"""Traps that only show at deploy time: a failed first create, a create/delete race, an export in use.

Each test reads every template of every profile in both regions, so a new resource falls under it too.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from tests.support.synthesized import ROOT, Synthesized

RUNBOOK = (ROOT / "docs" / "RUNBOOK.md").read_text()
# The property that gives each resource type a fixed physical name.
NAME_PROPERTIES = {
    "AWS::S3::Bucket": "BucketName",
    "AWS::Logs::LogGroup": "LogGroupName",
    "AWS::Logs::ResourcePolicy": "PolicyName",
    "AWS::KMS::Alias": "AliasName",
    "AWS::SecretsManager::Secret": "Name",
    "AWS::SNS::Topic": "TopicName",
    "AWS::IAM::Role": "RoleName",
    "AWS::IAM::ManagedPolicy": "ManagedPolicyName",
    "AWS::WAFv2::WebACL": "Name",
    "AWS::CloudWatch::Alarm": "AlarmName",
    "AWS::CloudWatch::CompositeAlarm": "AlarmName",
    "AWS::CloudWatch::Dashboard": "DashboardName",
    "AWS::KinesisFirehose::DeliveryStream": "DeliveryStreamName",
    "AWS::ECS::Cluster": "ClusterName",
    "AWS::DynamoDB::Table": "TableName",
}
KEPT = {"Retain", "RetainExceptOnCreate", "Snapshot"}


def resources(synthesized: Synthesized) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(stack id, logical id, resource) of every stack in every region."""
    for documents in (synthesized.documents, synthesized.standby_documents):
        for stack, template in documents.items():
            for logical_id, resource in template["Resources"].items():
                yield stack, logical_id, resource


def construct_path(resource: dict[str, Any]) -> str:
    return str(resource["Metadata"]["aws:cdk:path"]).removesuffix("/Resource")


def written_during_create(synthesized: Synthesized) -> set[tuple[str, str]]:
    """(stack, logical id) of each bucket that holds objects before its stack's create is over: one another bucket
    of its stack sends server access logs to, and one a Firehose stream of its stack delivers to while a
    subscription filter of that stack feeds it (CloudWatch Logs sends a test message on a new subscription)."""
    found = set()
    subscribed = {
        str(resource["Properties"]["DestinationArn"].get("Fn::GetAtt", [""])[0])
        for _, _, resource in resources(synthesized)
        if resource["Type"] == "AWS::Logs::SubscriptionFilter"
    }
    for stack, logical_id, resource in resources(synthesized):
        properties = resource.get("Properties", {})
        target = properties.get("LoggingConfiguration", {}).get("DestinationBucketName")
        if isinstance(target, dict) and "Ref" in target:
            found.add((stack, target["Ref"]))
        if resource["Type"] == "AWS::KinesisFirehose::DeliveryStream" and logical_id in subscribed:
            destination = (
                properties.get("ExtendedS3DestinationConfiguration") or properties["S3DestinationConfiguration"]
            )
            found.add((stack, destination["BucketARN"]["Fn::GetAtt"][0]))
    return found


def test_no_named_resource_outlives_a_failed_first_create(each_profile: Synthesized) -> None:
    """`Retain` keeps a resource when its stack's first create rolls back, and a retry then fails on its fixed
    name (AlreadyExists). RetainExceptOnCreate deletes it in that one case."""
    kept_on_rollback = [
        f"{stack}/{logical_id}"
        for stack, logical_id, resource in resources(each_profile)
        if resource.get("DeletionPolicy") == "Retain"
        and NAME_PROPERTIES.get(resource["Type"]) in resource["Properties"]
    ]
    assert kept_on_rollback == []


def test_a_bucket_written_during_its_stacks_create_survives_its_rollback(each_profile: Synthesized) -> None:
    """A rollback cannot delete a bucket that already holds objects (the stack would end in ROLLBACK_FAILED);
    such a bucket keeps plain Retain, and has no fixed name that could block the retry."""
    targets = written_during_create(each_profile)
    assert targets
    for stack, logical_id, resource in resources(each_profile):
        if (stack, logical_id) in targets:
            assert resource["DeletionPolicy"] == "Retain", f"{stack}/{logical_id}"
            assert "BucketName" not in resource["Properties"], f"{stack}/{logical_id}"


def test_retained_resources_keep_their_data_on_update_and_delete(each_profile: Synthesized) -> None:
    for stack, logical_id, resource in resources(each_profile):
        if resource.get("DeletionPolicy") in KEPT:
            assert resource.get("UpdateReplacePolicy") in KEPT, f"{stack}/{logical_id} is lost on replacement"


def test_every_retained_named_resource_has_a_recovery_step_in_the_runbook(each_profile: Synthesized) -> None:
    """A retained resource with a fixed name blocks the next create of its stack after `cdk destroy`."""
    section = RUNBOOK.split("## Retained resources with fixed names", 1)[1].split("\n## ", 1)[0]
    missing = [
        construct_path(resource)
        for _, _, resource in resources(each_profile)
        if resource.get("DeletionPolicy") in KEPT
        and NAME_PROPERTIES.get(resource["Type"]) in resource.get("Properties", {})
        and f"`{construct_path(resource)}`" not in section
    ]
    assert missing == [], "add a row with the recovery step to docs/RUNBOOK.md"


def test_every_service_on_capacity_providers_waits_for_their_association(each_profile: Synthesized) -> None:
    for documents in (each_profile.documents, each_profile.standby_documents):
        for stack, template in documents.items():
            found = template["Resources"]
            associations = {
                logical_id: resource["Properties"]["Cluster"]
                for logical_id, resource in found.items()
                if resource["Type"] == "AWS::ECS::ClusterCapacityProviderAssociations"
            }
            for logical_id, resource in found.items():
                if resource["Type"] == "AWS::ECS::Service" and "CapacityProviderStrategy" in resource["Properties"]:
                    cluster = resource["Properties"]["Cluster"]
                    needed = {a for a, target in associations.items() if target == cluster}
                    assert needed, f"{stack}/{logical_id}: no association for its cluster"
                    assert needed <= set(resource.get("DependsOn", [])), f"{stack}/{logical_id}"


def exported_types(synthesized: Synthesized) -> set[str]:
    """The resource type behind every cross-stack export."""
    found = set()
    for documents in (synthesized.documents, synthesized.standby_documents):
        for template in documents.values():
            for output in template.get("Outputs", {}).values():
                if "Export" in output:
                    logical_id = re.search(r"'(?:Ref|Fn::GetAtt)': \[?'([A-Za-z0-9]+)'", str(output["Value"]))
                    assert logical_id, output
                    found.add(template["Resources"][logical_id[1]]["Type"])
    return found


def test_every_exported_resource_type_has_its_replacement_procedure(each_profile: Synthesized) -> None:
    """CloudFormation refuses to replace a resource whose export another stack imports; the runbook says,
    per exported type, which changes replace it and how to make them in two deploys."""
    section = RUNBOOK.split("## Changing things safely", 1)[1].split("\n## ", 1)[0]
    missing = sorted(t for t in exported_types(each_profile) if f"`{t}`" not in section)
    assert missing == []


def test_a_table_the_rollback_cannot_delete_is_kept_and_unnamed(each_profile: Synthesized) -> None:
    """CloudFormation cannot delete a DynamoDB table under deletion protection: a failed first create would end
    in ROLLBACK_FAILED. Such a table keeps plain Retain and has no fixed name that could block the retry."""
    for stack, logical_id, resource in resources(each_profile):
        if resource["Type"] == "AWS::DynamoDB::Table" and resource["Properties"].get("DeletionProtectionEnabled"):
            assert resource["DeletionPolicy"] == "Retain", f"{stack}/{logical_id}"
            assert "TableName" not in resource["Properties"], f"{stack}/{logical_id}"
