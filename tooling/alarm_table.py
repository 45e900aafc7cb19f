"""docs/ARCHITECTURE.md's alarm table, generated from the alarm table the construct builds its alarms from.

`make alarm-table` (and `make docs`) rewrites the block; a test fails when it is stale.
"""

from __future__ import annotations

import sys

from components.audit_alarms import (
    ARCHIVE_ALARMS,
    LOG_VOLUME_DESCRIPTION,
    REGION_OUT_DESCRIPTION,
    REPLICATION_ALARMS,
)
from components.service_alarms import BREACHING, alarm_table
from settings import PROFILES
from settings.profiles import DEFAULT_PROFILE
from tooling.blocks import replace_block
from tooling.synthesis import ROOT

ARCHITECTURE = ROOT / "docs" / "ARCHITECTURE.md"
NAME = "alarms"


def render() -> str:
    compute = PROFILES[DEFAULT_PROFILE].compute
    lines = [
        f"| Alarm | Fires when (task counts: `{DEFAULT_PROFILE}`'s) | Missing data | Severity |",
        "|---|---|---|---|",
    ]
    for spec in alarm_table(min_tasks=compute.min_tasks, max_tasks=compute.max_tasks):
        missing = "breaching: silence means the thing watched is gone" if spec.missing is BREACHING else "not breaching"
        lines.append(f"| `{spec.name}` | {spec.description} | {missing} | {'page' if spec.pages else 'warning'} |")
    # The audit trail's own alarms (components/audit_alarms.py): warnings, silence means nothing failed.
    for audit in ARCHIVE_ALARMS:
        lines.append(f"| `{audit.name}` | {audit.description} | not breaching | warning |")
    for audit in REPLICATION_ALARMS:
        lines.append(f"| `{audit.name}<n>`, per replicated bucket | {audit.description} | not breaching | warning |")
    lines.append(f"| `LogVolumeSpike` | {LOG_VOLUME_DESCRIPTION} | not breaching | warning |")
    lines.append(f"| `RegionOutOfDns`, where the region serves | {REGION_OUT_DESCRIPTION} | (composite) | warning |")
    return "\n".join(lines)


def main() -> int:
    ARCHITECTURE.write_text(replace_block(ARCHITECTURE.read_text(), NAME, render(), "make alarm-table"))
    print(f"updated the alarm table in {ARCHITECTURE.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
