"""ops/preflight.py against moto's in-process AWS: what a deploy needs, found present or missing."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from ops import governance
from ops import preflight as preflight_module
from ops.checks import FAIL, PASS, WARN, Check
from settings import ConfigError, EnvironmentConfig, TlsSettings, regions
from settings.sections import VERSIONED_RULE_GROUPS
from tests.support.aws import (
    ACCOUNT,
    REGION,
    ConfigDelivery,
    SecurityHubStandards,
    account_prefix_lists,
    configured,
    dev_config,
    imported_certificate,
    status,
    with_client_ca,
)
from tests.support.certificates import certificates

# A Route 53 zone for the service name: what a standby region needs for DNS failover.
WITH_ZONE = TlsSettings(
    domain_name="payments.dev.example.com", hosted_zone_id="Z0EXAMPLEDEV000000001", hosted_zone_name="dev.example.com"
)


class ManagedRuleGroups:
    """WAF's answer about the managed rule groups' versions (moto does not implement it)."""

    VERSIONS = ("Version_1.0", "Version_1.1")
    DEFAULT = "Version_1.1"

    def list_available_managed_rule_group_versions(self, **request: Any) -> dict[str, Any]:
        assert (request["VendorName"], request["Scope"]) == ("AWS", "REGIONAL")
        return {"Versions": [{"Name": name} for name in self.VERSIONS], "CurrentDefaultVersion": self.DEFAULT}


def run_preflight(
    session: boto3.Session, config: EnvironmentConfig, builder: str | None = "/usr/bin/docker"
) -> list[Check]:
    clients = preflight_module.Clients.from_session(session)
    clients.wafv2 = ManagedRuleGroups()
    clients.securityhub = SecurityHubStandards(config.region)
    clients.config = ConfigDelivery(clients.config)
    return preflight_module.preflight(
        clients,
        config,
        client_in(session),
        which=lambda tool: builder if tool == "docker" else None,
    )


def client_in(session: boto3.Session) -> Any:
    """A region's client, with the fakes of what moto does not implement."""

    def client(service: str, region: str) -> Any:
        if service == "wafv2":
            return ManagedRuleGroups()
        if service == "securityhub":
            return SecurityHubStandards(region)
        if service == "config":
            return ConfigDelivery(session.client(service, region_name=region))
        return session.client(service, region_name=region)

    return client


def deployed_paging_topic(where: Any, config: EnvironmentConfig) -> str:
    """The Observability stack as deployed, reduced to the paging topic and its output; `where` is a session
    (its region) or a CloudFormation client of another region."""
    cloudformation = where.client("cloudformation") if isinstance(where, boto3.Session) else where
    cloudformation.create_stack(
        StackName=config.names.stack("Observability"),
        TemplateBody=json.dumps(
            {
                "Resources": {"Paging": {"Type": "AWS::SNS::Topic"}},
                "Outputs": {"PagingTopicArn": {"Value": {"Ref": "Paging"}}},
            }
        ),
    )
    outputs = cloudformation.describe_stacks(StackName=config.names.stack("Observability"))["Stacks"][0]["Outputs"]
    arn: str = outputs[0]["OutputValue"]
    return arn


def pushed_image(session: boto3.Session, region: str) -> str:
    """An image in `region`'s registry, as ECR replication leaves it: same repository, same digest."""
    ecr = session.client("ecr", region_name=region)
    ecr.create_repository(repositoryName="payments")
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {"digest": "sha256:" + "c" * 64},
            "layers": [],
        }
    )
    digest = ecr.put_image(repositoryName="payments", imageManifest=manifest, imageTag="v1")["image"]["imageId"]
    return f"{ACCOUNT}.dkr.ecr.{region}.amazonaws.com/payments@{digest['imageDigest']}"


