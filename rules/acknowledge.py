"""Acknowledge cdk-nag findings next to the code that causes them."""

from __future__ import annotations

from aws_cdk import Acknowledgment, CfnElement, Validations
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


def resource_of(construct: IConstruct) -> IConstruct:
    """The one CloudFormation resource behind a construct: itself, or an L2's default child."""
    if isinstance(construct, CfnElement):
        return construct
    child = construct.node.default_child
    if not isinstance(child, CfnElement):
        raise ValueError(f"{construct.node.path} has no single CloudFormation resource to acknowledge a finding on")
    return child


def acknowledge(
    construct: IConstruct,
    rule: str,
    *,
    reason: str,
    packs: tuple[str, ...] = COMPLIANCE_PACKS,
    granular: str | None = None,
) -> None:
    """Accept finding `rule` of each pack in `packs` on the construct's one CloudFormation resource only;
    `reason` names the compensating control."""
    Validations.of(resource_of(construct)).acknowledge(
        *(Acknowledgment(id=finding_id(pack, rule, granular), reason=reason) for pack in packs)
    )
