"""The README's cost tables: every profile's monthly estimate, line by line and by stack, and prod's cost in each
disaster-recovery mode, generated from the templates.

`make cost-table` (and `make docs`) rewrites the blocks; a test fails when one is stale.
"""

from __future__ import annotations

import sys

from ops.commands import mode_reports, profile_reports
from ops.cost import TrafficAssumptions
from ops.cost_report import render_markdown, render_modes, render_stacks_markdown
from tooling.blocks import replace_block
from tooling.synthesis import ROOT

README = ROOT / "README.md"
NAME = "cost"
STACKS_NAME = "cost-stacks"
# The profile whose disaster-recovery modes the README compares.
DR_NAME, DR_PROFILE = "dr-cost", "prod"


def main() -> int:
    traffic = TrafficAssumptions()
    reports, unpriced = profile_reports(traffic)
    text = replace_block(README.read_text(), NAME, render_markdown(reports, unpriced), "make cost-table")
    text = replace_block(text, STACKS_NAME, render_stacks_markdown(reports), "make cost-table")
    modes = render_modes(DR_PROFILE, mode_reports(DR_PROFILE, traffic))
    README.write_text(replace_block(text, DR_NAME, modes, "make cost-table"))
    print(f"updated the cost tables in {README.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
