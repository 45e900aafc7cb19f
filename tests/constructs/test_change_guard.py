"""components/change_guard.py: a rule per kind of resource on the CloudTrail calls that change it, scoped to this
app's resources, that ignores CloudFormation and Application Auto Scaling and warns everyone else's change; a
warning that cannot be delivered waits in a dead-letter queue whose depth pages; and the app wires every kind with
its own resources, in both regions."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import Duration
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns

from components.change_guard import (
    DEAD_LETTER_RETENTION,
    EXPECTED_CALLERS,
    WATCHED,
    OutOfBandChangeGuard,
)
from settings import GovernanceMode
from tests.support.bare import bare_stack, one, properties, resources, template
from tests.support.synthesized import Synthesized

IDENTIFIERS = {kind: [f"{kind.lower()}-id"] for kind in WATCHED}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    stack = bare_stack()
    OutOfBandChangeGuard(
        stack,
        "Guard",
        watched=IDENTIFIERS,
        warning_topic=sns.Topic(stack, "Warning"),
        paging_topic=sns.Topic(stack, "Paging"),
        dead_letter_key=kms.Key(stack, "DataKey"),
    )
    return template(stack)


def only(document: dict[str, Any], resource_type: str) -> str:
    (logical_id,) = resources(document, resource_type)
    return logical_id


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
        *outer, last = field.split(".")
        expected: dict[str, Any] = {last: IDENTIFIERS[kind]}
        for name in reversed(outer):
            expected = {name: expected}
        assert pattern["detail"]["requestParameters"] == expected


def test_a_security_group_rule_edited_in_place_warns_too(document: dict[str, Any]) -> None:
    """ModifySecurityGroupRules changes an existing rule (a port, a range) without Authorize or Revoke, and
    CloudTrail records its group as requestParameters.ModifySecurityGroupRulesRequest.GroupId, not groupId."""
    pattern = rules_by_kind(document)["SecurityGroupRules"]["EventPattern"]
    assert pattern["detail"]["eventName"] == ["ModifySecurityGroupRules"]
    assert pattern["detail"]["requestParameters"] == {
        "ModifySecurityGroupRulesRequest": {"GroupId": IDENTIFIERS["SecurityGroupRules"]}
    }


def test_changes_made_by_cloudformation_or_autoscaling_do_not_warn_and_all_others_do(document: dict[str, Any]) -> None:
    """`invokedBy` names the service that made a call for a caller; a person's or a script's call has none."""
    for rule in rules_by_kind(document).values():
        alternatives = rule["EventPattern"]["detail"]["$or"]
        assert {"userIdentity": {"invokedBy": [{"exists": False}]}} in alternatives
        assert {"userIdentity": {"invokedBy": [{"anything-but": list(EXPECTED_CALLERS)}]}} in alternatives
        assert len(alternatives) == 2
    assert set(EXPECTED_CALLERS) == {"cloudformation.amazonaws.com", "ecs.application-autoscaling.amazonaws.com"}


def test_every_rule_warns_with_what_was_called_by_whom_and_no_grant_of_its_own(document: dict[str, Any]) -> None:
    topic = next(t for t in resources(document, "AWS::SNS::Topic") if t.startswith("Warning"))
    for rule in rules_by_kind(document).values():
        (target,) = rule["Targets"]
        assert target["Arn"] == {"Ref": topic}
        assert "$.detail.eventName" in target["InputTransformer"]["InputPathsMap"].values()
        assert "$.detail.userIdentity.arn" in target["InputTransformer"]["InputPathsMap"].values()
    # The topic and key policies allow the rules (components/alarm_topics.py, keys.py), conditioned on this
    # account's and region's rules; CDK's SnsTopic target would add an unconditioned allow here.
    assert properties(document, "AWS::SNS::TopicPolicy") == []


def test_a_warning_that_cannot_be_delivered_waits_in_an_encrypted_dead_letter_queue(document: dict[str, Any]) -> None:
    queue = only(document, "AWS::SQS::Queue")
    for rule in rules_by_kind(document).values():
        (target,) = rule["Targets"]
        assert target["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": [queue, "Arn"]}}
    props = one(document, "AWS::SQS::Queue")
    assert props["KmsMasterKeyId"] == {"Fn::GetAtt": [only(document, "AWS::KMS::Key"), "Arn"]}
    assert props["MessageRetentionPeriod"] == DEAD_LETTER_RETENTION.to_seconds() == 14 * 24 * 3600  # SQS's maximum


def test_only_the_guards_own_rules_may_send_to_its_queue(document: dict[str, Any]) -> None:
    (policy,) = properties(document, "AWS::SQS::QueuePolicy")
    (allow,) = [s for s in policy["PolicyDocument"]["Statement"] if s["Effect"] == "Allow"]
    assert allow["Principal"] == {"Service": "events.amazonaws.com"}
    assert allow["Action"] == "sqs:SendMessage"
    (senders,) = allow["Condition"]["ArnEquals"].values()
    assert list(allow["Condition"]["ArnEquals"]) == ["aws:SourceArn"]
    assert sorted(s["Fn::GetAtt"][0] for s in senders) == sorted(resources(document, "AWS::Events::Rule"))
    # and nothing reaches it over plain HTTP
    assert any(s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
               for s in policy["PolicyDocument"]["Statement"])  # fmt: skip


def alarms_by_id(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {lid: r["Properties"] for lid, r in resources(document, "AWS::CloudWatch::Alarm").items()}


def test_a_waiting_warning_pages_because_the_warning_topic_is_what_failed(document: dict[str, Any]) -> None:
    """Received or not, a message counts until someone deletes it: reading it must not clear the page."""
    (alarm,) = [a for lid, a in alarms_by_id(document).items() if "Undelivered" in lid]
    queue = only(document, "AWS::SQS::Queue")
    metrics = {m["Id"]: m for m in alarm["Metrics"]}
    assert metrics["expr_1"]["Expression"] == "FILL(visible, 0) + FILL(reading, 0)"
    for name, metric in (("visible", "ApproximateNumberOfMessagesVisible"),
                         ("reading", "ApproximateNumberOfMessagesNotVisible")):  # fmt: skip
        stat = metrics[name]["MetricStat"]
        assert (stat["Metric"]["Namespace"], stat["Metric"]["MetricName"]) == ("AWS/SQS", metric)
        assert stat["Metric"]["Dimensions"] == [{"Name": "QueueName", "Value": {"Fn::GetAtt": [queue, "QueueName"]}}]
        assert (stat["Stat"], stat["Period"]) == ("Maximum", Duration.minutes(5).to_seconds())
    assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (1, "GreaterThanOrEqualToThreshold")
    assert alarm["TreatMissingData"] == "notBreaching"  # an empty, inactive queue publishes nothing
    assert alarm["AlarmActions"] == [{"Ref": topic_id(document, "Paging")}]


def topic_id(document: dict[str, Any], prefix: str) -> str:
    return next(t for t in resources(document, "AWS::SNS::Topic") if t.startswith(prefix))


def test_a_failed_invocation_of_any_rule_pages_even_when_the_queue_refused_it(document: dict[str, Any]) -> None:
    """FailedInvocations counts every invocation that failed for good, whether or not it reached the queue; an
    alarm's metric math reads at most 10 metrics, so the rules are summed in groups."""
    failed = [a for lid, a in alarms_by_id(document).items() if "FailedInvocations" in lid]
    rules = resources(document, "AWS::Events::Rule")
    watched = []
    for alarm in failed:
        stats = [m["MetricStat"] for m in alarm["Metrics"] if "MetricStat" in m]
        assert 1 <= len(stats) <= 10
        for stat in stats:
            assert (stat["Metric"]["Namespace"], stat["Metric"]["MetricName"], stat["Stat"]) == (
                "AWS/Events",
                "FailedInvocations",
                "Sum",
            )
            ((dimension,),) = [stat["Metric"]["Dimensions"]]
            watched.append(dimension["Value"]["Ref"])
        assert alarm["AlarmActions"] == [{"Ref": topic_id(document, "Paging")}]
        assert alarm["TreatMissingData"] == "notBreaching"
    assert sorted(watched) == sorted(rules)


