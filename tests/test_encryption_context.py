"""The shim that settles `kms:EncryptionContext:<key>` conditions before iam-simulate sees a policy."""

from __future__ import annotations

import pytest

from tests.support.paths.encryption_context import UnsupportedConditionError, holds, settle
from tests.support.paths.simulator import ALLOWED, IMPLICITLY_DENIED, Decision, evaluate

GROUP = "arn:aws:logs:us-east-1:111111111111:log-group:app"
KEY = "kms:EncryptionContext:aws:logs:arn"


@pytest.mark.parametrize(
    ("operator", "expected", "actual", "result"),
    [
        ("StringEquals", GROUP, GROUP, True),
        ("StringEquals", [GROUP, "other"], GROUP, True),
        ("StringEquals", GROUP, GROUP + "x", False),
        ("StringNotEquals", GROUP, GROUP, False),
        ("StringNotEquals", GROUP, "other", True),
        ("StringLike", "arn:aws:logs:us-east-1:*:log-group:*", GROUP, True),
        ("StringLike", "arn:aws:logs:us-east-1:1111111111?1:log-group:app", GROUP, True),
        ("StringLike", "arn:aws:logs:eu-west-1:*", GROUP, False),
        ("StringNotLike", "arn:aws:logs:eu-west-1:*", GROUP, True),
        ("ArnEquals", GROUP, GROUP, True),
        ("ArnLike", "arn:aws:logs:us-east-1:111111111111:log-group:*", GROUP, True),
        # ArnLike matches part by part: a wildcard does not cross a colon into the account.
        ("ArnLike", "arn:aws:logs:us-east-1*", GROUP, False),
        ("ArnLike", "arn:aws:logs:us-east-1:222222222222:log-group:*", GROUP, False),
        ("ArnNotLike", "arn:aws:logs:us-east-1:222222222222:*", GROUP, True),
        ("ArnNotEquals", GROUP, GROUP, False),
        # A missing key: negated operators and ...IfExists hold, the others do not.
        ("StringEquals", GROUP, None, False),
        ("ArnLike", GROUP, None, False),
        ("StringNotEquals", GROUP, None, True),
        ("ArnLikeIfExists", "arn:aws:logs:eu-west-1:*", None, True),
        ("ArnLikeIfExists", "arn:aws:logs:eu-west-1:*", GROUP, False),
    ],
)
def test_each_operator(operator: str, expected: str | list[str], actual: str | None, result: bool) -> None:
    assert holds(operator, expected, actual) is result


def test_other_operators_are_refused_not_guessed() -> None:
    with pytest.raises(UnsupportedConditionError):
        holds("NumericEquals", "1", "1")


def policy(effect: str, operator: str, pattern: str) -> dict[str, object]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": effect,
                "Principal": {"Service": "logs.us-east-1.amazonaws.com"},
                "Action": "kms:GenerateDataKey",
                "Resource": "*",
                "Condition": {operator: {KEY: pattern}, "StringEquals": {"aws:SourceAccount": "111111111111"}},
            }
        ],
    }


def test_a_satisfied_entry_leaves_the_other_conditions_to_the_library() -> None:
    settled = settle(policy("Allow", "ArnLike", "arn:aws:logs:us-east-1:111111111111:*"), {KEY: GROUP})
    (statement,) = settled["Statement"]
    assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": "111111111111"}}


@pytest.mark.parametrize("effect", ["Allow", "Deny"])
def test_an_unsatisfied_entry_drops_its_statement(effect: str) -> None:
    settled = settle(policy(effect, "ArnLike", "arn:aws:logs:eu-west-1:*"), {KEY: GROUP})
    assert settled["Statement"] == []


def key_request(pattern: str, shim: bool) -> Decision:
    return Decision(
        principal="logs.us-east-1.amazonaws.com",
        action="kms:GenerateDataKey",
        resource="arn:aws:kms:us-east-1:111111111111:key/k",
        resource_account="111111111111",
        context={KEY: GROUP, "aws:SourceAccount": "111111111111"},
        resource_policy=policy("Allow", "ArnLike", pattern),
        settle_encryption_context=shim,
    )


def test_evaluation_with_the_shim_follows_the_encryption_context() -> None:
    assert evaluate(
        [
            key_request("arn:aws:logs:us-east-1:111111111111:log-group:*", shim=True),
            key_request("arn:aws:logs:us-east-1:222222222222:log-group:*", shim=True),
        ]
    ) == [ALLOWED, IMPLICITLY_DENIED]


def test_the_library_still_needs_the_shim() -> None:
    """Fails once iam-simulate reads `kms:EncryptionContext:<key>` itself: then remove the shim."""
    assert evaluate([key_request("arn:aws:logs:us-east-1:111111111111:log-group:*", shim=False)]) == [IMPLICITLY_DENIED]