def test_preflight_passes_on_a_ready_account(session: boto3.Session, ready_account: EnvironmentConfig) -> None:
    checks = run_preflight(session, ready_account)
    assert status(checks) == {
        "configuration": PASS,
        "credentials": PASS,
        "CDK bootstrap": PASS,
        "Elastic IPs": PASS,
        "VPC quota": PASS,
        "NAT gateway quota": PASS,
        # moto implements neither the Fargate quota nor IAM policy simulation: reported, not failed.
        "Fargate vCPU quota": WARN,
        "deploy permissions": WARN,
        "certificate": PASS,
        "gateway prefix lists": PASS,
        # Not pinned in the dev profile: WAF follows AWS's default version of each group.
        "WAF rule versions": WARN,
        "CloudTrail management events": PASS,
        "audit trail": PASS,
        "AWS Config recorder": PASS,
        "Security Hub PCI DSS v4.0.1": PASS,
        "GuardDuty runtime monitoring": PASS,
        "ECR image scanning": PASS,
        "client certificates": PASS,
        "container build tool": PASS,
        "image in us-east-1": PASS,
        "paging subscribers": PASS,
    }


def test_preflight_fails_when_nobody_is_paged(session: boto3.Session, ready_account: EnvironmentConfig) -> None:
    nobody = configured(ready_account, paging_emails=())
    (check,) = [c for c in run_preflight(session, nobody) if c.name == "paging subscribers"]
    assert check.status == FAIL
    assert check.reason.startswith("nobody is paged: paging_emails is empty and the paging topic is not deployed")


def test_preflight_accepts_an_on_call_tool_subscribed_to_the_deployed_topic(
    session: boto3.Session, ready_account: EnvironmentConfig
) -> None:
    config = configured(ready_account, paging_emails=())
    topic = deployed_paging_topic(session, config)
    (check,) = [c for c in run_preflight(session, config) if c.name == "paging subscribers"]
    assert check.status == FAIL  # deployed, but nobody subscribed
    session.client("sns").subscribe(TopicArn=topic, Protocol="https", Endpoint="https://events.example.com/page")
    (check,) = [c for c in run_preflight(session, config) if c.name == "paging subscribers"]
    assert (check.status, check.reason) == (PASS, f"{topic} pages https://events.example.com/page")


def test_preflight_finds_a_pinned_image_in_every_region_that_runs_it(
    session: boto3.Session, ready_account: EnvironmentConfig
) -> None:
    image = pushed_image(session, REGION)
    config = configured(
        ready_account,
        container_image=image,
        standby_region="us-west-2",
        tls=WITH_ZONE,
    )  # fmt: skip
    checks = {
        c.name: c
        for c in preflight_module.container_images(config, lambda service, r: session.client(service, region_name=r))
    }
    assert (checks["image in us-east-1"].status, checks["image in us-west-2"].status) == (PASS, FAIL)
    assert "ECR cross-region replication" in checks["image in us-west-2"].reason
    pushed_image(session, "us-west-2")
    checks = {
        c.name: c
        for c in preflight_module.container_images(config, lambda service, r: session.client(service, region_name=r))
    }
    assert checks["image in us-west-2"].status == PASS


def test_preflight_fails_without_cdk_bootstrap(session: boto3.Session) -> None:
    config = dev_config(tls=TlsSettings(certificate_arn=imported_certificate(session)))
    (check,) = [c for c in run_preflight(session, config) if c.name == "CDK bootstrap"]
    assert check.status == FAIL
    assert "cdk bootstrap" in check.reason


def test_preflight_fails_when_elastic_ip_quota_is_too_low(
    session: boto3.Session, ready_account: EnvironmentConfig
) -> None:
    ec2 = session.client("ec2")
    for _ in range(4):
        ec2.allocate_address(Domain="vpc")
    (check,) = [c for c in run_preflight(session, ready_account) if c.name == "Elastic IPs"]
    assert (check.status, check.reason) == (
        FAIL,
        "4 of 5 in use, 2 more needed for NAT gateways: request a quota increase or set nat_eip_allocation_ids",
    )


