"""Session fixtures: each profile's app is built by the same factory as app.py and synthesized once."""

from __future__ import annotations

import os

# CDK's built-in CloudFormation validation costs seconds per synth; `make synth` runs it, unit tests do not.
# Must be set before aws_cdk is imported.
os.environ["CDK_VALIDATION"] = "false"

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, CfnElement, Stack
from aws_cdk.assertions import Template
from cdk_nag import NagPack
from constructs import IConstruct

from compliance.findings import Acknowledgement, acknowledgements
from compliance.synthesis import build_profile, cdk_context
from settings import EnvironmentConfig
from stacks.payment_app import PaymentServiceStacks

__all__ = ["ROOT", "Synthesized", "cdk_context", "synthesize"]

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Synthesized:
    config: EnvironmentConfig
    app: App
    stacks: PaymentServiceStacks
    templates: dict[str, Template]
    documents: dict[str, dict[str, Any]]
    # Templates of the standby region's stacks (keyed like `documents`), when the profile has one.
    standby_documents: dict[str, dict[str, Any]]
    # Pack reports and acknowledgements, computed at most once per session (each walks the whole tree).
    _cache: dict[str, Any] = field(default_factory=dict)

    @property
    def acknowledgements(self) -> list[Acknowledgement]:
        """Every cdk-nag acknowledgement in the app, collected once per session."""
        if "acknowledgements" not in self._cache:
            self._cache["acknowledgements"] = acknowledgements(self.app)
        found: list[Acknowledgement] = self._cache["acknowledgements"]
        return found

    def pack_report(self, pack_type: type[NagPack]) -> tuple[NagPack, Any]:
        """The pack and its report over the whole app, computed once per session."""
        if pack_type.__name__ not in self._cache:
            pack = pack_type(self.app)
            self._cache[pack_type.__name__] = (pack, pack.validate_scope(self.app))
        report: tuple[NagPack, Any] = self._cache[pack_type.__name__]
        return report

    def template(self, stack: str) -> Template:
        return self.templates[stack]

    def resources(self, stack: str, resource_type: str) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = self.documents[stack]["Resources"]
        return {logical_id: r for logical_id, r in found.items() if r["Type"] == resource_type}

    def resource_of(self, construct: IConstruct) -> dict[str, Any]:
        """The template entry of an L2 construct's CloudFormation resource."""
        resource: dict[str, Any] = self.documents[Stack.of(construct).node.id]["Resources"][self.logical_id(construct)]
        return resource

    def logical_id(self, construct: IConstruct) -> str:
        element = construct.node.default_child
        assert isinstance(element, CfnElement)
        stack = Stack.of(element)
        return str(stack.resolve(stack.get_logical_id(element)))

    def logical_id_of_cfn(self, stack: Stack, resource_type: str) -> str:
        """The logical id of the only resource of `resource_type` in `stack`."""
        (logical_id,) = self.resources(stack.node.id, resource_type)
        return logical_id

    def properties(self, stack: str, resource_type: str) -> list[dict[str, Any]]:
        return [resource.get("Properties", {}) for resource in self.resources(stack, resource_type).values()]


def synthesize(environment: str, overrides: Mapping[str, Any] | None = None) -> Synthesized:
    config, app, stacks = build_profile(environment, dict(overrides or {}))
    templates = {stack.node.id: Template.from_stack(stack) for stack in stacks.all()}
    documents = {name: dict(template.to_json()) for name, template in templates.items()}
    standby = stacks.standby.all() if stacks.standby else ()
    standby_documents = {stack.node.id: dict(Template.from_stack(stack).to_json()) for stack in standby}
    return Synthesized(
        config=config,
        app=app,
        stacks=stacks,
        templates=templates,
        documents=documents,
        standby_documents=standby_documents,
    )


@pytest.fixture(scope="session")
def dev() -> Synthesized:
    return synthesize("dev")


@pytest.fixture(scope="session")
def staging() -> Synthesized:
    return synthesize("staging")


@pytest.fixture(scope="session")
def prod() -> Synthesized:
    return synthesize("prod")


@pytest.fixture(scope="session", params=["dev", "staging", "prod"])
def each_profile(request: pytest.FixtureRequest) -> Synthesized:
    synthesized: Synthesized = request.getfixturevalue(request.param)
    return synthesized
