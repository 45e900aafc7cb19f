"""components/generated_functions.py: what CDK emits as raw CloudFormation, which cdk-nag never evaluates, is
checked here instead, resource by resource; a raw resource no check covers fails the suite."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_cdk import CfnResource

from components.generated_functions import log_retention_days
from tests.support.synthesized import Synthesized


def generated_log_group(synthesized: Synthesized, stack: str) -> dict[str, Any]:
    security = "StandbySecurity" if stack.startswith("Standby") else "Security"
    (found,) = [
        resource["Properties"]
        for logical_id, resource in synthesized.every_document[security]["Resources"].items()
        if logical_id.startswith("GeneratedFunctionLogGroup")
    ]
    return dict(found)


def check_function(synthesized: Synthesized, stack: str, properties: dict[str, Any]) -> list[str]:
    problems = []
    target = properties.get("LoggingConfig", {}).get("LogGroup", {})
    if "GeneratedFunctionLogGroup" not in str(target):
        problems.append(f"logs to {target or 'its implicit /aws/lambda group'}, not the declared log group")
    group = generated_log_group(synthesized, stack)
    if "KmsKeyId" not in group or group["RetentionInDays"] != log_retention_days(
        synthesized.config.retention.log_retention_days
    ):
        problems.append(f"its log group is not KMS-encrypted and kept a year: {group}")
    # Lambda refuses a reservation that leaves a low-quota (new) account below its unreserved minimum.
    if "ReservedConcurrentExecutions" in properties:
        problems.append("reserves concurrency, which fails the create in a new account")
    return problems


def check_role(synthesized: Synthesized, stack: str, properties: dict[str, Any]) -> list[str]:
    problems = []
    trust = properties["AssumeRolePolicyDocument"]["Statement"]
    if [statement["Principal"] for statement in trust] != [{"Service": "lambda.amazonaws.com"}]:
        problems.append(f"trusted by {trust}")
    managed = [str(arn) for arn in properties.get("ManagedPolicyArns", [])]
    if any("iam::aws:policy/service-role/AWSLambdaBasicExecutionRole'" not in arn for arn in managed):
        problems.append(f"managed policies {managed}")
    for policy in properties.get("Policies", []):
        for statement in policy["PolicyDocument"]["Statement"]:
            resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            if "*" in resources:
                problems.append(f"{statement['Action']} on every resource")
    return problems


def check_custom_resource(synthesized: Synthesized, stack: str, properties: dict[str, Any]) -> list[str]:
    token = str(properties.get("ServiceToken", ""))
    return [] if "CustomResourceProviderHandler" in token else [f"calls {token}, not a checked function"]


# The check of each raw resource type CDK emits in this app.
CHECKS: dict[str, Callable[[Synthesized, str, dict[str, Any]], list[str]]] = {
    "AWS::Lambda::Function": check_function,
    "AWS::IAM::Role": check_role,
    "Custom::VpcRestrictDefaultSG": check_custom_resource,
}


def test_every_raw_resource_is_checked_and_passes(each_profile: Synthesized) -> None:
    problems = []
    raw = [c for c in each_profile.app.node.find_all() if type(c) is CfnResource]
    assert raw, "the app emits raw resources (CDK's VPC default-security-group provider); none found"
    for resource in raw:
        stack = resource.stack.node.id
        check = CHECKS.get(resource.cfn_resource_type)
        if check is None:
            problems.append(f"{resource.node.path}: {resource.cfn_resource_type} has no check here")
            continue
        properties = each_profile.every_document[stack]["Resources"][resource.stack.get_logical_id(resource)]
        problems += [f"{resource.node.path}: {p}" for p in check(each_profile, stack, properties["Properties"])]
    assert problems == []