def test_preflight_accepts_reused_elastic_ips(session: boto3.Session, ready_account: EnvironmentConfig) -> None:
    ec2 = session.client("ec2")
    allocations = tuple(ec2.allocate_address(Domain="vpc")["AllocationId"] for _ in range(2))
    for _ in range(3):
        ec2.allocate_address(Domain="vpc")
    config = configured(ready_account, nat_eip_allocation_ids=allocations)
    (check,) = [c for c in run_preflight(session, config) if c.name == "Elastic IPs"]
    assert check.status == PASS


def test_preflight_fails_when_the_vpc_quota_is_used_up(
    session: boto3.Session, ready_account: EnvironmentConfig
) -> None:
    ec2 = session.client("ec2")
    while len(ec2.describe_vpcs()["Vpcs"]) < 5:
        ec2.create_vpc(CidrBlock="10.99.0.0/16")
    (check,) = [c for c in run_preflight(session, ready_account) if c.name == "VPC quota"]
    assert (check.status, check.reason) == (FAIL, "5 of 5 VPCs in use, 1 more needed")


def test_preflight_stops_at_credentials_for_another_account(session: boto3.Session) -> None:
    config = dev_config(account="222222222222", tls=TlsSettings(certificate_arn=imported_certificate(session)))
    checks = run_preflight(session, config)
    assert status(checks) == {"configuration": PASS, "credentials": FAIL}
    assert "credentials are for account 111111111111, profile deploys to 222222222222" in checks[-1].reason


def test_preflight_fails_without_a_container_build_tool(
    session: boto3.Session, ready_account: EnvironmentConfig
) -> None:
    (check,) = [c for c in run_preflight(session, ready_account, builder=None) if c.name == "container build tool"]
    assert check.status == FAIL


