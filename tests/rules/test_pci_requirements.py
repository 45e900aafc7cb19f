"""rules/pci_requirements.py: every piece of evidence the PCI DSS v4.0.1 map cites exists, and every rule of the
pack is cited under each requirement it names."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ops import governance
from rules.pci_dss_401 import RULES
from rules.pci_requirements import REQUIREMENTS, Evidence
from tests.support.paths.matrix import MATRIX

ROOT = Path(__file__).resolve().parents[2]
CITED = [(requirement.id, evidence) for requirement in REQUIREMENTS for evidence in requirement.evidence]


def check_names(*modules: str) -> set[str]:
    """The check names the ops modules report (the first argument of each `run(...)`, and each `NAME = "..."`)."""
    names: set[str] = set()
    for module in modules:
        source = (ROOT / module).read_text()
        names |= set(re.findall(r'run\(\s*"([^"]+)"', source))
        names |= set(re.findall(r'^[A-Z]+ = "([^"]+)"', source, flags=re.MULTILINE))
    return names


PREFLIGHT = check_names("ops/preflight.py", "ops/governance.py")
# verify also runs one check of ops/governance.py (the GuardDuty coverage of the cluster), by its constant.
VERIFY = check_names("ops/verify.py") | {governance.COVERAGE}


def exists(evidence: Evidence) -> bool:
    if evidence.kind == "synth rule":
        return evidence.ref in {rule.suffix for rule in RULES}
    if evidence.kind == "preflight":
        return evidence.ref in PREFLIGHT
    if evidence.kind == "verify":
        return evidence.ref in VERIFY
    if evidence.kind == "test":
        path, row = evidence.ref.split("::", 1)
        return (ROOT / path).exists() and row in {r.name for r in MATRIX}
    if evidence.kind == "AWS Config rule":
        return re.fullmatch(r"[A-Z0-9_]+", evidence.ref) is not None
    return evidence.kind == "outside this app" and bool(evidence.ref)


@pytest.mark.parametrize(("requirement", "evidence"), CITED, ids=[f"{r} {e.ref[:40]}" for r, e in CITED])
def test_cited_evidence_exists(requirement: str, evidence: Evidence) -> None:
    assert exists(evidence), f"{requirement}: {evidence.kind} {evidence.ref!r} does not exist"


def test_the_governance_checks_are_known_to_preflight() -> None:
    assert set(governance.CHECKS) <= PREFLIGHT


def test_every_rule_is_cited_under_each_requirement_it_names() -> None:
    by_id = {requirement.id: requirement for requirement in REQUIREMENTS}
    for rule in RULES:
        (named,) = re.findall(r"\(Requirements? ([^)]+)\)", rule.info)
        for requirement in named.split(", "):
            assert requirement in by_id, f"{rule.suffix} names {requirement}, which the map does not list"
            assert rule.suffix in {e.ref for e in by_id[requirement].evidence}, (rule.suffix, requirement)


def test_every_requirement_has_evidence_from_this_app_or_names_its_owner() -> None:
    for requirement in REQUIREMENTS:
        assert requirement.evidence, requirement.id
    assert len({r.id for r in REQUIREMENTS}) == len(REQUIREMENTS)
