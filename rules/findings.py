"""Run a cdk-nag pack over a construct tree and keep the findings nobody acknowledged."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from cdk_nag import NagPack
from constructs import IConstruct

from rules.acknowledge import AWS_SOLUTIONS, COMPLIANCE_PACKS, PCI_DSS_401

ACKNOWLEDGED_RULES_METADATA = "aws:cdk:acknowledged-rules"
NAG_PACKS = frozenset((AWS_SOLUTIONS, *COMPLIANCE_PACKS, PCI_DSS_401))


@dataclass(frozen=True)
class Finding:
    pack: str
    rule: str
    construct_path: str
    description: str

    def __str__(self) -> str:
        return f"{self.rule} at {self.construct_path}: {self.description}"


@dataclass(frozen=True)
class Acknowledgement:
    finding_id: str
    construct_path: str
    reason: str


def acknowledgements(root: IConstruct) -> list[Acknowledgement]:
    """Every cdk-nag acknowledgement recorded in the tree, where it sits and why.

    CDK records its own acknowledgements the same way (e.g. `CloudFormation-Validate::...`); those are left out.
    """
    found = []
    for construct in root.node.find_all():
        for entry in construct.node.metadata:
            if entry.type == ACKNOWLEDGED_RULES_METADATA:
                found += [
                    Acknowledgement(finding_id=finding_id, construct_path=construct.node.path, reason=reason)
                    for finding_id, reason in entry.data.items()
                    if finding_id.split("::", 1)[0] in NAG_PACKS
                ]
    return found


def reported(pack_name: str, report: Any) -> Iterator[tuple[str, str, str]]:
    """(finding id, construct path, description) of every violation in a pack's report, one per resource."""
    for violation in report.violations:
        for resource in violation.violating_resources:
            # jsii's Python binding has no property for the newer `constructPath` field yet.
            path = str(resource._values.get("construct_path", ""))
            yield f"{pack_name}::{violation.rule_name}", path, violation.description


def unacknowledged_findings(
    pack: NagPack, root: IConstruct, report: Any = None, acknowledged_in: list[Acknowledgement] | None = None
) -> list[Finding]:
    """The pack's findings in `root`, less those acknowledged on the construct or one of its parents.

    `NagPack.validate_scope` reports acknowledged findings too; CDK's validation framework filters them
    only during `cdk synth`, so tests filter them here the same way.
    """
    found = acknowledged_in if acknowledged_in is not None else acknowledgements(root)
    acknowledged = {(a.construct_path, a.finding_id) for a in found}
    report = report or pack.validate_scope(root)
    findings = []
    for finding_id, path, description in reported(pack.name, report):
        ancestors = ["/".join(path.split("/")[:depth]) for depth in range(len(path.split("/")), 0, -1)]
        if not any((ancestor, finding_id) in acknowledged for ancestor in ancestors):
            findings.append(Finding(pack.name, finding_id.split("::", 1)[1], path, description))
    return findings
