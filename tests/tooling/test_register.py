"""tooling/register.py: the committed acknowledgement register is what the app's profiles generate now."""

from __future__ import annotations

from rules.packs import PACK_TYPES
from tests.support.synthesized import Synthesized
from tooling.register import REGISTER, Entry, entries, render


def generated(app_profiles: dict[str, Synthesized]) -> dict[str, set[Entry]]:
    profiles = {}
    for name, synthesized in app_profiles.items():
        reports = [(pack.name, report) for pack, report in map(synthesized.pack_report, PACK_TYPES)]
        profiles[name] = entries(synthesized.app, reports, synthesized.acknowledgements)
    return profiles


def test_committed_register_is_current(app_profiles: dict[str, Synthesized]) -> None:
    assert REGISTER.read_text() == render(generated(app_profiles)), "run `make register` and commit the register"


def test_every_acknowledgement_is_registered_with_the_finding_it_answers(
    every_profile: dict[str, Synthesized],
) -> None:
    """Also for a profile the app does not ship (an adopter's), whose register they generate themselves."""
    for name, found in generated(every_profile).items():
        assert found, name
        assert [entry for entry in found if entry.finding == "(no finding)"] == [], name
