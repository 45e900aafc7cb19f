"""A role whose permissions are exactly a list of statements, in one customer-managed policy.

Customer-managed rather than inline (PCI DSS, NIST and HIPAA packs flag inline policies), and no CDK
grant adds to it behind the reader's back.
"""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from constructs import Construct


def account_service(scope: Construct, service: str) -> iam.IPrincipal:
    """An AWS service principal that may act only on behalf of this stack's account (no confused deputy)."""
    return iam.ServicePrincipal(service).with_conditions(
        {"StringEquals": {"aws:SourceAccount": Stack.of(scope).account}}
    )


def role_with_policy(
    scope: Construct,
    kind: str,
    *,
    assumed_by: iam.IPrincipal,
    description: str,
    statements: list[iam.PolicyStatement],
    role_name: str | None = None,
) -> tuple[iam.Role, iam.ManagedPolicy]:
    """`<kind>Role` holding `<kind>Policy`, a customer-managed policy of `statements`; named only where another
    stack's policy must name it."""
    policy = iam.ManagedPolicy(scope, f"{kind}Policy", description=description, statements=statements)
    role = iam.Role(
        scope,
        f"{kind}Role",
        role_name=role_name,
        assumed_by=assumed_by,
        description=description,
        managed_policies=[policy],
    )
    return role, policy
