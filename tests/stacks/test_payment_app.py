"""The app as a whole: which stacks exist in which region, what each may depend on, tags, deterministic synth."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from graphlib import CycleError, TopologicalSorter
from typing import Any

import pytest

from settings.sections import GovernanceMode
from stacks.payment_app import STANDBY_PREFIX
from tests.support.adoption import CONTEXT, PROFILES_WITH_ADOPTION
from tests.support.synthesized import Synthesized, synthesize

# The layers, bottom first: a stack may import only from a stack of a lower layer in its own region.
LAYERS = ("Security", "Network", "Compute", "Observability", "Governance")


def layers(synthesized: Synthesized) -> list[str]:
    """The stacks of one region: the four, and Governance with `governance: create`."""
    created = synthesized.config.governance is GovernanceMode.CREATE
    return [name for name in LAYERS if name != "Governance" or created]


def imports_between_stacks(documents: Mapping[str, dict[str, Any]]) -> dict[str, set[str]]:
    """Stack -> the stacks whose exports its template imports: the graph CloudFormation deploys by.

    Exports are per region (both regions' stacks have the same names, so the same export names)."""
    graph: dict[str, set[str]] = {}
    for in_standby in (False, True):
        region = {s: d for s, d in documents.items() if s.startswith(STANDBY_PREFIX) == in_standby}
        exporter = {
            output["Export"]["Name"]: stack
            for stack, document in region.items()
            for output in document.get("Outputs", {}).values()
            if "Export" in output
        }
        for stack, document in region.items():
            imported = re.findall(r'"Fn::ImportValue": "([^"]+)"', json.dumps(document))
            graph[stack] = {exporter[name] for name in imported}
    return graph


def deploy_order(graph: Mapping[str, set[str]]) -> list[str]:
    """An order in which every stack deploys after the stacks it needs; AssertionError naming a cycle if none."""
    try:
        return list(TopologicalSorter(graph).static_order())
    except CycleError as cycle:
        raise AssertionError(f"stacks depend on each other in a cycle: {' -> '.join(cycle.args[1])}") from None


def test_the_cycle_check_names_a_cycle() -> None:
    with pytest.raises(AssertionError, match=r"cycle: (Compute -> Network -> Compute|Network -> Compute -> Network)"):
        deploy_order({"Security": set(), "Network": {"Security", "Compute"}, "Compute": {"Network"}})


def layer(stack_id: str) -> int:
    return LAYERS.index(stack_id.removeprefix(STANDBY_PREFIX))


def test_stacks_import_only_from_lower_layers_of_their_own_region_and_deploy_in_order(
    each_profile: Synthesized,
) -> None:
    graph = imports_between_stacks(each_profile.every_document)
    order = deploy_order(graph)
    for stack, needs in graph.items():
        for needed in needs:
            assert needed.startswith(STANDBY_PREFIX) == stack.startswith(STANDBY_PREFIX), (stack, needed)
            assert layer(needed) < layer(stack), (stack, needed)
    assert order.index("Security") < order.index("Network") < order.index("Compute") < order.index("Observability")


def test_cdk_orders_the_stacks_as_their_imports_need(each_profile: Synthesized) -> None:
    """CDK's dependencies (what `cdk deploy --all` follows) are the import graph, plus one cross-region edge:
    the primary's replication rules need the standby's replica buckets to exist."""
    graph = imports_between_stacks(each_profile.every_document)
    declared = {stack.node.id: {d.node.id for d in stack.dependencies} for stack in each_profile.stacks.every_region()}
    if each_profile.config.standby_region:
        graph["Security"] = graph["Security"] | {f"{STANDBY_PREFIX}Security"}
    assert declared == graph
    deploy_order(declared)


def test_each_region_has_the_four_stacks_under_the_same_names(each_profile: Synthesized) -> None:
    config = each_profile.config
    stacks = each_profile.stacks
    assert [stack.node.id for stack in stacks.all()] == layers(each_profile)
    for stack in stacks.all():
        assert (stack.account, stack.region) == (config.account, config.region)
        assert stack.stack_name == config.names.stack(stack.node.id)
    if config.standby_region is None:
        assert stacks.standby is None
        assert each_profile.standby_documents == {}
        return
    assert stacks.standby is not None
    standby = stacks.standby.all()
    assert [stack.node.id for stack in standby] == [f"{STANDBY_PREFIX}{name}" for name in layers(each_profile)]
    assert {(stack.account, stack.region) for stack in standby} == {(config.account, config.standby_region)}
    assert [stack.stack_name for stack in standby] == [stack.stack_name for stack in stacks.all()]


def test_only_the_security_and_governance_stacks_are_protected_from_deletion_and_only_where_asked(
    each_profile: Synthesized,
) -> None:
    """They hold what must outlive a mistake: the audit stores and keys; the account's trail, recorder, detector."""
    protected = each_profile.config.termination_protection
    for stack in each_profile.stacks.every_region():
        kept = stack.node.id.removeprefix(STANDBY_PREFIX) in ("Security", "Governance")
        assert stack.termination_protection is (protected and kept), stack.node.id


def test_every_taggable_resource_carries_the_profile_tags(each_profile: Synthesized) -> None:
    expected = each_profile.config.tags
    assert set(expected) == {"Environment", "Service", "DataClassification", "CostCenter"}
    tagged = 0
    for stack, document in each_profile.every_document.items():
        for logical_id, resource in document["Resources"].items():
            tags = resource.get("Properties", {}).get("Tags")
            if isinstance(tags, list):
                found = {tag["Key"]: tag["Value"] for tag in tags}
                assert expected.items() <= found.items(), (stack, logical_id)
                tagged += 1
    assert tagged > 20


def test_no_tag_or_property_carries_a_timestamp(each_profile: Synthesized) -> None:
    for document in each_profile.every_document.values():
        text = json.dumps(document)
        assert not re.search(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}", text)
        assert "Timestamp" not in text


def test_synth_is_deterministic(adopted: Synthesized) -> None:
    again = synthesize(adopted.name, CONTEXT, PROFILES_WITH_ADOPTION)
    assert again.every_document == adopted.every_document


def test_outputs_give_the_service_url_and_what_operations_tooling_reads(each_profile: Synthesized) -> None:
    for prefix, documents in (("", each_profile.documents), (STANDBY_PREFIX, each_profile.standby_documents)):
        if not documents:
            continue
        compute = {n: o for n, o in documents[f"{prefix}Compute"]["Outputs"].items() if "Export" not in o}
        # ops/failover.py reads the target group and, with a standby, the health checks it waits on and sets.
        failover = {"RegionHealthCheckId"} | ({"PreferenceHealthCheckId"} if not prefix else set())
        assert set(compute) == {"ServiceUrl", "LoadBalancerDnsName", "ClusterName", "ServiceName", "TargetGroupArn"} | (
            failover if each_profile.config.has_failover else set()
        )
        domain = each_profile.config.tls.domain_name
        url = compute["ServiceUrl"]["Value"]
        if domain:
            assert url == f"https://{domain}"
        else:  # an imported certificate and no zone: the ALB's own name
            assert url["Fn::Join"][1][0] == "https://"
        observability = {n: o for n, o in documents[f"{prefix}Observability"]["Outputs"].items() if "Export" not in o}
        assert set(observability) == {
            "DashboardUrl",
            "AlarmNames",
            "PagingTopicArn",
            "WarningTopicArn",
            "TaskStopExperimentId",
            "CanaryAlarmName",  # make verify sets it to ALARM to prove the warning topic delivers
            "ChangeGuardDeadLetterQueueUrl",  # make verify fails while a change warning waits there
            "ChangeGuardRuleNames",  # or when one of them failed to deliver
        }
        assert "#dashboards:name=" in json.dumps(observability["DashboardUrl"]["Value"])


def test_one_budget_per_environment_in_the_primary_region(each_profile: Synthesized) -> None:
    budgets = [
        stack
        for stack, document in each_profile.every_document.items()
        for resource in document["Resources"].values()
        if resource["Type"] == "AWS::Budgets::Budget"
    ]
    assert budgets == ["Observability"]
