"""The README's tables match the code."""

from __future__ import annotations

import dataclasses
import re

from settings import EnvironmentConfig, TlsSettings
from settings.resolve import DERIVED_FIELDS
from tests.conftest import ROOT, Synthesized

README = (ROOT / "README.md").read_text()


def test_settings_table_lists_every_setting() -> None:
    settings = [f.name for f in dataclasses.fields(EnvironmentConfig) if f.name not in DERIVED_FIELDS | {"tls"}]
    settings += [f"tls.{f.name}" for f in dataclasses.fields(TlsSettings)]
    missing = [name for name in settings if f"| `{name}` |" not in README]
    assert missing == []


def test_acknowledgement_table_lists_every_acknowledged_rule(each_profile: Synthesized) -> None:
    # Granular ids (IAM5[Resource::...]) are listed one by one in the register; the README names each rule.
    rules = {a.finding_id.split("::", 1)[1].split("-", 1)[1].split("[")[0] for a in each_profile.acknowledgements}
    missing = sorted(rule for rule in rules if not re.search(rf"\| `{re.escape(rule)}(\[[^`]*\])?`[^|\n]*\|", README))
    assert missing == []


def test_readme_commands_exist_in_the_makefile() -> None:
    makefile = (ROOT / "Makefile").read_text()
    targets = ("synth", "test", "lint", "format", "register", "diagram", "docs", "snapshot-update", "diff", "deploy")
    for target in (*targets, "clean"):
        assert f"| `make {target}` |" in README
        assert f"\n{target}: " in makefile
