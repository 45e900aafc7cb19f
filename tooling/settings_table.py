"""The README's settings table, generated from the configuration sections and the profiles.

`make settings-table` (and `make docs`) rewrites the block; a test fails when it is stale, so a setting
added to a section, or a profile's new value, shows in the README without anyone editing it there.
"""

from __future__ import annotations

import dataclasses
import sys
from enum import Enum
from typing import Any

from settings import PROFILES
from settings.catalog import catalog, default_of, value_of
from tooling.blocks import replace_block
from tooling.synthesis import ROOT

README = ROOT / "README.md"
NAME = "settings"


def cell(value: Any) -> str:
    """A value as the README shows it; the same text `-c config.NAME=VALUE` accepts."""
    if value is dataclasses.MISSING:
        return "—"
    if value is None:
        return "none"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, Enum):
        return f"`{value.value}`"
    if isinstance(value, tuple):
        if not value:
            return "none"
        if dataclasses.is_dataclass(value[0]):
            return ", ".join(f"`{getattr(item, 'name', item)}`" for item in value)
        return f"`{','.join(cell(item).strip('`') for item in value)}`"
    return f"`{value}`"


def render() -> str:
    profiles = list(PROFILES)
    header = ["Setting", "What it does", "Default", *profiles, "Allowed"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for setting in catalog():
        default = default_of(setting)
        values = []
        for name in profiles:
            value = value_of(PROFILES[name], setting)
            values.append("" if value == default else cell(value))
        allowed = setting.allowed if setting.cli else f"{setting.allowed}; set in the profile, not with `-c`"
        row = [f"`{setting.name}`", setting.help, cell(default), *values, allowed]
        lines.append("| " + " | ".join(text.replace("|", "\\|") for text in row) + " |")
    return "\n".join(lines)


def main() -> int:
    README.write_text(replace_block(README.read_text(), NAME, render(), "make settings-table"))
    print(f"updated the settings table in {README.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