def test_preflight_fails_when_a_prefix_list_is_not_the_regions(
    session: boto3.Session, ready_account: EnvironmentConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A wrong id in settings/regions.py would let the tasks' rules refuse their own image pulls or ledger."""
    actual = account_prefix_lists(session, REGION)
    monkeypatch.setitem(regions.GATEWAY_PREFIX_LISTS, REGION, dataclasses.replace(actual, dynamodb="pl-0123456789"))
    (check,) = [c for c in run_preflight(session, ready_account) if c.name == "gateway prefix lists"]
    assert (check.status, check.reason) == (
        FAIL,
        f"com.amazonaws.{REGION}.dynamodb is {actual.dynamodb}, not pl-0123456789 (correct settings/regions.py)",
    )


def pinned(config: EnvironmentConfig, version: str) -> EnvironmentConfig:
    versions = tuple(f"{group}={version}" for group in VERSIONED_RULE_GROUPS)
    return dataclasses.replace(config, edge=dataclasses.replace(config.edge, waf_rule_versions=versions))


@pytest.mark.parametrize(
    ("version", "expected", "reason"),
    [
        (None, WARN, "following AWS's default version, not pinned: AWSManagedRulesKnownBadInputsRuleSet=Version_1.1"),
        ("Version_1.0", PASS, "AWSManagedRulesKnownBadInputsRuleSet=Version_1.0"),
        ("Version_0.9", FAIL, "AWSManagedRulesKnownBadInputsRuleSet=Version_0.9 is not offered (available: "
                              "Version_1.0, Version_1.1)"),
    ],
)  # fmt: skip
def test_preflight_checks_the_pinned_rule_group_versions_are_still_offered(
    session: boto3.Session, ready_account: EnvironmentConfig, version: str | None, expected: str, reason: str
) -> None:
    config = ready_account if version is None else pinned(ready_account, version)
    (check,) = [c for c in run_preflight(session, config) if c.name == "WAF rule versions"]
    assert check.status == expected
    assert reason in check.reason


def test_preflight_fails_while_the_client_ca_is_the_placeholder(
    session: boto3.Session, ready_account: EnvironmentConfig
) -> None:
    shipped = with_client_ca(ready_account, "certs/clients-ca.pem")
    (check,) = [c for c in run_preflight(session, shipped) if c.name == "client certificates"]
    assert check.status == FAIL
    assert check.reason.startswith("certs/clients-ca.pem holds the placeholder CA, whose key was discarded")


def test_preflight_accepts_a_client_ca_bundle_of_your_own(
    session: boto3.Session, ready_account: EnvironmentConfig, tmp_path: Path
) -> None:
    authority, _, _ = certificates(tmp_path)
    own = with_client_ca(ready_account, str(authority))
    (check,) = [c for c in run_preflight(session, own) if c.name == "client certificates"]
    assert (check.status, check.reason) == (PASS, f"1 CA certificate(s) in {authority}")


@pytest.mark.parametrize(("decision", "expected"), [("allowed", PASS), ("implicitDeny", FAIL)])
def test_deploy_permissions_come_from_iam_policy_simulation(
    session: boto3.Session, ready_account: EnvironmentConfig, decision: str, expected: str
) -> None:
    # moto has no policy simulator; the IAM client's answer is stubbed, everything else is moto.
    clients = preflight_module.Clients.from_session(session)
    with Stubber(clients.iam) as stub:
        stub.add_response(
            "simulate_principal_policy",
            {
                "EvaluationResults": [
                    {"EvalActionName": action, "EvalDecision": decision} for action in preflight_module.DEPLOY_ACTIONS
                ]
            },
        )
        check = preflight_module.deploy_permissions(clients, ready_account)
    assert check.status == expected


def test_preflight_checks_the_bootstrap_of_the_standby_region_too(
    session: boto3.Session, ready_account: EnvironmentConfig
) -> None:
    config = configured(
        ready_account,
        standby_region="us-west-2",
        tls=WITH_ZONE,
    )
    (check,) = [c for c in run_preflight(session, config) if c.name == "CDK bootstrap in us-west-2"]
    assert (check.status, check.reason) == (
        FAIL,
        "no /cdk-bootstrap/hnb659fds/version parameter: run `npx cdk bootstrap` for this account and us-west-2",
    )
    standby_ssm = session.client("ssm", region_name="us-west-2")
    standby_ssm.put_parameter(Name="/cdk-bootstrap/hnb659fds/version", Value="30", Type="String")
    (check,) = [c for c in run_preflight(session, config) if c.name == "CDK bootstrap in us-west-2"]
    assert check.status == PASS


def test_preflight_checks_that_the_standby_regions_page_reaches_someone(
    session: boto3.Session, ready_account: EnvironmentConfig
) -> None:
    """The standby region has a paging topic of its own; a tool subscribed only in the main region misses it."""
    config = configured(
        ready_account,
        paging_emails=(),
        standby_region="us-west-2",
        tls=WITH_ZONE,
    )
    topic = deployed_paging_topic(session, config)
    session.client("sns").subscribe(TopicArn=topic, Protocol="https", Endpoint="https://events.example.com/page")
    checks = status(run_preflight(session, config))
    assert (checks["paging subscribers"], checks["paging subscribers in us-west-2"]) == (PASS, FAIL)
    standby_topic = deployed_paging_topic(session.client("cloudformation", region_name="us-west-2"), config)
    session.client("sns", region_name="us-west-2").subscribe(
        TopicArn=standby_topic, Protocol="https", Endpoint="https://events.example.com/page"
    )
    assert status(run_preflight(session, config))["paging subscribers in us-west-2"] == PASS


def test_preflight_checks_quotas_permissions_and_the_certificate_of_the_standby_region_too(
    session: boto3.Session, ready_account: EnvironmentConfig
) -> None:
    """A failover needs the standby's own Elastic IPs, VPC, NAT gateways, Fargate vCPUs and deploy roles."""
    config = configured(ready_account, standby_region="us-west-2", tls=WITH_ZONE)
    found = {check.name for check in run_preflight(session, config)}
    for name in ("Elastic IPs", "VPC quota", "NAT gateway quota", "Fargate vCPU quota", "deploy permissions",
                 "certificate", "gateway prefix lists", "CDK bootstrap", "paging subscribers"):  # fmt: skip
        assert {name, f"{name} in us-west-2"} <= found, name


@pytest.mark.parametrize(
    ("region", "expected"),
    [
        (None, ("primary", "standby")),
        ("both", ("primary", "standby")),
        ("standby", ("standby",)),
        ("primary", ("primary",)),
    ],
)
def test_a_profile_with_a_standby_is_checked_in_both_regions_unless_told(
    ready_account: EnvironmentConfig, region: str | None, expected: tuple[str, ...]
) -> None:
    config = configured(ready_account, standby_region="us-west-2", tls=WITH_ZONE)
    assert preflight_module.regions_to_check(config, region) == expected


def test_the_standby_region_of_a_profile_without_one_is_a_usage_error(ready_account: EnvironmentConfig) -> None:
    assert preflight_module.regions_to_check(ready_account, None) == ("primary",)
    with pytest.raises(ConfigError, match="--region: 'standby', but dev has no standby region"):
        preflight_module.regions_to_check(ready_account, "standby")


def test_only_the_standby_region_when_asked(session: boto3.Session, ready_account: EnvironmentConfig) -> None:
    config = configured(ready_account, standby_region="us-west-2", tls=WITH_ZONE)
    clients = preflight_module.Clients.from_session(session)
    clients.wafv2 = ManagedRuleGroups()
    checks = preflight_module.preflight(
        clients, config, client_in(session), which=lambda tool: "/usr/bin/docker", regions=("standby",),
    )  # fmt: skip
    regional = [c.name for c in checks if "quota" in c.name or "bootstrap" in c.name]
    assert regional
    assert all(name.endswith(" in us-west-2") for name in regional)


def test_preflight_fails_without_a_trail_logging_management_writes(
    session: boto3.Session, ready_account: EnvironmentConfig
) -> None:
    """EventBridge sees CloudTrail's API-call events only while a trail logs them: the change guard depends on it."""
    assert status(run_preflight(session, ready_account))["CloudTrail management events"] == PASS
    cloudtrail = session.client("cloudtrail")
    cloudtrail.put_event_selectors(
        TrailName="organization", EventSelectors=[{"ReadWriteType": "ReadOnly", "IncludeManagementEvents": True}]
    )
    assert status(run_preflight(session, ready_account))["CloudTrail management events"] == FAIL
    cloudtrail.put_event_selectors(
        TrailName="organization", EventSelectors=[{"ReadWriteType": "All", "IncludeManagementEvents": True}]
    )
    cloudtrail.stop_logging(Name="organization")
    (check,) = [c for c in run_preflight(session, ready_account) if c.name == "CloudTrail management events"]
    assert (check.status, check.reason.startswith("no trail logs management write events in us-east-1")) == (FAIL, True)


# -- runtime governance (ops/governance.py): a ready account passes (above); each missing control fails by name ------


# The check of each name (ops/governance.py), on the account's own clients.
GOVERNANCE = {
    "audit trail": lambda clients, region: governance.audit_trail(clients.cloudtrail, region),
    "AWS Config recorder": lambda clients, region: governance.config_recorder(clients.config, region),
    "Security Hub PCI DSS v4.0.1": lambda clients, region: governance.pci_standard(clients.securityhub, region),
    "GuardDuty runtime monitoring": lambda clients, region: governance.runtime_monitoring(clients.guardduty, region),
    "ECR image scanning": lambda clients, region: governance.image_scanning(clients.ecr, region),
}


def governance_check(session: boto3.Session, config: EnvironmentConfig, name: str, **fakes: Any) -> Check:
    # Only the clients ops/governance.py reads: each boto3 client costs about 10 ms to create.
    clients = SimpleNamespace(
        cloudtrail=session.client("cloudtrail"),
        config=ConfigDelivery(session.client("config"), fakes.get("delivery", "Success")),
        securityhub=fakes.get("securityhub", SecurityHubStandards(config.region)),
        guardduty=session.client("guardduty"),
        ecr=session.client("ecr"),
    )
    check: Check = GOVERNANCE[name](clients, config.region)
    assert check.name == name
    return check


def without_validation(session: boto3.Session) -> None:
    session.client("cloudtrail").update_trail(Name="organization", EnableLogFileValidation=False)


def writes_only(session: boto3.Session) -> None:
    session.client("cloudtrail").put_event_selectors(
        TrailName="organization", EventSelectors=[{"ReadWriteType": "WriteOnly", "IncludeManagementEvents": True}]
    )


def kms_events_excluded(session: boto3.Session) -> None:
    session.client("cloudtrail").put_event_selectors(TrailName="organization", EventSelectors=[
        {"ReadWriteType": "All", "IncludeManagementEvents": True,
         "ExcludeManagementEventSources": ["kms.amazonaws.com"]}])  # fmt: skip


def reads_and_writes_apart(session: boto3.Session) -> None:
    """Two selectors, one for reads and one for writes: together, every management event."""
    session.client("cloudtrail").put_event_selectors(TrailName="organization", EventSelectors=[
        {"ReadWriteType": "ReadOnly", "IncludeManagementEvents": True},
        {"ReadWriteType": "WriteOnly", "IncludeManagementEvents": True}])  # fmt: skip


def recorder_stopped(session: boto3.Session) -> None:
    session.client("config").stop_configuration_recorder(ConfigurationRecorderName="default")


def recorder_partial(session: boto3.Session) -> None:
    session.client("config").put_configuration_recorder(ConfigurationRecorder={
        "name": "default", "roleARN": f"arn:aws:iam::{ACCOUNT}:role/config",
        "recordingGroup": {"allSupported": False, "resourceTypes": ["AWS::S3::Bucket"]}})  # fmt: skip


def runtime_monitoring_off(session: boto3.Session) -> None:
    guardduty = session.client("guardduty")
    (detector,) = guardduty.list_detectors()["DetectorIds"]
    guardduty.update_detector(DetectorId=detector, Features=[{"Name": "RUNTIME_MONITORING", "Status": "DISABLED"}])


def agent_unmanaged(session: boto3.Session) -> None:
    guardduty = session.client("guardduty")
    (detector,) = guardduty.list_detectors()["DetectorIds"]
    unmanaged = [{"Name": "ECS_FARGATE_AGENT_MANAGEMENT", "Status": "DISABLED"}]
    guardduty.update_detector(DetectorId=detector, Features=[
        {"Name": "RUNTIME_MONITORING", "Status": "ENABLED", "AdditionalConfiguration": unmanaged}])  # fmt: skip


def no_detector(session: boto3.Session) -> None:
    guardduty = session.client("guardduty")
    for detector in guardduty.list_detectors()["DetectorIds"]:
        guardduty.delete_detector(DetectorId=detector)


def some_repositories_scanned(session: boto3.Session) -> None:
    some = [{"filter": "payments-*", "filterType": "WILDCARD"}]
    session.client("ecr").put_registry_scanning_configuration(
        scanType="BASIC", rules=[{"scanFrequency": "SCAN_ON_PUSH", "repositoryFilters": some}]
    )


@pytest.mark.parametrize(
    ("name", "breaks", "reason"),
    [
        ("audit trail", without_validation, "organization lacks log file validation"),
        ("audit trail", writes_only, "organization lacks management reads and writes"),
        ("audit trail", kms_events_excluded, "organization lacks management reads and writes"),
        ("AWS Config recorder", recorder_stopped, "default is not recording in us-east-1"),
        ("AWS Config recorder", recorder_partial, "default records only some resource types"),
        ("GuardDuty runtime monitoring", runtime_monitoring_off, "has Runtime Monitoring off"),
        ("GuardDuty runtime monitoring", agent_unmanaged, "not its ECS Fargate agent management"),
        ("GuardDuty runtime monitoring", no_detector, "no GuardDuty detector in us-east-1"),
        ("ECR image scanning", some_repositories_scanned, "does not scan every repository on push"),
    ],
)
def test_preflight_names_the_governance_control_that_is_missing(
    session: boto3.Session, governed_account: EnvironmentConfig, name: str, breaks: Any, reason: str
) -> None:
    breaks(session)
    check = governance_check(session, governed_account, name)
    assert check.status == FAIL
    assert reason in check.reason


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (None, "the PCI DSS v4.0.1 standard is not enabled in us-east-1's Security Hub"),
        ("INCOMPLETE", "enabled in us-east-1 but INCOMPLETE"),
        ("hub off", "Security Hub is not enabled in us-east-1"),
    ],
)
def test_preflight_needs_security_hubs_pci_dss_standard_ready(
    session: boto3.Session, governed_account: EnvironmentConfig, status: str | None, reason: str
) -> None:
    hub = SecurityHubStandards(REGION, status)
    check = governance_check(session, governed_account, "Security Hub PCI DSS v4.0.1", securityhub=hub)
    assert (check.status, check.reason) == (FAIL, reason)


