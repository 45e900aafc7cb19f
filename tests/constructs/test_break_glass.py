"""components/break_glass.py: the custodian roles, powerless until an incident, and who the custodians are."""

from __future__ import annotations

from components.break_glass import BreakGlassRole, Custodians
from settings.naming import PhysicalNames
from tests.support.bare import ACCOUNT, REGION, bare_stack, one, template
from tests.support.synthesized import Synthesized


def test_a_custodian_role_is_assumed_from_this_account_with_mfa_for_an_hour_and_holds_no_permission() -> None:
    stack = bare_stack()
    BreakGlassRole(stack, "BreakGlass", role_name="payments-test-audit-break-glass", description="test")
    document = template(stack)
    role = one(document, "AWS::IAM::Role")
    assert (role["RoleName"], role["MaxSessionDuration"]) == ("payments-test-audit-break-glass", 3600)
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}
    assert trust["Condition"] == {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
    assert "Policies" not in role
    assert "ManagedPolicyArns" not in role
    assert not [
        r for r in document["Resources"].values() if r["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy")
    ]


def test_the_custodians_are_named_roles_and_cloudformations_execution_role_of_the_region() -> None:
    names = PhysicalNames(service="payments", environment="test")
    custodians = Custodians.of(bare_stack(), names)
    assert custodians.break_glass_role_arn == f"arn:aws:iam::{ACCOUNT}:role/payments-test-audit-break-glass"
    assert custodians.key_admin_role_arn == f"arn:aws:iam::{ACCOUNT}:role/payments-test-key-administrator"
    assert custodians.deployer_role_arn == f"arn:aws:iam::{ACCOUNT}:role/cdk-hnb659fds-cfn-exec-role-{ACCOUNT}-{REGION}"


def test_only_the_primary_region_creates_the_roles_because_iam_names_are_global(each_profile: Synthesized) -> None:
    names = {each_profile.config.names.break_glass_role, each_profile.config.names.key_admin_role}
    named = sorted(
        (stack, resource["Properties"]["RoleName"])
        for stack, document in each_profile.every_document.items()
        for resource in document["Resources"].values()
        if resource["Type"] == "AWS::IAM::Role" and resource["Properties"].get("RoleName") in names
    )
    assert named == sorted(("Security", name) for name in names)
