"""components/change_guard.py: a rule per kind of resource on the CloudTrail calls that change it, scoped to this
app's resources, that ignores CloudFormation and Application Auto Scaling and warns everyone else's change; and the
app wires every kind with its own resources, in both regions."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import aws_sns as sns

from components.change_guard import EXPECTED_CALLERS, WATCHED, OutOfBandChangeGuard
from tests.support.bare import bare_stack, properties, resources, template
from tests.support.synthesized import Synthesized

IDENTIFIERS = {kind: [f"{kind.lower()}-id"] for kind in WATCHED}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    stack = bare_stack()
    OutOfBandChangeGuard(stack, "Guard", watched=IDENTIFIERS, warning_topic=sns.Topic(stack, "Warning"))
    return template(stack)


def rules_by_kind(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        resource["Metadata"]["aws:cdk:path"].split("/")[-2]: resource["Properties"]
        for resource in resources(document, "AWS::Events::Rule").values()
    }


def test_each_kind_watches_the_calls_that_change_it_on_this_apps_resources_only(document: dict[str, Any]) -> None:
    rules = rules_by_kind(document)
    assert set(rules) == set(WATCHED)
    for kind, (source, field, calls) in WATCHED.items():
        pattern = rules[kind]["EventPattern"]
        assert (pattern["source"], pattern["detail-type"]) == ([source], ["AWS API Call via CloudTrail"])
        assert pattern["detail"]["eventName"] == list(calls)
        assert pattern["detail"]["requestParameters"] == {field: IDENTIFIERS[kind]}


def test_changes_made_by_cloudformation_or_autoscaling_do_not_warn_and_all_others_do(document: dict[str, Any]) -> None:
    """`invokedBy` names the service that made a call for a caller; a person's or a script's call has none."""
    for rule in rules_by_kind(document).values():
        alternatives = rule["EventPattern"]["detail"]["$or"]
        assert {"userIdentity": {"invokedBy": [{"exists": False}]}} in alternatives
        assert {"userIdentity": {"invokedBy": [{"anything-but": list(EXPECTED_CALLERS)}]}} in alternatives
        assert len(alternatives) == 2
    assert set(EXPECTED_CALLERS) == {"cloudformation.amazonaws.com", "ecs.application-autoscaling.amazonaws.com"}


def test_every_rule_warns_with_what_was_called_by_whom_and_no_grant_of_its_own(document: dict[str, Any]) -> None:
    (topic,) = resources(document, "AWS::SNS::Topic")
    for rule in rules_by_kind(document).values():
        (target,) = rule["Targets"]
        assert target["Arn"] == {"Ref": topic}
        assert "$.detail.eventName" in target["InputTransformer"]["InputPathsMap"].values()
        assert "$.detail.userIdentity.arn" in target["InputTransformer"]["InputPathsMap"].values()
    # The topic and key policies allow the rules (components/alarm_topics.py, keys.py), conditioned on this
    # account's and region's rules; CDK's SnsTopic target would add an unconditioned allow here.
    assert properties(document, "AWS::SNS::TopicPolicy") == []


def test_the_app_guards_its_own_resources_in_every_region(each_profile: Synthesized) -> None:
    for prefix in ("", "Standby") if each_profile.standby_documents else ("",):
        rules = rules_by_kind(each_profile.every_document[f"{prefix}Observability"])
        assert set(rules) == set(WATCHED)
        watched = {kind: rule["EventPattern"]["detail"]["requestParameters"] for kind, rule in rules.items()}
        assert len(watched["SecurityGroup"]["groupId"]) == 3  # the ALB's, the tasks', the endpoints'
        assert len(watched["EcsService"]["cluster"]) == 2  # its name and its ARN: callers give either
        buckets = watched["AuditBucket"]["bucketName"]
        assert len(buckets) == 4 + (4 if prefix else 0)  # the audit buckets, and the standby's replicas