@pytest.mark.parametrize(
    ("disabled", "controls", "status", "reason"),
    [
        ((), 4, PASS, "enabled and ready in us-east-1, all 4 controls enabled"),
        ((("PCI.ECS.2", "no public IPs here"),), 4, WARN,
         "enabled and ready in us-east-1; 1 of 4 controls disabled: PCI.ECS.2 (no public IPs here)"),
        ((("PCI.A", "x"), ("PCI.B", "y")), 2, FAIL,
         "enabled and ready in us-east-1, but none of its 2 controls is enabled"),
        ((("PCI.ECS.2", ""), ("PCI.S3.1", "no public buckets")), 4, FAIL,
         "enabled and ready in us-east-1; 1 controls disabled without a reason: PCI.ECS.2 (give each its "
         "DisabledReason, or enable it)"),
    ],
)  # fmt: skip
def test_a_ready_standard_counts_only_with_its_controls_enabled(
    session: boto3.Session,
    governed_account: EnvironmentConfig,
    disabled: tuple[tuple[str, str], ...],
    controls: int,
    status: str,
    reason: str,
) -> None:
    """READY says the subscription works, not that it evaluates anything: each control can be disabled."""
    hub = SecurityHubStandards(REGION, disabled=disabled, controls=controls)
    check = governance_check(session, governed_account, "Security Hub PCI DSS v4.0.1", securityhub=hub)
    assert (check.status, check.reason) == (status, reason)


