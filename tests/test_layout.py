"""The folders are the architecture: imports point only downward, and each construct has its test file.

    settings  <  rules  <  components  <  stacks  <  tooling  <  ops        (app.py: settings and stacks)

`settings/` imports nothing of the CDK; the reference service (`service/`) imports nothing of the
infrastructure, and nothing of the infrastructure imports it. docs/ARCHITECTURE.md says why.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.synthesized import ROOT

LAYERS = ("settings", "rules", "components", "stacks", "tooling", "ops")
CDK = ("aws_cdk", "constructs", "cdk_nag", "jsii")
SERVICE = "payments_service"
# Modules of components/ that are helpers of constructs, not constructs: proven through the constructs
# that use them, each named here with where.
HELPERS = {
    "managed_role": "every role it makes is evaluated in tests/test_delivery_paths.py; test_task_roles, "
    "test_log_archive, test_audit_replication and test_task_drill pin their statements",
    "source_arns": "every grant that uses a pattern is evaluated against the request AWS sends "
    "(tests/test_delivery_paths.py, its confused-deputy rows)",
}


def imported_packages(source: str) -> Iterator[tuple[int, str]]:
    """(line, top-level package) of every import in `source`, relative imports excluded."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module.split(".")[0]


def layering_violations(package: str, source: str) -> list[str]:
    """Why `source`, a module of `package`, breaks the layering; empty if it does not."""
    own = LAYERS.index(package) if package in LAYERS else len(LAYERS)
    found = []
    for line, imported in imported_packages(source):
        if imported in LAYERS and LAYERS.index(imported) > own:
            found.append(f"line {line}: {package} imports {imported}, a layer above it")
        if imported == "app" or imported == SERVICE:
            found.append(f"line {line}: {package} imports {imported}")
        if package == "settings" and imported in CDK:
            found.append(f"line {line}: settings imports {imported}; configuration stays free of the CDK")
    return found


def modules() -> Iterator[tuple[str, Path]]:
    for package in LAYERS:
        for path in sorted((ROOT / package).rglob("*.py")):
            yield package, path
    yield "app", ROOT / "app.py"


def test_the_layering_check_catches_an_upward_import_and_the_cdk_in_settings() -> None:
    assert layering_violations("components", "from stacks.compute import ComputeStack\n") == [
        "line 1: components imports stacks, a layer above it"
    ]
    assert layering_violations("settings", "import aws_cdk\nfrom rules import packs\n") == [
        "line 1: settings imports aws_cdk; configuration stays free of the CDK",
        "line 2: settings imports rules, a layer above it",
    ]
    assert layering_violations("tooling", "from ops.cost import estimate\n")
    assert layering_violations("stacks", "from stacks.network import NetworkStack\nfrom rules import packs\n") == []


@pytest.mark.parametrize(
    ("package", "path"), list(modules()), ids=lambda p: str(p.relative_to(ROOT)) if isinstance(p, Path) else p
)
def test_imports_point_only_downward(package: str, path: Path) -> None:
    assert layering_violations(package, path.read_text()) == [], path.relative_to(ROOT)


def test_app_py_imports_only_the_configuration_and_the_app_factory() -> None:
    imported = {package for _, package in imported_packages((ROOT / "app.py").read_text())}
    assert imported & set(LAYERS) == {"settings", "stacks"}


def test_the_reference_service_imports_nothing_of_the_infrastructure() -> None:
    for path in sorted((ROOT / "service").rglob("*.py")):
        imported = {package for _, package in imported_packages(path.read_text())}
        assert not imported & {*LAYERS, *CDK, "app"}, path.relative_to(ROOT)


def test_every_construct_module_has_a_test_file_named_after_it() -> None:
    constructs = {path.stem for path in (ROOT / "components").glob("*.py") if path.stem != "__init__"}
    tested = {path.stem.removeprefix("test_") for path in (ROOT / "tests" / "constructs").glob("test_*.py")}
    assert sorted(constructs - tested - set(HELPERS)) == []
    assert sorted(tested - constructs) == []
    assert set(HELPERS) <= constructs
