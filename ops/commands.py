"""The ops commands, each returning the process exit code."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_cdk.assertions import Template

from compliance.synthesis import build_profile, profile_names
from ops.cost import TrafficAssumptions, estimate, render_comparison, render_profile


def synthesized_documents(name: str) -> tuple[str, dict[str, dict[str, Any]]]:
    config, _, stacks = build_profile(name)
    return config.region, {stack.node.id: dict(Template.from_stack(stack).to_json()) for stack in stacks.all()}


def cost_command(name: str, environ: Mapping[str, str]) -> int:
    traffic = TrafficAssumptions()
    estimates = {}
    for profile in profile_names():
        region, documents = synthesized_documents(profile)
        estimates[profile] = estimate(documents, region, traffic)
        if profile == name:
            print(render_profile(profile, region, estimates[profile], traffic))
    if name not in estimates:
        print(f"error: environment {name!r} is not a profile; use one of {profile_names()}")
        return 2
    print("\nAll profiles:")
    print(render_comparison(estimates))
    return 0
