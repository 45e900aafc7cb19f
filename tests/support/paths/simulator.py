"""AWS's policy evaluation, through `@cloud-copilot/iam-simulate` (installed from package-lock.json).

One Node process evaluates a whole batch. Chosen over writing an evaluator: it implements every condition
operator, same- and cross-account rules, service principals, trust policies and KMS key policies, and
checks actions, resource ARNs and context keys against AWS's service reference. Its licence is
AGPL-3.0-or-later; it runs only inside this test suite, unmodified, and nothing of it is deployed,
distributed or served, which is why it is acceptable here (organisations that ban AGPL tooling outright
must replace it; see docs/ARCHITECTURE.md).
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.paths import encryption_context

ROOT = Path(__file__).resolve().parents[3]
NODE = ROOT / "node_modules" / ".bin" / "node"
SCRIPT = Path(__file__).with_name("simulate.mjs")
ALLOWED, IMPLICITLY_DENIED, EXPLICITLY_DENIED = "Allowed", "ImplicitlyDenied", "ExplicitlyDenied"

Policy = Mapping[str, Any]


@dataclass(frozen=True)
class Decision:
    """One request an AWS service or role makes, with every policy AWS evaluates for it."""

    principal: str
    action: str
    resource: str
    resource_account: str
    context: Mapping[str, str | list[str]] = field(default_factory=dict)
    identity_policies: Sequence[Policy] = ()
    resource_policy: Policy | None = None
    # Off only to show that the library still needs it (tests/test_encryption_context.py).
    settle_encryption_context: bool = True

    def simulation(self) -> dict[str, Any]:
        identity, resource = list(self.identity_policies), self.resource_policy
        if self.settle_encryption_context:
            identity = [encryption_context.settle(policy, self.context) for policy in identity]
            resource = encryption_context.settle(resource, self.context) if resource is not None else None
        return {
            "identityPolicies": [{"name": f"policy{index}", "policy": policy} for index, policy in enumerate(identity)],
            "serviceControlPolicies": [],
            "resourceControlPolicies": [],
            **({"resourcePolicy": resource} if resource is not None else {}),
            "request": {
                "principal": self.principal,
                "action": self.action,
                "resource": {"resource": self.resource, "accountId": self.resource_account},
                "contextVariables": dict(self.context),
            },
        }

    def __str__(self) -> str:
        return f"{self.principal} {self.action} {self.resource}"


def evaluate(decisions: Sequence[Decision]) -> list[str]:
    """AWS's answer to each decision: Allowed, ImplicitlyDenied or ExplicitlyDenied (or Error: ...)."""
    if not decisions:
        return []
    if not NODE.exists():
        raise AssertionError(f"{NODE} is missing: run `make deps` (installs Node.js and iam-simulate)")
    completed = subprocess.run(
        [str(NODE), str(SCRIPT)],
        input=json.dumps([decision.simulation() for decision in decisions]),
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    if completed.returncode != 0:
        raise AssertionError(f"iam-simulate failed: {completed.stderr}")
    return [
        item["result"] if item["errors"] is None else f"Error: {json.dumps(item['errors'])}"
        for item in json.loads(completed.stdout)
    ]
