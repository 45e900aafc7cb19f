"""The committed acknowledgement register is what the app generates now."""

from __future__ import annotations

from compliance.register import REGISTER, render
from tests.conftest import Synthesized


def test_committed_register_is_current(dev: Synthesized, staging: Synthesized, prod: Synthesized) -> None:
    generated = render({"dev": dev.app, "staging": staging.app, "prod": prod.app})
    assert REGISTER.read_text() == generated, "run `make register` and commit docs/ACKNOWLEDGEMENTS.md"


def test_register_lists_every_acknowledgement_with_its_finding(dev: Synthesized) -> None:
    text = REGISTER.read_text()
    assert "(no finding)" not in text
    assert "`Security/ProcessorSecret/Secret/Resource`" in text
