"""The committed acknowledgement register is what the app generates now."""

from __future__ import annotations

from compliance.packs import PACK_TYPES
from compliance.register import REGISTER, entries, render
from tests.conftest import Synthesized


def test_committed_register_is_current(dev: Synthesized, staging: Synthesized, prod: Synthesized) -> None:
    profiles = {}
    for synthesized in (dev, staging, prod):
        reports = [(pack.name, report) for pack, report in map(synthesized.pack_report, PACK_TYPES)]
        profiles[synthesized.config.name] = entries(synthesized.app, reports, synthesized.acknowledgements)
    generated = render(profiles)
    assert REGISTER.read_text() == generated, "run `make register` and commit docs/ACKNOWLEDGEMENTS.md"


def test_register_lists_every_acknowledgement_with_its_finding(dev: Synthesized) -> None:
    text = REGISTER.read_text()
    assert "(no finding)" not in text
    assert "`Security/ProcessorSecret/Secret/Resource`" in text
