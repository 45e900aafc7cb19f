"""The README's cost table: every profile's monthly estimate, line by line, generated from the templates.

`make cost-table` (and `make docs`) rewrites the block; a test fails when it is stale.
"""

from __future__ import annotations

import sys

from ops.commands import synthesized_regions
from ops.cost import TrafficAssumptions, estimate_profiles, render_markdown
from tooling.blocks import replace_block
from tooling.synthesis import ROOT, profile_names

README = ROOT / "README.md"
NAME = "cost"


def main() -> int:
    profiles = {name: synthesized_regions(name) for name in profile_names()}
    table = render_markdown(*estimate_profiles(profiles, TrafficAssumptions()))
    README.write_text(replace_block(README.read_text(), NAME, table, "make cost-table"))
    print(f"updated the cost table in {README.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
