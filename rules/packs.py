"""The cdk-nag rule packs every synth runs."""

from __future__ import annotations

from aws_cdk import App, Validations
from cdk_nag import AwsSolutionsChecks, HIPAASecurityChecks, NagPack, NIST80053R5Checks, PCIDSS321Checks
from constructs import IConstruct

from rules.pci_dss_401 import PCIDSS401Checks

PACK_TYPES: tuple[type[NagPack], ...] = (
    AwsSolutionsChecks,
    PCIDSS321Checks,
    NIST80053R5Checks,
    HIPAASecurityChecks,
    PCIDSS401Checks,
)


def nag_packs(scope: IConstruct) -> list[NagPack]:
    return [pack(scope) for pack in PACK_TYPES]


def register_checks(app: App) -> None:
    """Make `cdk synth` fail on any unacknowledged finding of any pack."""
    Validations.of(app).add_plugins(*nag_packs(app))
