"""docs/TRACEABILITY.md has a row for every item of the failure catalogue, and every test it names exists.

The catalogue is `docs/MODEL_FAILURES.md`, a copy kept in the repository so that this check runs everywhere
(CI included); where the shared original sits beside the checkout, the copy must equal it.
"""

from __future__ import annotations

import re

import pytest

from tests.support.sources import functions_in
from tests.support.synthesized import ROOT

TRACEABILITY = (ROOT / "docs" / "TRACEABILITY.md").read_text()
CATALOGUE = ROOT / "docs" / "MODEL_FAILURES.md"
ORIGINAL = ROOT.parent / "shared" / "reference" / "MODEL_FAILURES.md"
STATUSES = (
    "fixed in infrastructure",
    "fixed in the reference service",
    "left to operations",
    "not applicable to CDK",
)

CATEGORY_ITEMS = [
    "1.1", "1.2", "1.3", "1.4", "2.1", "2.2", "2.3", "3.1", "3.2", "3.3", "3.4", "4.1", "4.2", "4.3",
    "5.1", "5.2", "5.3", "5.4", "6.1", "6.2", "6.3", "7.1", "7.2", "7.3", "7.4", "8.1", "8.2", "8.3",
    "9.1", "9.2", "9.3", "10.1", "10.2", "10.3",
]  # fmt: skip
MATRIX_ITEMS = [
    "Health Check Failure", "Memory Exhaustion", "Missing Business Metrics", "Log Retention Compliance",
    "IAM Permissions", "NAT Gateway Data Cost", "Public ALB Security", "HTTPS Configuration",
    "Auto-Scaling Tuning", "VPC Flow Logs",
]  # fmt: skip
TESTING_ITEMS = [
    "Pre-Deployment: Verify IAM permissions",
    "Pre-Deployment: Check AWS service quotas (EIPs, Fargate tasks)",
    "Pre-Deployment: Validate environment variables",
    "Post-Deployment: Verify health checks pass",
    "Post-Deployment: Test ALB endpoint responds",
    "Post-Deployment: Check CloudWatch dashboard",
    "Post-Deployment: Verify alarms are functioning",
    "Load Testing: Test auto-scaling behavior",
    "Load Testing: Verify sub-200ms response times",
    "Load Testing: Check memory and CPU under load",
    "Load Testing: Validate cost expectations",
    "Failure Testing: Kill tasks and verify replacement",
    "Failure Testing: Simulate traffic spikes",
    "Failure Testing: Test alarm notifications",
    "Failure Testing: Verify graceful degradation",
]


def rows() -> dict[str, list[str]]:
    found = {}
    for line in TRACEABILITY.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("| ") and len(cells) == 4 and cells[0] not in ("Item", "---"):
            found[cells[0]] = cells[1:]
    return found


def row_for(item: str) -> list[str]:
    (match,) = [cells for name, cells in rows().items() if name == item or name.startswith(item + " ")]
    return match


@pytest.mark.parametrize("item", CATEGORY_ITEMS + MATRIX_ITEMS + TESTING_ITEMS)
def test_every_catalogue_item_has_a_row_with_a_status(item: str) -> None:
    status, where, _ = row_for(item)
    assert any(status.startswith(allowed) for allowed in STATUSES), status
    assert where


def test_every_proof_names_a_test_in_its_file() -> None:
    """`path::test_name`, so a reader finds it in one step (tests/test_docs.py checks that each exists)."""
    for item, (_, _, proven_by) in rows().items():
        if proven_by == "—":
            continue
        named = re.findall(r"`([^`]+)`", proven_by)
        assert named, item
        assert all(re.fullmatch(r"[\w/]+\.py::test_\w+", name) for name in named), (item, named)
        for name in named:
            path, test = name.split("::")
            assert test in functions_in(path), name


def test_item_lists_match_the_catalogue() -> None:
    text = CATALOGUE.read_text()
    assert re.findall(r"(?m)^### (\d+\.\d+) ", text) == CATEGORY_ITEMS
    matrix = re.findall(r"(?m)^\| ([A-Z][^|]+?) \| (?:High|Medium|Low) \|", text)
    assert matrix == MATRIX_ITEMS
    recommendations = text.split("## Testing Recommendations", 1)[1].split("## Conclusion", 1)[0]
    listed = []
    section = ""
    for line in recommendations.splitlines():
        heading = re.match(r"^\d+\. \*\*(.+?):\*\*", line)
        if heading:
            section = heading.group(1)
        bullet = re.match(r"^\s+- (.+)$", line)
        if bullet:
            listed.append(f"{section}: {bullet.group(1)}")
    assert listed == TESTING_ITEMS


@pytest.mark.skipif(not ORIGINAL.exists(), reason="the shared original is not beside this checkout; the copy is used")
def test_the_catalogue_copy_is_the_original() -> None:
    assert CATALOGUE.read_text() == ORIGINAL.read_text(), "copy the shared MODEL_FAILURES.md into docs/"
