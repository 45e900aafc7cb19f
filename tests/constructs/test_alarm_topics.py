"""components/alarm_topics.py: encrypted, TLS-only topics that CloudWatch alarms (and Budgets, on the warning
topic) of this account may publish to, with the subscribers the profile names."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import aws_kms as kms

from components.alarm_topics import AlarmTopics
from settings.sections import AlertingSettings
from tests.support.bare import ACCOUNT, REGION, bare_stack, properties, resources, template

ALERTING = AlertingSettings(paging_emails=("oncall@example.com",), warning_emails=("team@example.com",))


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    stack = bare_stack()
    AlarmTopics(stack, "Topics", key=kms.Key(stack, "DataKey"), alerting=ALERTING)
    return template(stack)


def policy_of(document: dict[str, Any], topic_prefix: str) -> list[dict[str, Any]]:
    (topic_id,) = [lid for lid in resources(document, "AWS::SNS::Topic") if lid.startswith(topic_prefix)]
    (policy,) = [p for p in properties(document, "AWS::SNS::TopicPolicy") if p["Topics"] == [{"Ref": topic_id}]]
    statements: list[dict[str, Any]] = policy["PolicyDocument"]["Statement"]
    return statements


def test_topics_are_encrypted_with_the_key_and_refuse_plain_http(document: dict[str, Any]) -> None:
    topics = properties(document, "AWS::SNS::Topic")
    assert len(topics) == 2
    for topic in topics:
        assert topic["KmsMasterKeyId"]["Fn::GetAtt"][0].startswith("DataKey")
    for prefix in ("TopicsPaging", "TopicsWarning"):
        denies = [s["Condition"] for s in policy_of(document, prefix) if s["Effect"] == "Deny"]
        assert denies == [{"Bool": {"aws:SecureTransport": "false"}}]


@pytest.mark.parametrize("prefix", ["TopicsPaging", "TopicsWarning"])
def test_cloudwatch_alarms_of_this_account_and_region_may_publish(document: dict[str, Any], prefix: str) -> None:
    """The topic policy replaces SNS's default one: without this statement no alarm reaches the topic."""
    (allow,) = [s for s in policy_of(document, prefix) if s.get("Sid") == "AllowAlarmsOfThisAccountAndRegion"]
    assert (allow["Principal"], allow["Action"]) == ({"Service": "cloudwatch.amazonaws.com"}, "sns:Publish")
    assert allow["Condition"] == {
        "StringEquals": {"aws:SourceAccount": ACCOUNT},
        "ArnLike": {"aws:SourceArn": f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:*"},
    }


def test_budgets_of_this_account_may_publish_to_the_warning_topic_only(document: dict[str, Any]) -> None:
    (allow,) = [s for s in policy_of(document, "TopicsWarning") if s.get("Sid") == "AllowBudgetsOfThisAccount"]
    assert allow["Principal"] == {"Service": "budgets.amazonaws.com"}
    assert allow["Condition"]["ArnLike"] == {"aws:SourceArn": f"arn:aws:budgets::{ACCOUNT}:budget/*"}
    assert not [s for s in policy_of(document, "TopicsPaging") if s.get("Sid") == "AllowBudgetsOfThisAccount"]


def test_subscriptions_come_from_the_alerting_settings(document: dict[str, Any]) -> None:
    subscriptions = properties(document, "AWS::SNS::Subscription")
    assert sorted(s["Endpoint"] for s in subscriptions) == sorted(ALERTING.paging_emails + ALERTING.warning_emails)
    assert {s["Protocol"] for s in subscriptions} == {"email"}