def test_the_dead_letters_are_encrypted_with_a_key_apart_from_the_topics(each_profile: Synthesized) -> None:
    """If the topics' key is what refused the warning, the same key would refuse its dead letter."""
    document = each_profile.documents["Observability"]
    (queue,) = properties(document, "AWS::SQS::Queue")
    (key_import,) = queue["KmsMasterKeyId"].values()
    assert "DataKey" in key_import
    assert "TopicsKey" not in key_import


def test_the_app_guards_its_own_resources_in_every_region(each_profile: Synthesized) -> None:
    for prefix in ("", "Standby") if each_profile.standby_documents else ("",):
        rules = rules_by_kind(each_profile.every_document[f"{prefix}Observability"])
        assert set(rules) == set(WATCHED)
        watched = {kind: rule["EventPattern"]["detail"]["requestParameters"] for kind, rule in rules.items()}
        assert len(watched["SecurityGroup"]["groupId"]) == 3  # the ALB's, the tasks', the endpoints'
        in_place = watched["SecurityGroupRules"]["ModifySecurityGroupRulesRequest"]["GroupId"]
        assert in_place == watched["SecurityGroup"]["groupId"]
        assert len(watched["Listener"]["listenerArn"]) == 2  # HTTPS, and HTTP's redirect
        ((rules,),) = [watched["ListenerRule"]["ruleArn"]]
        assert set(rules) == {"wildcard"}  # rule ARNs are known by their load balancer's part only
        assert watched["WebAcl"]["name"] == [each_profile.config.names.web_acl]
        assert watched["WebAclAssociation"]["resourceArn"] == watched["LoadBalancer"]["loadBalancerArn"]
        assert len(watched["EcsService"]["cluster"]) == 2  # its name and its ARN: callers give either
        buckets = watched["AuditBucket"]["bucketName"]
        governance = each_profile.config.governance is GovernanceMode.CREATE
        # The audit buckets, the standby's replicas, and with `governance: create` the trail's bucket.
        assert len(buckets) == 4 + (4 if prefix else 0) + (1 if governance else 0)