def test_preflight_checks_governance_in_the_standby_region_too(
    session: boto3.Session, ready_account: EnvironmentConfig
) -> None:
    """Config, GuardDuty and ECR scanning are per region: an organization that runs them in one misses the other."""
    config = configured(ready_account, standby_region="us-west-2", standby_mode="warm")
    config = dataclasses.replace(config, tls=WITH_ZONE)
    checks = {c.name: c for c in run_preflight(session, config)}
    assert checks["AWS Config recorder"].status == PASS
    assert checks["AWS Config recorder in us-west-2"].status == FAIL
    assert checks["GuardDuty runtime monitoring in us-west-2"].reason.startswith("no GuardDuty detector in us-west-2")


def test_preflight_fails_a_recorder_whose_deliveries_fail(
    session: boto3.Session, governed_account: EnvironmentConfig
) -> None:
    check = governance_check(session, governed_account, "AWS Config recorder", delivery="Failure")
    assert (check.status, check.reason) == (FAIL, "default records, but deliveries fail: default (AccessDenied)")


class UnreadableTrail:
    """CloudTrail as a member account sees its organization's trail: listed, but its status and selectors refused."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def get_trail_status(self, **kwargs: Any) -> dict[str, Any]:
        raise ClientError({"Error": {"Code": "TrailNotFoundException", "Message": "not yours"}}, "GetTrailStatus")

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)


def test_an_organization_trail_this_account_cannot_read_is_a_warning_not_a_pass_or_a_failure(
    session: boto3.Session, governed_account: EnvironmentConfig
) -> None:
    check = governance.audit_trail(UnreadableTrail(session.client("cloudtrail")), REGION)
    assert check.status == WARN
    assert check.reason.startswith("could not read organization (TrailNotFoundException) from this account")


def test_with_governance_created_preflight_checks_nothing_of_it_exists_yet(session: boto3.Session) -> None:
    """A fresh account: no detector, hub, recorder or trail of the name the Governance stack gives."""
    config = configured(dev_config(), governance="create")
    clients = preflight_module.Clients.from_session(session)
    clients.securityhub = SecurityHubStandards(REGION, "hub off")
    check = governance.creatable(clients, REGION, config.names.trail)
    assert check.status == PASS


def test_with_governance_created_preflight_names_what_already_exists(
    session: boto3.Session, governed_account: EnvironmentConfig
) -> None:
    """An account whose organization runs them already: the stack's create would fail; preflight says so first."""
    config = configured(governed_account, governance="create")
    clients = preflight_module.Clients.from_session(session)
    clients.securityhub = SecurityHubStandards(REGION)
    check = governance.creatable(clients, REGION, config.names.trail)
    assert check.status == FAIL
    assert check.reason.startswith("us-east-1 already has a GuardDuty detector, Security Hub, an AWS Config recorder")
    assert check.reason.endswith("set governance to verify (make preflight then checks them) or remove them")


