"""The custodians: the few principals that may do what every other principal of the account is denied.

- The break-glass role, the one principal the audit buckets let erase a record or change their protection.
- The key administrator, the one principal the keys let schedule their deletion, disable them or stop their
  rotation.
- CloudFormation's execution role, which deploys the buckets' and keys' configuration (their policies).

The two roles hold no permission. In an incident that needs one (a record that must be removed by law, a key
that must be retired), an administrator attaches what is needed, an IAM change that CloudTrail records, and
assumes it with MFA for at most an hour. IAM names are global: only the primary region's Security stack
creates them; the standby's buckets and keys name them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import Duration, Stack
from aws_cdk import aws_iam as iam
from constructs import Construct

from settings.naming import PhysicalNames


class BreakGlassRole(Construct):
    """A custodian role: assumed from this account with MFA, for an hour, holding no permission."""

    def __init__(self, scope: Construct, id_: str, *, role_name: str, description: str) -> None:
        super().__init__(scope, id_)
        self.role = iam.Role(
            self,
            "Role",
            role_name=role_name,
            assumed_by=iam.AccountRootPrincipal().with_conditions({"Bool": {"aws:MultiFactorAuthPresent": "true"}}),
            max_session_duration=Duration.hours(1),
            description=description,
        )


@dataclass(frozen=True)
class Custodians:
    break_glass_role_arn: str
    key_admin_role_arn: str
    deployer_role_arn: str

    @classmethod
    def of(cls, scope: Construct, names: PhysicalNames) -> Custodians:
        stack = Stack.of(scope)
        synthesizer = stack.synthesizer
        deployer = getattr(synthesizer, "cloud_formation_execution_role_arn", None)
        if not isinstance(deployer, str):
            raise TypeError(f"{type(synthesizer).__name__} names no CloudFormation execution role")
        return cls(
            break_glass_role_arn=f"arn:aws:iam::{stack.account}:role/{names.break_glass_role}",
            key_admin_role_arn=f"arn:aws:iam::{stack.account}:role/{names.key_admin_role}",
            deployer_role_arn=stack.resolve(deployer).replace("${AWS::Partition}", "aws"),
        )


def create_custodian_roles(scope: Construct, names: PhysicalNames) -> None:
    """The two roles, in the primary region's Security stack only."""
    BreakGlassRole(
        scope,
        "BreakGlass",
        role_name=names.break_glass_role,
        description="Break glass: the only role the audit buckets let erase records or change their protection",
    )
    BreakGlassRole(
        scope,
        "KeyAdministrator",
        role_name=names.key_admin_role,
        description="The only role the KMS keys let schedule their deletion, disable them or stop their rotation",
    )


def deny_all_but(sid: str, actions: Sequence[str], resource: str, *allowed: str) -> iam.PolicyStatement:
    """A resource-policy statement denying `actions` on `resource` to every principal whose ARN is not one of
    `allowed`, whatever its own policies allow (a service principal has no ARN, so it is denied too)."""
    return iam.PolicyStatement(
        sid=sid,
        effect=iam.Effect.DENY,
        principals=[iam.AnyPrincipal()],
        actions=list(actions),
        resources=[resource],
        conditions={"ArnNotEquals": {"aws:PrincipalArn": allowed[0] if len(allowed) == 1 else list(allowed)}},
    )
