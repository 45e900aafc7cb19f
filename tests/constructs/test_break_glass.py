"""components/break_glass.py: the one role the audit buckets let erase records, powerless until an incident."""

from __future__ import annotations

from components.break_glass import BreakGlassRole
from tests.support.bare import ACCOUNT, bare_stack, one, template
from tests.support.synthesized import Synthesized


def test_the_role_is_assumed_from_this_account_with_mfa_for_an_hour_and_holds_no_permission() -> None:
    stack = bare_stack()
    BreakGlassRole(stack, "BreakGlass", role_name="payments-test-audit-break-glass")
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


def test_only_the_primary_region_creates_it_because_iam_names_are_global(each_profile: Synthesized) -> None:
    name = each_profile.config.names.break_glass_role
    named = [
        stack
        for stack, document in each_profile.every_document.items()
        for resource in document["Resources"].values()
        if resource["Type"] == "AWS::IAM::Role" and resource["Properties"].get("RoleName") == name
    ]
    assert named == ["Security"]
