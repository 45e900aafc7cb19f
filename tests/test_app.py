"""App-wide guarantees: stack graph, environment, tags, deterministic synth."""

from __future__ import annotations

import json
import re
from graphlib import CycleError, TopologicalSorter

from tests.conftest import Synthesized, synthesize


def dependency_graph(synthesized: Synthesized) -> dict[str, set[str]]:
    return {
        stack.node.id: {dependency.node.id for dependency in stack.dependencies} for stack in synthesized.stacks.all()
    }


def test_stack_dependency_graph_has_no_cycle(each_profile: Synthesized) -> None:
    graph = dependency_graph(each_profile)
    try:
        order = list(TopologicalSorter(graph).static_order())
    except CycleError as cycle:  # pragma: no cover - the assertion message is the point
        raise AssertionError(f"stack dependency cycle: {cycle.args[1]}") from None
    assert order.index("Security") < order.index("Network")


def test_stacks_depend_only_on_the_stacks_below_them(dev: Synthesized) -> None:
    assert dependency_graph(dev) == {
        "Security": set(),
        "Network": {"Security"},
        "Compute": {"Security", "Network"},
        "Observability": {"Security", "Compute"},
    }


def test_stacks_target_the_profiles_account_and_region(each_profile: Synthesized) -> None:
    for stack in each_profile.stacks.all():
        assert (stack.account, stack.region) == (each_profile.config.account, each_profile.config.region)
        assert stack.stack_name == f"payments-{each_profile.config.name}-{stack.node.id}"


def test_every_taggable_resource_carries_the_profile_tags(each_profile: Synthesized) -> None:
    expected = each_profile.config.tags
    assert set(expected) == {"Environment", "Service", "DataClassification", "CostCenter"}
    tagged = 0
    for stack in each_profile.stacks.all():
        for logical_id, resource in each_profile.documents[stack.node.id]["Resources"].items():
            tags = resource.get("Properties", {}).get("Tags")
            if isinstance(tags, list):
                found = {tag["Key"]: tag["Value"] for tag in tags}
                assert expected.items() <= found.items(), logical_id
                tagged += 1
    assert tagged > 20


def test_no_tag_or_property_carries_a_timestamp(each_profile: Synthesized) -> None:
    for stack in each_profile.stacks.all():
        text = json.dumps(each_profile.documents[stack.node.id])
        assert not re.search(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}", text)
        assert "Timestamp" not in text


def test_synth_is_deterministic(dev: Synthesized) -> None:
    again = synthesize("dev")
    for stack in dev.stacks.all():
        assert again.documents[stack.node.id] == dev.documents[stack.node.id]
