"""rules/controls.py: an acknowledgement may cite a compensating control only if the app creates it or preflight
verifies it. Every reason of every profile is read: a detective service it names must be verified by a preflight
check that exists, and a pack rule it names must exist."""

from __future__ import annotations

import re

from rules.controls import DETECTIVE_SERVICES, VERIFIED
from rules.pci_dss_401 import RULES
from tests.rules.test_pci_requirements import exists
from tests.support.synthesized import Synthesized


def test_reasons_cite_only_detective_services_that_preflight_verifies(every_profile: dict[str, Synthesized]) -> None:
    cited = set()
    for synthesized in every_profile.values():
        for acknowledgement in synthesized.acknowledgements:
            for service in DETECTIVE_SERVICES:
                if service in acknowledgement.reason:
                    assert service in VERIFIED, f"{acknowledgement.construct_path}: nothing verifies {service}"
                    cited.add(service)
    assert "CloudTrail" in cited  # the processor secret's reason: CloudTrail records every read
    for service, evidence in VERIFIED.items():
        assert exists(evidence), f"{service}: {evidence.kind} {evidence.ref!r} does not exist"


def test_reasons_cite_only_rules_that_exist(every_profile: dict[str, Synthesized]) -> None:
    suffixes = {rule.suffix for rule in RULES}
    for synthesized in every_profile.values():
        for acknowledgement in synthesized.acknowledgements:
            for rule in re.findall(r"\brule (\d[\w.]*-\w+)", acknowledgement.reason):
                assert rule in suffixes, f"{acknowledgement.construct_path} cites rule {rule}"
