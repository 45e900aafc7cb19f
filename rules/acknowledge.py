"""Acknowledge cdk-nag findings next to the code that causes them."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Acknowledgment, CfnElement, CfnResource, Validations
from aws_cdk import aws_iam as iam
from constructs import IConstruct

AWS_SOLUTIONS = "AwsSolutions"
PCI_DSS_321 = "PCI.DSS.321"
NIST_800_53_R5 = "NIST.800.53.R5"
HIPAA_SECURITY = "HIPAA.Security"
PCI_DSS_401 = "PCI.DSS.401"
# Template metadata of an IAM policy: the statements (Sid -> actions) its wildcard acknowledgements justify. The
# PCI DSS v4.0.1 pack's rule 7.2-JustifiedWildcards fails synth on any wildcard statement not listed there.
JUSTIFIED_WILDCARDS = "payments:justified-wildcards"
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


def acknowledge_wildcards(
    policy: IConstruct, *, granular: str, statements: Sequence[iam.PolicyStatement], reason: str
) -> None:
    """Accept AwsSolutions-IAM5 `granular` on `policy` for exactly `statements` (each with a Sid): a wildcard
    statement added to the policy later is not covered by this reason, and fails synth until it has its own."""
    acknowledge(policy, "IAM5", packs=(AWS_SOLUTIONS,), granular=granular, reason=reason)
    resource = resource_of(policy)
    assert isinstance(resource, CfnResource)
    justified = dict(resource.get_metadata(JUSTIFIED_WILDCARDS) or {})
    for statement in statements:
        if not statement.sid:
            raise ValueError(f"{policy.node.path}: a wildcard statement needs a Sid to be acknowledged")
        justified[statement.sid] = sorted(statement.actions)
    resource.add_metadata(JUSTIFIED_WILDCARDS, justified)
