"""tooling/settings_table.py: the README's settings table is generated from the sections and the profiles."""

from __future__ import annotations

import dataclasses

from settings import PROFILES
from settings.catalog import catalog
from tests.support.synthesized import ROOT
from tooling.blocks import block
from tooling.settings_table import NAME, cell, render

README = ROOT / "README.md"


def test_readme_settings_table_is_current() -> None:
    assert block(README.read_text(), NAME) == render(), "run `make settings-table` and commit README.md"


def test_the_table_has_a_row_per_setting_and_a_column_per_profile() -> None:
    lines = render().splitlines()
    assert lines[0].split(" | ")[3 : 3 + len(PROFILES)] == list(PROFILES)
    assert [line.split(" | ")[0].removeprefix("| ") for line in lines[2:]] == [f"`{s.name}`" for s in catalog()]


def test_cells_are_written_as_an_override_takes_them() -> None:
    assert cell(("eipalloc-1", "eipalloc-2")) == "`eipalloc-1,eipalloc-2`"
    assert cell(True) == "`true`"
    assert cell(None) == "none"
    assert cell(dataclasses.MISSING) == "—"


def test_a_setting_set_only_in_a_profile_says_so() -> None:
    rows = {line.split(" | ")[0].removeprefix("| "): line for line in render().splitlines()[2:]}
    for setting in catalog():
        assert ("set in the profile, not with `-c`" in rows[f"`{setting.name}`"]) is not setting.cli, setting.name
