"""The documents are true: every path, test, target and number they state is checked here or generated.

Generated blocks (settings, cost, diagram, register) have their own staleness tests next to their
generators (tests/tooling/, tests/ops/test_cost.py).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from ops.cost import TrafficAssumptions
from ops.drill import DEFAULT_TIMEOUT_SECONDS
from ops.preflight import MIN_BOOTSTRAP_VERSION
from ops.verify import LATENCY_OBJECTIVE_MS
from rules.packs import PACK_TYPES
from settings import PROFILES, ConfigError, resolve_config
from settings.profiles import DEFAULT_PROFILE
from settings.sections import EdgeSettings
from tests.support.sources import functions_in
from tests.support.synthesized import ROOT
from tooling.synthesis import cdk_context

DOCUMENTS = [
    ROOT / "README.md",
    *sorted((ROOT / "docs").glob("*.md")),
    ROOT / "service" / "README.md",
]
DOCUMENTS.remove(ROOT / "docs" / "MODEL_FAILURES.md")  # the catalogue, quoted as it is
README = (ROOT / "README.md").read_text()
PACKAGES = ("settings", "rules", "components", "stacks", "tooling", "ops", "tests", "docs", "service")


def ids(path: Path) -> str:
    return str(path.relative_to(ROOT))


@pytest.mark.parametrize("document", DOCUMENTS, ids=ids)
def test_every_path_named_exists(document: Path) -> None:
    text = document.read_text()
    spans = re.findall(r"`([^`\s]+)`", text)
    named = {span for span in spans if span.split("/")[0] in PACKAGES and not re.search(r"[<…*]", span)}
    missing = sorted(path for path in named if not (ROOT / path.split("::")[0]).exists())
    assert missing == []


@pytest.mark.parametrize("document", DOCUMENTS, ids=ids)
def test_every_test_named_exists_in_the_file_named(document: Path) -> None:
    missing = []
    for path, name in re.findall(r"`([\w/]+\.py)::(test_\w+)`", document.read_text()):
        if name not in functions_in(path):
            missing.append(f"{path}::{name}")
    assert missing == []


def test_every_construct_named_in_the_architecture_exists() -> None:
    """The last column of the per-stack tables names the construct file in components/."""
    text = (ROOT / "docs" / "ARCHITECTURE.md").read_text().split("## What each stack guarantees", 1)[1]
    named = {
        name
        for line in text.splitlines()
        if line.startswith("| ")
        for name in re.findall(r"`(\w+\.py)`", line.rstrip(" |").rsplit(" | ", 1)[-1])
    }
    assert named
    assert sorted(name for name in named if not (ROOT / "components" / name).exists()) == []


@pytest.mark.parametrize("document", DOCUMENTS, ids=ids)
def test_every_profile_named_in_a_command_exists(document: Path) -> None:
    named = set(re.findall(r"ENV=([a-z0-9-]+)", document.read_text())) | set(
        re.findall(r"-c env=([a-z0-9-]+)", document.read_text())
    )
    # A profile the document itself shows how to add counts as named.
    added = set(re.findall(r'"([a-z0-9-]+)": EnvironmentConfig\(', document.read_text()))
    assert sorted(named - set(PROFILES) - added - {"NAME"}) == []


def test_every_make_target_is_in_the_readme_and_every_one_there_exists() -> None:
    makefile = (ROOT / "Makefile").read_text()
    documented = set(re.findall(r"^\| `make ([a-z-]+)` \|", README, re.M))
    targets = set(re.findall(r"^([a-z-]+): .*## ", makefile, re.M)) - {"help", "deps"}
    assert documented == targets


def test_the_numbers_the_readme_states() -> None:
    node = json.loads((ROOT / "package-lock.json").read_text())["packages"]["node_modules/node"]["version"]
    assert f"Node.js {node.split('.')[0]}" in README
    assert len(PACK_TYPES) == 5
    assert "five cdk-nag packs" in README or "five packs" in README
    assert f"version {MIN_BOOTSTRAP_VERSION} or later" in README
    assert f"{TrafficAssumptions().requests_per_month // 1_000_000} M requests a month" in README
    assert f"answers 200 within {LATENCY_OBJECTIVE_MS} ms" in README
    assert f"bounded by `--timeout` ({DEFAULT_TIMEOUT_SECONDS:.0f} s)" in README
    assert f"If neither is given, `{DEFAULT_PROFILE}` is used" in README, "name the default profile in the README"


def error_line(overrides: dict[str, str]) -> str:
    with pytest.raises(ConfigError) as caught:
        resolve_config(cdk_context() | overrides, {})
    (problem,) = caught.value.problems
    return f"error: {problem}"


def test_the_error_examples_are_what_synth_prints() -> None:
    assert error_line({"config.task_cpu": "300"}) in README, "the README's example error must be what synth prints"
    assert error_line({"config.task_cpu": "300"}).startswith(f"error: environment {DEFAULT_PROFILE!r}: ")
    bad_limit = EdgeSettings(waf_rate_limit=5).problems()
    assert [f"error: environment 'perf': {problem}" for problem in bad_limit] == [
        line for line in README.splitlines() if line.startswith("error: environment 'perf'")
    ]
