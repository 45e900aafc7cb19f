"""components/web_acl.py: per-IP rate limit then AWS managed rule groups, logged with credentials redacted."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import aws_logs as logs

from components.container_contract import CONTRACT
from components.web_acl import REDACTED_HEADERS, RegionalWebAcl
from settings.naming import (
    WAF_BODY_SIZE_RULE,
    WAF_MANAGED_RULE_GROUPS,
    WAF_PAYMENT_RATE_RULE,
    WAF_RATE_RULE,
    WAF_RULES,
    PhysicalNames,
)
from tests.support.bare import ACCOUNT, REGION, bare_stack, one, template

NAMES = PhysicalNames(service="payments", environment="test")
RATE_LIMIT = 1234
PAYMENT_RATE_LIMIT = 123


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    stack = bare_stack()
    group = logs.LogGroup(stack, "WafLogGroup", log_group_name=NAMES.waf_log_group)
    RegionalWebAcl(
        stack, "WebAcl", names=NAMES, rate_limit=RATE_LIMIT, payment_rate_limit=PAYMENT_RATE_LIMIT, log_group=group
    )
    return template(stack)


def test_web_acl_is_regional_rate_limits_each_ip_then_applies_managed_rule_groups(document: dict[str, Any]) -> None:
    acl = one(document, "AWS::WAFv2::WebACL")
    assert (acl["Name"], acl["Scope"], acl["DefaultAction"]) == (NAMES.web_acl, "REGIONAL", {"Allow": {}})
    rules = {rule["Name"]: rule for rule in acl["Rules"]}
    assert tuple(rules) == WAF_RULES
    rate = rules[WAF_RATE_RULE]
    assert (rate["Priority"], rate["Action"]) == (0, {"Block": {}})
    assert rate["Statement"]["RateBasedStatement"] == {
        "AggregateKeyType": "IP",
        "Limit": RATE_LIMIT,
        "EvaluationWindowSec": 300,
    }
    groups = {name: rules[name]["Statement"]["ManagedRuleGroupStatement"]["Name"] for name in WAF_MANAGED_RULE_GROUPS}
    assert groups == WAF_MANAGED_RULE_GROUPS
    for rule in acl["Rules"]:
        assert rule["VisibilityConfig"]["CloudWatchMetricsEnabled"] is True
        assert rule["VisibilityConfig"]["MetricName"] == NAMES.waf_metric(rule["Name"])


def test_every_request_is_logged_with_credentials_redacted(document: dict[str, Any]) -> None:
    logging = one(document, "AWS::WAFv2::LoggingConfiguration")
    (destination,) = logging["LogDestinationConfigs"]
    assert destination["Fn::Join"][1][0] == f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:"
    redacted = {field["SingleHeader"]["Name"] for field in logging["RedactedFields"] if "SingleHeader" in field}
    assert redacted == set(REDACTED_HEADERS) >= {"authorization", "cookie"}
    # A query string can hold anything a client put there, a card number included.
    assert {"QueryString": {}} in logging["RedactedFields"]


def rule(document: dict[str, Any], name: str) -> dict[str, Any]:
    (found,) = [r for r in one(document, "AWS::WAFv2::WebACL")["Rules"] if r["Name"] == name]
    return dict(found)


def test_payments_from_one_address_are_limited_far_below_its_other_requests(document: dict[str, Any]) -> None:
    """Card testing: a stolen card list tried as many small payments, from a few addresses."""
    limited = rule(document, WAF_PAYMENT_RATE_RULE)
    assert limited["Action"] == {"Block": {}}
    statement = limited["Statement"]["RateBasedStatement"]
    assert (statement["AggregateKeyType"], statement["Limit"], statement["EvaluationWindowSec"]) == (
        "IP",
        PAYMENT_RATE_LIMIT,
        300,
    )
    matches = [s["ByteMatchStatement"] for s in statement["ScopeDownStatement"]["AndStatement"]["Statements"]]
    assert {(tuple(m["FieldToMatch"]), m["SearchString"], m["PositionalConstraint"]) for m in matches} == {
        (("UriPath",), "/payments", "EXACTLY"),
        (("Method",), "POST", "EXACTLY"),
    }


def test_a_body_larger_than_a_payment_or_than_waf_can_read_is_blocked(document: dict[str, Any]) -> None:
    limited = rule(document, WAF_BODY_SIZE_RULE)
    assert limited["Action"] == {"Block": {}}
    size = limited["Statement"]["SizeConstraintStatement"]
    assert size["FieldToMatch"] == {"Body": {"OversizeHandling": "MATCH"}}
    assert (size["ComparisonOperator"], size["Size"]) == ("GT", CONTRACT.max_body_bytes)
    assert CONTRACT.max_body_bytes < 8192  # WAF reads the first 8 KB of a body at an ALB


def test_log_delivery_may_write_exactly_the_waf_log_group(document: dict[str, Any]) -> None:
    """WAF would add an account-wide log policy itself; this one is declared, scoped and reviewed."""
    policy = one(document, "AWS::Logs::ResourcePolicy")
    assert policy["PolicyName"] == NAMES.waf_log_delivery_policy
    (logging_id,) = [lid for lid, r in document["Resources"].items() if r["Type"] == "AWS::WAFv2::LoggingConfiguration"]
    policy_id = next(lid for lid, r in document["Resources"].items() if r["Type"] == "AWS::Logs::ResourcePolicy")
    assert policy_id in document["Resources"][logging_id]["DependsOn"]


def test_a_pinned_rule_group_runs_that_version_and_the_others_follow_aws_default() -> None:
    stack = bare_stack()
    group = logs.LogGroup(stack, "WafLogGroup")
    pinned = {"AWSManagedRulesCommonRuleSet": "Version_1.0"}
    RegionalWebAcl(
        stack, "WebAcl", names=NAMES, rate_limit=RATE_LIMIT, payment_rate_limit=PAYMENT_RATE_LIMIT, log_group=group,
        rule_versions=pinned,
    )  # fmt: skip
    statements = [
        rule["Statement"]["ManagedRuleGroupStatement"]
        for rule in one(template(stack), "AWS::WAFv2::WebACL")["Rules"]
        if "ManagedRuleGroupStatement" in rule["Statement"]
    ]
    assert {s["Name"]: s.get("Version") for s in statements} == {
        name: pinned.get(name) for name in WAF_MANAGED_RULE_GROUPS.values()
    }
