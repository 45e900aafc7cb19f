"""A profile's app, synthesized once: its config, construct tree, templates of both regions and nag reports."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aws_cdk import App, CfnElement, Stack
from aws_cdk.assertions import Template
from cdk_nag import NagPack
from constructs import IConstruct

from rules.findings import Acknowledgement, acknowledgements
from settings import PROFILES, EnvironmentConfig
from stacks.payment_app import PaymentServiceStacks
from tooling.synthesis import build_profile

ROOT = Path(__file__).resolve().parents[2]


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
    def name(self) -> str:
        return self.config.name

    @property
    def every_document(self) -> dict[str, dict[str, Any]]:
        """Templates of every stack in every region, by construct id (`Security`, `StandbySecurity`, ...)."""
        return self.documents | self.standby_documents

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
        found: dict[str, dict[str, Any]] = self.every_document[stack]["Resources"]
        return {logical_id: r for logical_id, r in found.items() if r["Type"] == resource_type}

    def resource_of(self, construct: IConstruct) -> dict[str, Any]:
        """The template entry of an L2 construct's CloudFormation resource."""
        document = self.every_document[Stack.of(construct).node.id]
        resource: dict[str, Any] = document["Resources"][self.logical_id(construct)]
        return resource

    def logical_id(self, construct: IConstruct) -> str:
        element = construct if isinstance(construct, CfnElement) else construct.node.default_child
        assert isinstance(element, CfnElement)
        stack = Stack.of(element)
        return str(stack.resolve(stack.get_logical_id(element)))

    def properties(self, stack: str, resource_type: str) -> list[dict[str, Any]]:
        return [resource.get("Properties", {}) for resource in self.resources(stack, resource_type).values()]


def synthesize(
    environment: str,
    overrides: Mapping[str, Any] | None = None,
    profiles: Mapping[str, EnvironmentConfig] = PROFILES,
) -> Synthesized:
    """`environment`'s app, built by the same factory as app.py, with its templates of both regions."""
    config, app, stacks = build_profile(environment, dict(overrides or {}), profiles)
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
