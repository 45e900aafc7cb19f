"""tooling/alarm_table.py: docs/ARCHITECTURE.md's alarm table is the construct's alarm table."""

from __future__ import annotations

from components.audit_alarms import ARCHIVE_ALARMS, REPLICATION_ALARMS
from components.service_alarms import alarm_table
from tooling.alarm_table import ARCHITECTURE, NAME, render
from tooling.blocks import block


def test_architecture_alarm_table_is_current() -> None:
    assert block(ARCHITECTURE.read_text(), NAME) == render(), "run `make alarm-table`"


def test_every_alarm_has_a_row_saying_who_it_reaches() -> None:
    rows = render().splitlines()[2:]
    specs = alarm_table(min_tasks=2, max_tasks=4)
    service, audit = rows[: len(specs)], rows[len(specs) :]
    assert [row.split(" | ")[0].removeprefix("| ") for row in service] == [f"`{spec.name}`" for spec in specs]
    assert [row.rsplit(" | ", 1)[1].removesuffix(" |") for row in service] == [
        "page" if spec.pages else "warning" for spec in specs
    ]
    # The audit trail's alarms (components/audit_alarms.py) warn.
    names = [row.split(" | ")[0].removeprefix("| ").split("`")[1] for row in audit]
    expected = [spec.name for spec in ARCHIVE_ALARMS] + [f"{spec.name}<n>" for spec in REPLICATION_ALARMS]
    assert names == [*expected, "LogVolumeSpike", "RegionOutOfDns"]
    assert {row.rsplit(" | ", 1)[1].removesuffix(" |") for row in audit} == {"warning"}
