"""Conditions on `kms:EncryptionContext:<key>`, which iam-simulate 0.1.x drops from the request context.

The library matches variable condition keys only where the variable follows a `/` (`aws:PrincipalTag/x`);
KMS's encryption-context keys put it after a `:`, so every such condition reads as a missing key and a key
policy that scopes CloudWatch Logs by `kms:EncryptionContext:aws:logs:arn` is never satisfied. This module
settles exactly those condition entries from the request context first: a satisfied entry is removed, an
unsatisfied one removes its statement (it can never apply). All other conditions stay for the library.
`tests/test_encryption_context.py` proves each operator below and that the library still needs this.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any

PREFIX = "kms:encryptioncontext:"
_STRING = {"stringequals", "stringnotequals", "stringlike", "stringnotlike"}
_ARN = {"arnequals", "arnnotequals", "arnlike", "arnnotlike"}


class UnsupportedConditionError(ValueError):
    """An operator on an encryption-context key that this module does not evaluate."""


def _glob(pattern: str, value: str) -> bool:
    expression = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(expression, value, flags=re.DOTALL) is not None


def _arn_like(pattern: str, value: str) -> bool:
    """ArnLike: the six colon-separated parts match one by one, each with wildcards."""
    patterns, values = pattern.split(":", 5), value.split(":", 5)
    return len(patterns) == len(values) == 6 and all(_glob(p, v) for p, v in zip(patterns, values, strict=True))


def holds(operator: str, expected: str | list[str], actual: str | None) -> bool:
    """Whether one condition entry holds for a single-valued key (None when the request lacks it)."""
    name = operator.lower()
    if_exists = name.endswith("ifexists")
    name = name.removesuffix("ifexists")
    if name not in _STRING | _ARN:
        raise UnsupportedConditionError(f"{operator} on an encryption-context key")
    negated = "not" in name
    if actual is None:
        return negated or if_exists
    patterns = [expected] if isinstance(expected, str) else expected
    if name.endswith("like"):
        match = _arn_like if name.startswith("arn") else _glob
        found = any(match(p, actual) for p in patterns)
    else:
        found = actual in patterns
    return not found if negated else found


def settle(policy: Mapping[str, Any], context: Mapping[str, Any]) -> Mapping[str, Any]:
    """`policy` with its encryption-context conditions decided against `context`."""
    values = {key.lower(): value for key, value in context.items() if key.lower().startswith(PREFIX)}
    settled = copy.deepcopy(dict(policy))
    statements = settled.get("Statement", [])
    kept = []
    for statement in [statements] if isinstance(statements, dict) else statements:
        applies = True
        for operator, block in list(statement.get("Condition", {}).items()):
            for key in [k for k in block if k.lower().startswith(PREFIX)]:
                applies = applies and holds(operator, block.pop(key), values.get(key.lower()))
            if not block:
                del statement["Condition"][operator]
        if "Condition" in statement and not statement["Condition"]:
            del statement["Condition"]
        if applies:
            kept.append(statement)
    settled["Statement"] = kept
    return settled