def test_preflight_runs_the_creatable_check_instead_of_the_governance_checks_in_create_mode(
    session: boto3.Session, ready_account: EnvironmentConfig
) -> None:
    names = {c.name for c in run_preflight(session, configured(ready_account, governance="create"))}
    assert governance.CREATABLE in names
    assert not names & set(governance.CHECKS)


def test_reads_and_writes_recorded_by_two_selectors_pass(
    session: boto3.Session, governed_account: EnvironmentConfig
) -> None:
    reads_and_writes_apart(session)
    assert governance_check(session, governed_account, "audit trail").status == PASS


class Recorder:
    """AWS Config answering with a recorder moto cannot express (recording strategy, recording mode)."""

    def __init__(self, group: dict[str, Any], mode: dict[str, Any] | None = None) -> None:
        self.group, self.mode = group, mode or {}

    def describe_configuration_recorders(self) -> dict[str, Any]:
        return {"ConfigurationRecorders": [{"name": "default", "recordingGroup": self.group,
                                            "recordingMode": self.mode}]}  # fmt: skip

    def describe_configuration_recorder_status(self) -> dict[str, Any]:
        return {"ConfigurationRecordersStatus": [{"name": "default", "recording": True, "lastStatus": "SUCCESS"}]}

    def describe_delivery_channel_status(self) -> dict[str, Any]:
        return {"DeliveryChannelsStatus": [{"name": "default", "configHistoryDeliveryInfo": {"lastStatus": "Success"}}]}


EXCLUDING = {"allSupported": False, "recordingStrategy": {"useOnly": "EXCLUSION_BY_RESOURCE_TYPES"}}


@pytest.mark.parametrize(
    ("recorder", "expected", "reason"),
    [
        (Recorder(EXCLUDING | {"exclusionByResourceTypes": {"resourceTypes": ["AWS::EC2::Instance"]}}), PASS,
         "default records every supported resource type"),
        (Recorder(EXCLUDING | {"exclusionByResourceTypes": {"resourceTypes": ["AWS::ECS::TaskDefinition"]}}), FAIL,
         "default excludes AWS::ECS::TaskDefinition, which this app runs"),
        (Recorder({"allSupported": True}, {"recordingFrequency": "DAILY"}), FAIL,
         "default records daily; record continuously"),
    ],
)  # fmt: skip
def test_a_recorder_is_judged_by_what_it_records_of_this_app_and_how_soon(
    recorder: Recorder, expected: str, reason: str
) -> None:
    check = governance.config_recorder(recorder, REGION)
    assert check.status == expected
    assert check.reason.startswith(reason)
