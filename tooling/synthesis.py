"""Build every profile's app the way `cdk synth` does, for tools that read the construct tree."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aws_cdk import App

from settings import PROFILES, EnvironmentConfig, resolve_config
from stacks.payment_app import PaymentServiceStacks, build_payment_app

ROOT = Path(__file__).resolve().parents[1]
# Context the CDK CLI adds on every synth; cfn-lint reads the path metadata to recognise CDK templates.
CLI_CONTEXT = {"aws:cdk:enable-path-metadata": True, "aws:cdk:enable-asset-metadata": True}


def cdk_context() -> dict[str, Any]:
    """What `cdk synth` hands the app: cdk.json's context (feature flags), cdk.context.json, CLI defaults."""
    context: dict[str, Any] = json.loads((ROOT / "cdk.json").read_text())["context"]
    context.update(json.loads((ROOT / "cdk.context.json").read_text()))
    return context | CLI_CONTEXT


def build_profile(
    name: str,
    overrides: dict[str, Any] | None = None,
    profiles: Mapping[str, EnvironmentConfig] = PROFILES,
) -> tuple[EnvironmentConfig, App, PaymentServiceStacks]:
    """A new app with one profile's stacks, checks not registered (callers run the packs themselves).

    `profiles`: where `name` is looked up (the tests add an adopter's profile to the app's own).
    """
    context = cdk_context() | {"env": name} | (overrides or {})
    config = resolve_config(context, {}, profiles).config
    app = App(context=context)
    return config, app, build_payment_app(app, config, checks=False)


def profile_names() -> list[str]:
    return list(PROFILES)
