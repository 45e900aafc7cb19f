"""Every delivery path is authorized end to end, every closed path stays closed, in every profile and region.

The table is `tests/support/paths/matrix.py`; AWS's evaluation logic answers each request
(`tests/support/paths/simulator.py`).
A resource type this table does not know fails `test_every_resource_type_is_in_the_matrix_or_passive`:
a new writer or destination cannot slip in without its path.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.adoption import EVERY_PROFILE
from tests.support.paths.deployed import DeployedApp, DeployedStack
from tests.support.paths.matrix import ALLOW_ALL, MATRIX, Path, Row
from tests.support.paths.simulator import ALLOWED, EXPLICITLY_DENIED, IMPLICITLY_DENIED, Decision, evaluate
from tests.support.synthesized import Synthesized

# Resource types that deliver nothing and receive no delivery, so they have no row.
PASSIVE_TYPES = {
    # networking: traffic, not authorization
    "AWS::EC2::VPC", "AWS::EC2::Subnet", "AWS::EC2::RouteTable", "AWS::EC2::SubnetRouteTableAssociation",
    "AWS::EC2::Route", "AWS::EC2::InternetGateway", "AWS::EC2::VPCGatewayAttachment", "AWS::EC2::EIP",
    "AWS::EC2::NatGateway", "AWS::EC2::SecurityGroup", "AWS::EC2::SecurityGroupIngress",
    "AWS::EC2::SecurityGroupEgress", "AWS::NetworkFirewall::Firewall", "AWS::NetworkFirewall::FirewallPolicy",
    "AWS::NetworkFirewall::RuleGroup",
    # load balancing and service wiring (the ALB's deliveries are its access logs, a row)
    "AWS::ElasticLoadBalancingV2::Listener", "AWS::ElasticLoadBalancingV2::TargetGroup",
    "AWS::WAFv2::WebACL", "AWS::WAFv2::WebACLAssociation", "AWS::ECS::Cluster",
    "AWS::ECS::ClusterCapacityProviderAssociations", "AWS::ECS::Service",
    "AWS::ApplicationAutoScaling::ScalableTarget", "AWS::ApplicationAutoScaling::ScalingPolicy",
    "AWS::CertificateManager::Certificate", "AWS::Route53::RecordSet", "AWS::ElasticLoadBalancingV2::TrustStore",
    # read by people in the console; they write nothing
    "AWS::CloudWatch::Dashboard", "AWS::Logs::QueryDefinition", "AWS::Logs::MetricFilter",
    # destinations and policies: every row evaluates them as the resource side of its requests
    "AWS::S3::Bucket", "AWS::S3::BucketPolicy", "AWS::SNS::Topic", "AWS::SNS::TopicPolicy", "AWS::SQS::Queue",
    "AWS::SQS::QueuePolicy",
    "AWS::SNS::Subscription", "AWS::KMS::Key", "AWS::KMS::Alias", "AWS::SecretsManager::Secret",
    "AWS::Logs::ResourcePolicy", "AWS::SecretsManager::ResourcePolicy", "AWS::IAM::Role", "AWS::IAM::ManagedPolicy",
    "AWS::IAM::Policy",
    "AWS::DynamoDB::Table",
    # runtime governance (`governance: create`): services that read the account, deliver nothing of the app's
    # (their findings stay in the service), or, for the recorder, deliver through its channel (a row)
    "AWS::SecurityHub::Hub", "AWS::SecurityHub::Standard", "AWS::GuardDuty::Detector",
    "AWS::ECR::RegistryScanningConfiguration", "AWS::Config::ConfigRule", "AWS::Config::ConfigurationRecorder",
    # CDK's default-security-group provider, run once by CloudFormation at deploy time (its function has a row)
    "AWS::CloudFormation::CustomResource", "Custom::VpcRestrictDefaultSG",
}  # fmt: skip


def deployed(synthesized: Synthesized) -> DeployedApp:
    stacks = []
    for stack in synthesized.stacks.every_region():
        template = synthesized.documents.get(stack.node.id) or synthesized.standby_documents[stack.node.id]
        stacks.append(DeployedStack(stack.stack_name, stack.node.id, str(stack.account), str(stack.region), template))
    return DeployedApp(stacks)


@pytest.fixture(scope="session")
def answered(every_profile: dict[str, Synthesized]) -> dict[tuple[str, str], list[Any]]:
    """(profile, row) -> [(path, answers)], every request of every profile answered in one batch."""
    found: dict[tuple[str, str], list[Path]] = {}
    for synthesized in every_profile.values():
        app = deployed(synthesized)
        for row in MATRIX:
            found[(synthesized.config.name, row.name)] = [p for region in app.regions() for p in row.find(app, region)]
    decisions = [d for paths in found.values() for path in paths for d in path.decisions]
    answers = iter(evaluate(decisions))
    return {key: [(path, [next(answers) for _ in path.decisions]) for path in paths] for key, paths in found.items()}


def failures(row: Row, answered_paths: list[tuple[Path, list[str]]]) -> Iterator[str]:
    for path, answers in answered_paths:
        for problem in path.problems:
            yield f"{path.description}: {problem}"
        for decision, answer in zip(path.decisions, answers, strict=True):
            if answer.startswith("Error"):
                yield f"{path.description}: {decision}: {answer}"
            elif row.allowed and answer != ALLOWED:
                yield f"{path.description}: {decision} is {answer}"
            elif not row.allowed and answer == ALLOWED:
                yield f"{path.description}: {decision} is Allowed"


@pytest.mark.parametrize("row", MATRIX, ids=lambda row: row.name)
@pytest.mark.parametrize("profile", EVERY_PROFILE)
def test_delivery_path(answered: dict[tuple[str, str], list[Any]], profile: str, row: Row) -> None:
    paths = answered[(profile, row.name)]
    assert list(failures(row, paths)) == []


@pytest.mark.parametrize("profile", EVERY_PROFILE)
def test_every_writer_has_its_paths(
    answered: dict[tuple[str, str], list[Any]], every_profile: dict[str, Synthesized], profile: str
) -> None:
    app = deployed(every_profile[profile])
    for row in MATRIX:
        covered = {path.source for path, _ in answered[(profile, row.name)]}
        for resource_type in row.sources:
            missing = [
                source
                for source in ((s.construct_id, i) for s, i in app.resources(resource_type))
                if source not in covered
            ]
            assert missing == [], f"{row.name}: no path from {missing}"


def test_every_resource_type_is_in_the_matrix_or_passive(every_profile: dict[str, Synthesized]) -> None:
    sources = {resource_type for row in MATRIX for resource_type in row.sources}
    unknown = (
        {
            resource["Type"]
            for synthesized in every_profile.values()
            for template in (*synthesized.documents.values(), *synthesized.standby_documents.values())
            for resource in template["Resources"].values()
        }
        - sources
        - PASSIVE_TYPES
    )
    assert unknown == set(), "add a row to tests/support/paths/matrix.py for each, or list it in PASSIVE_TYPES with why"


def test_the_standby_region_is_evaluated_too(
    answered: dict[tuple[str, str], list[Any]], every_profile: dict[str, Synthesized]
) -> None:
    with_standby = [s for s in every_profile.values() if s.stacks.standby is not None]
    assert with_standby
    for synthesized in with_standby:
        assert synthesized.stacks.standby is not None
        standby = {stack.node.id for stack in synthesized.stacks.standby.all()}
        evaluated = {
            row.name
            for row in MATRIX
            if any(path.source[0] in standby for path, _ in answered[(synthesized.name, row.name)])
        }
        # One budget per environment, replication runs from the primary to the standby, and one trail records
        # every region.
        primary_only = {
            "AWS Budgets publishes to its topic",
            "S3 replicates audit buckets to the standby region",
            "CloudTrail writes the governance bucket and its log group",
        }
        # Rows of resources the profile builds nowhere (the egress firewall without processor_hosts).
        types = {r["Type"] for d in synthesized.every_document.values() for r in d["Resources"].values()}
        not_built = {row.name for row in MATRIX if row.sources and not set(row.sources) & types}
        assert {row.name for row in MATRIX} - evaluated - not_built == primary_only - not_built


# -- the evaluation rules the matrix relies on, shown on minimal policies ----------------------------------

TOPIC = "arn:aws:sns:us-east-1:111111111111:alarms"
ALARM = "arn:aws:cloudwatch:us-east-1:111111111111:alarm:high"
TLS_ONLY = {
    "Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "sns:Publish", "Resource": TOPIC,
    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
}  # fmt: skip
CLOUDWATCH_MAY_PUBLISH = {
    "Effect": "Allow", "Principal": {"Service": "cloudwatch.amazonaws.com"}, "Action": "sns:Publish",
    "Resource": TOPIC, "Condition": {"ArnLike": {"aws:SourceArn": "arn:aws:cloudwatch:us-east-1:111111111111:alarm:*"}},
}  # fmt: skip


def publish(statements: list[dict[str, Any]], secure: str = "true", alarm: str = ALARM) -> Decision:
    return Decision(
        "cloudwatch.amazonaws.com",
        "sns:Publish",
        TOPIC,
        "111111111111",
        {"aws:SecureTransport": secure, "aws:SourceArn": alarm, "aws:SourceAccount": "111111111111"},
        resource_policy={"Version": "2012-10-17", "Statement": statements},
    )


def key_request(key_policy_principal: str, identity: tuple[dict[str, Any], ...]) -> Decision:
    key_arn = "arn:aws:kms:us-east-1:111111111111:key/k"
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": key_policy_principal}, "Action": "kms:*", "Resource": "*"}
        ],
    }
    role = "arn:aws:iam::111111111111:role/writer"
    return Decision(role, "kms:GenerateDataKey", key_arn, "111111111111", {}, identity, policy)


def test_evaluation_rules_the_matrix_relies_on() -> None:
    cases = [
        (publish([TLS_ONLY]), IMPLICITLY_DENIED),  # a service principal needs the resource policy's allow
        (publish([TLS_ONLY, CLOUDWATCH_MAY_PUBLISH]), ALLOWED),
        (publish([TLS_ONLY, CLOUDWATCH_MAY_PUBLISH], secure="false"), EXPLICITLY_DENIED),  # explicit deny wins
        (
            publish([CLOUDWATCH_MAY_PUBLISH], alarm="arn:aws:cloudwatch:us-east-1:222222222222:alarm:x"),
            IMPLICITLY_DENIED,
        ),
        (key_request("arn:aws:iam::111111111111:root", ()), IMPLICITLY_DENIED),  # root in the key policy delegates
        (key_request("arn:aws:iam::111111111111:root", (ALLOW_ALL,)), ALLOWED),  # ... to the role's own policy
        (key_request("arn:aws:iam::222222222222:root", (ALLOW_ALL,)), IMPLICITLY_DENIED),  # KMS needs the key policy
    ]
    assert evaluate([decision for decision, _ in cases]) == [expected for _, expected in cases]
