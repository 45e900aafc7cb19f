"""Acknowledge cdk-nag findings next to the code that causes them."""

from __future__ import annotations

from aws_cdk import Acknowledgment, Validations
from constructs import IConstruct

AWS_SOLUTIONS = "AwsSolutions"
PCI_DSS_321 = "PCI.DSS.321"
NIST_800_53_R5 = "NIST.800.53.R5"
HIPAA_SECURITY = "HIPAA.Security"
PCI_DSS_401 = "PCI.DSS.401"
COMPLIANCE_PACKS = (PCI_DSS_321, NIST_800_53_R5, HIPAA_SECURITY)


def finding_id(pack: str, rule: str, granular: str | None = None) -> str:
    """The id cdk-nag 3 reports, e.g. `AwsSolutions::AwsSolutions-IAM5[Action::kms:GenerateDataKey*]`."""
    suffix = f"[{granular}]" if granular else ""
    return f"{pack}::{pack}-{rule}{suffix}"


def acknowledge(
    construct: IConstruct,
    rule: str,
    *,
    reason: str,
    packs: tuple[str, ...] = COMPLIANCE_PACKS,
    granular: str | None = None,
) -> None:
    """Accept finding `rule` of each pack in `packs` on `construct` only; `reason` names the compensating control."""
    Validations.of(construct).acknowledge(
        *(Acknowledgment(id=finding_id(pack, rule, granular), reason=reason) for pack in packs)
    )
