"""A bare stack to build one construct in, with the app's feature flags, for construct tests."""

from __future__ import annotations

from typing import Any

from aws_cdk import App, Environment, Stack
from aws_cdk.assertions import Template

from components.break_glass import Custodians
from tooling.synthesis import cdk_context

ACCOUNT, REGION = "111111111111", "us-east-1"


def bare_stack(name: str = "Bare", *, region: str = REGION) -> Stack:
    """An empty stack in a new app that reads cdk.json's feature flags, in a fixed account and region."""
    return Stack(App(context=cdk_context()), name, env=Environment(account=ACCOUNT, region=region))


def template(stack: Stack) -> dict[str, Any]:
    return dict(Template.from_stack(stack).to_json())


def resources(document: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    """Logical id -> resource of every resource of `resource_type`."""
    return {lid: r for lid, r in document.get("Resources", {}).items() if r["Type"] == resource_type}


def properties(document: dict[str, Any], resource_type: str) -> list[dict[str, Any]]:
    return [r.get("Properties", {}) for r in resources(document, resource_type).values()]


def one(document: dict[str, Any], resource_type: str) -> dict[str, Any]:
    (found,) = properties(document, resource_type)
    return found


# The custodians (components/break_glass.py), in construct tests.
CUSTODIANS = Custodians(
    break_glass_role_arn=f"arn:aws:iam::{ACCOUNT}:role/break-glass",
    key_admin_role_arn=f"arn:aws:iam::{ACCOUNT}:role/key-administrator",
    deployer_role_arn=f"arn:aws:iam::{ACCOUNT}:role/deployer",
)
