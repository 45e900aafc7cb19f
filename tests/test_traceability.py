"""docs/TRACEABILITY.md has a row for every item of the failure catalogue, and every test it names exists."""

from __future__ import annotations

import ast
import re

import pytest

from tests.conftest import ROOT

TRACEABILITY = (ROOT / "docs" / "TRACEABILITY.md").read_text()
CATALOGUE = ROOT.parent / "shared" / "reference" / "MODEL_FAILURES.md"
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


def test_every_named_test_exists() -> None:
    defined = set()
    for path in [*ROOT.glob("tests/test_*.py"), *ROOT.glob("service/service_tests/test_*.py")]:
        defined |= {node.name for node in ast.walk(ast.parse(path.read_text())) if isinstance(node, ast.FunctionDef)}
    named = set(re.findall(r"`(test_[a-z0-9_]+)`", TRACEABILITY))
    assert named
    assert named - defined == set()


@pytest.mark.skipif(not CATALOGUE.exists(), reason="the failure catalogue is not beside this checkout")
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
