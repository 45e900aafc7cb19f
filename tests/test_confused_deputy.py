"""Every grant to an AWS service names on whose behalf it may act (PCI DSS 7.2; the confused deputy).

A service principal allowed without `aws:SourceAccount` or `aws:SourceArn` can be made to act on this
account's resources for someone else. This walks every policy of every template (trust, key, bucket, topic,
secret and identity policies) and fails on a service statement that names neither, unless it is scoped by an
equivalent key AWS documents for that service or is listed below with the reason. The delivery-path matrix
(`tests/test_delivery_paths.py`) then proves the same requests made for another account are refused.
"""

from __future__ import annotations

import json
from typing import Any

from tests.support.synthesized import Synthesized

SOURCE_KEYS = {"aws:SourceAccount", "aws:SourceArn"}
# Keys that scope a service to this account as well, where AWS documents them for that service.
EQUIVALENT_KEYS = {
    # CloudWatch Logs names the log group in the encryption context; the condition pins this account's.
    "kms:EncryptionContext:aws:logs:arn",
    # SNS names the topic in the encryption context (EventBridge sends no source keys to KMS): this account's.
    "kms:EncryptionContext:aws:sns:topicArn",
    # SQS names the queue likewise (the change guard's dead-letter queue, written by EventBridge).
    "kms:EncryptionContext:aws:sqs:arn",
}
# (resource type, service) -> why it has no source condition.
EXCEPTIONS = {
    ("AWS::IAM::Role", "lambda.amazonaws.com"): "CDK's generated default-security-group provider role. Lambda assumes "
    "an execution role only for a function it was given to, which takes iam:PassRole in this account (no other account "
    "can name it), and AWS does not document that Lambda sends source keys when it does; the role may only change "
    "this VPC's default security group (tests/constructs/test_generated_functions.py)",
    ("AWS::IAM::Role", "cloudtrail.amazonaws.com"): "the management trail's CloudWatch Logs role (`governance: "
    "create`): CloudTrail's guide says the role does not support aws:SourceArn or aws:SourceAccount, so a condition "
    "would make CreateTrail fail; the role may only write the trail's own log group "
    "(tests/constructs/test_governance.py)",
}
POLICY_KEYS = ("AssumeRolePolicyDocument", "KeyPolicy", "PolicyDocument", "ResourcePolicy")


def service_statements(synthesized: Synthesized) -> list[tuple[str, str, str, dict[str, Any]]]:
    found = []
    for stack, template in synthesized.every_document.items():
        for logical_id, resource in template["Resources"].items():
            for key in POLICY_KEYS:
                document = resource.get("Properties", {}).get(key)
                if isinstance(document, str):
                    document = json.loads(document)
                for statement in (document or {}).get("Statement", []):
                    principal = statement.get("Principal", {})
                    if statement.get("Effect") != "Allow" or not isinstance(principal, dict):
                        continue
                    services = principal.get("Service", [])
                    for service in [services] if isinstance(services, str) else services:
                        found.append((f"{stack}/{logical_id}", resource["Type"], service, statement))
    return found


def test_every_service_grant_names_on_whose_behalf_it_acts(each_profile: Synthesized) -> None:
    unscoped = []
    for where, resource_type, service, statement in service_statements(each_profile):
        keys = {key for values in statement.get("Condition", {}).values() for key in values}
        if keys & (SOURCE_KEYS | EQUIVALENT_KEYS) or (resource_type, service) in EXCEPTIONS:
            continue
        unscoped.append(f"{where}: {service} {statement.get('Action')}")
    assert unscoped == []


def test_every_exception_is_still_needed(every_profile: dict[str, Synthesized]) -> None:
    used = {
        (resource_type, service)
        for synthesized in every_profile.values()
        for _, resource_type, service, statement in service_statements(synthesized)
        if not {key for values in statement.get("Condition", {}).values() for key in values} & SOURCE_KEYS
    }
    assert set(EXCEPTIONS) <= used
