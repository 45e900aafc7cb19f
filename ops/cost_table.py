"""The README's cost table: every profile's monthly estimate, line by line, generated from the templates.

`make cost-table` (and `make docs`) rewrites the block; a test fails when it is stale.
"""

from __future__ import annotations

import sys

from ops.commands import mode_estimates, synthesized_regions
from ops.cost import TrafficAssumptions, estimate_profiles, render_markdown, render_modes
from settings import PROFILES
from tooling.blocks import replace_block
from tooling.synthesis import ROOT, profile_names

README = ROOT / "README.md"
NAME = "cost"
# The profile whose disaster-recovery modes the README compares.
DR_NAME, DR_PROFILE = "dr-cost", "prod"


def main() -> int:
    profiles = {name: synthesized_regions(name) for name in profile_names()}
    table = render_markdown(*estimate_profiles(profiles, TrafficAssumptions()))
    text = replace_block(README.read_text(), NAME, table, "make cost-table")
    config = PROFILES[DR_PROFILE]
    regions = {"primary": config.region, "standby": str(config.standby_region)}
    modes = render_modes(DR_PROFILE, regions, mode_estimates(DR_PROFILE, TrafficAssumptions()))
    README.write_text(replace_block(text, DR_NAME, modes, "make cost-table"))
    print(f"updated the cost table in {README.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
