"""Runtime governance, checked by `make preflight` in each region of the profile: the account-level controls that
PCI DSS v4.0.1 asks to run continuously and that an organization usually runs centrally, so this app reads them
rather than creating them. Each check names what is missing.

- audit trail (10.2.1, 10.3.2-10.3.4): a trail that logs in the region, management reads and writes, with log file
  validation and a customer-managed key;
- AWS Config recorder (11.5.2, 1.2.7, 2.2): recording every supported resource type, its last delivery not failed;
- Security Hub PCI DSS v4.0.1 (the standard's controls, 10.4.1): the standard enabled and READY, its controls
  enabled (some disabled, each with its reason: a WARN naming them; one without a reason, or all: a FAIL);
- GuardDuty runtime monitoring (5.2.1-5.3.2, 11.5.1): an enabled detector with Runtime Monitoring and its ECS
  Fargate agent managed (the app admits the agent: see `runtime_monitoring`);
- ECR image scanning (6.3.1, 6.3.3, 11.3.1): the registry scans every repository on push or continuously.

`docs/PCI-DSS-4.0.1.md` cites each by these names; the acknowledgement reasons may cite them
(`rules/controls.py`).
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from ops.checks import Check, failed, passed, warned
from rules.pci_requirements import PCI_DSS_STANDARD

TRAIL = "audit trail"
RECORDER = "AWS Config recorder"
STANDARD = "Security Hub PCI DSS v4.0.1"
DETECTOR = "GuardDuty runtime monitoring"
SCANNING = "ECR image scanning"
CHECKS = (TRAIL, RECORDER, STANDARD, DETECTOR, SCANNING)
# What the app's stacks are made of: a recorder that excludes one of these does not see the app change.
APP_RESOURCE_TYPES = frozenset({
    "AWS::ECS::Service", "AWS::ECS::TaskDefinition", "AWS::ECS::Cluster", "AWS::EC2::SecurityGroup",
    "AWS::EC2::VPC", "AWS::S3::Bucket", "AWS::KMS::Key", "AWS::IAM::Role", "AWS::IAM::Policy",
    "AWS::ElasticLoadBalancingV2::LoadBalancer", "AWS::ElasticLoadBalancingV2::Listener", "AWS::WAFv2::WebACL",
    "AWS::DynamoDB::Table", "AWS::SecretsManager::Secret",
})  # fmt: skip


def _management_reads_and_writes(cloudtrail: Any, trail: str) -> bool:
    """Whether the trail's selectors record every management event, reads and writes, of every source (no
    selectors: all are). Separate read-only and write-only selectors together count; a selector that excludes an
    event source (KMS, RDS Data API) does not."""
    selectors = cloudtrail.get_event_selectors(TrailName=trail)
    basic, advanced = selectors.get("EventSelectors", []), selectors.get("AdvancedEventSelectors", [])
    if not basic and not advanced:
        return True
    kinds: set[str] = set()
    for selector in basic:
        if selector.get("IncludeManagementEvents", True) and not selector.get("ExcludeManagementEventSources"):
            kind = selector.get("ReadWriteType", "All")
            kinds |= {"ReadOnly", "WriteOnly"} if kind == "All" else {kind}
    for selector in advanced:
        fields = {f["Field"]: f for f in selector.get("FieldSelectors", [])}
        if "Management" not in fields.get("eventCategory", {}).get("Equals", []) or "eventSource" in fields:
            continue
        read_only = fields.get("readOnly", {}).get("Equals")
        kinds |= {"ReadOnly", "WriteOnly"} if not read_only else {"ReadOnly" if read_only == ["true"] else "WriteOnly"}
    return kinds == {"ReadOnly", "WriteOnly"}


def _trail_lacks(cloudtrail: Any, trail: dict[str, Any]) -> list[str]:
    lacking = []
    status = cloudtrail.get_trail_status(Name=trail["TrailARN"])
    if not status.get("IsLogging"):
        lacking.append("logging")
    if status.get("LatestDeliveryError"):
        lacking.append(f"delivery to its bucket ({status['LatestDeliveryError']})")
    if not _management_reads_and_writes(cloudtrail, trail["TrailARN"]):
        lacking.append("management reads and writes")
    if not trail.get("LogFileValidationEnabled"):
        lacking.append("log file validation")
    if not trail.get("KmsKeyId"):
        lacking.append("a customer-managed key")
    return lacking


def audit_trail(cloudtrail: Any, region: str) -> Check:
    """A trail covering the region logs and delivers, records every management read and write, validates its log
    files and encrypts them with a customer-managed key. Names what the closest trail lacks; an organization's
    trail that this account may not read is a WARN (confirm it with its owner), never a pass."""
    shortfalls, unreadable = [], []
    for trail in cloudtrail.describe_trails(includeShadowTrails=True)["trailList"]:
        if not (trail.get("IsMultiRegionTrail") or trail.get("HomeRegion") == region):
            continue
        try:
            lacking = _trail_lacks(cloudtrail, trail)
        except ClientError as error:  # an organization trail of another account may not be readable here
            unreadable.append(f"{trail['Name']} ({error.response.get('Error', {}).get('Code')})")
            continue
        if not lacking:
            return passed(TRAIL, f"{trail['Name']} logs every management event in {region}, validated, KMS-encrypted")
        shortfalls.append(f"{trail['Name']} lacks {', '.join(lacking)}")
    if unreadable and not shortfalls:
        return warned(
            TRAIL, f"could not read {', '.join(unreadable)} from this account: confirm with its owner that it logs "
            "every management read and write, validated and KMS-encrypted",
        )  # fmt: skip
    detail = "; ".join(shortfalls + [f"{u} unreadable" for u in unreadable]) or "no trail covers the region"
    return failed(TRAIL, f"{detail} (PCI DSS 10.2.1, 10.3.4): enable them on your organization's trail or create one")


def config_recorder(config: Any, region: str) -> Check:
    """A recorder records every supported resource type, and the delivery channel's last deliveries succeeded."""
    recorders = {r["name"]: r for r in config.describe_configuration_recorders()["ConfigurationRecorders"]}
    statuses = config.describe_configuration_recorder_status()["ConfigurationRecordersStatus"]
    if not statuses:
        return failed(RECORDER, f"no configuration recorder in {region} (PCI DSS 11.5.2): enable AWS Config")
    shortfalls = []
    for status in statuses:
        recorder = recorders.get(status["name"], {})
        group = recorder.get("recordingGroup", {})
        strategy = group.get("recordingStrategy", {}).get("useOnly")
        excluded = set(group.get("exclusionByResourceTypes", {}).get("resourceTypes", [])) & APP_RESOURCE_TYPES
        if not status.get("recording"):
            shortfalls.append(f"{status['name']} is not recording in {region}: start it")
        elif strategy == "EXCLUSION_BY_RESOURCE_TYPES" and excluded:
            shortfalls.append(f"{status['name']} excludes {', '.join(sorted(excluded))}, which this app runs")
        elif strategy != "EXCLUSION_BY_RESOURCE_TYPES" and not group.get("allSupported", False):
            shortfalls.append(f"{status['name']} records only some resource types; record all supported")
        elif recorder.get("recordingMode", {}).get("recordingFrequency") == "DAILY":
            shortfalls.append(f"{status['name']} records daily; record continuously (PCI DSS 11.5.2: prompt alerts)")
        else:
            channels = config.describe_delivery_channel_status()["DeliveryChannelsStatus"]
            deliveries = ("configHistoryDeliveryInfo", "configSnapshotDeliveryInfo")
            failing = sorted(
                {
                    f"{channel['name']} ({info.get('lastErrorCode', 'failed')})"
                    for channel in channels
                    for info in (channel.get(kind, {}) for kind in deliveries)
                    if info.get("lastStatus") == "Failure"
                }
            )
            if failing:
                return failed(RECORDER, f"{status['name']} records, but deliveries fail: {', '.join(failing)}")
            return passed(RECORDER, f"{status['name']} records every supported resource type in {region}")
    return failed(RECORDER, "; ".join(shortfalls))


def pci_standard(securityhub: Any, region: str) -> Check:
    try:
        standards = securityhub.get_enabled_standards()["StandardsSubscriptions"]
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("InvalidAccessException", "ResourceNotFoundException"):
            return failed(STANDARD, f"Security Hub is not enabled in {region}")
        raise
    for standard in standards:
        if PCI_DSS_STANDARD in standard["StandardsArn"]:
            if standard.get("StandardsStatus") != "READY":
                return failed(STANDARD, f"enabled in {region} but {standard.get('StandardsStatus')}")
            return _controls(securityhub, standard["StandardsSubscriptionArn"], region)
    return failed(STANDARD, f"the PCI DSS v4.0.1 standard is not enabled in {region}'s Security Hub")


def _controls(securityhub: Any, subscription: str, region: str) -> Check:
    """A standard READY with its controls disabled evaluates nothing: every control enabled passes; some disabled,
    each with its reason, is a WARN naming them (an organization may disable a control for a service it does not
    use, and an assessor asks for that reason); a control disabled without a reason, or all of them, fails."""
    controls: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        page = securityhub.describe_standards_controls(
            StandardsSubscriptionArn=subscription, **({"NextToken": token} if token else {})
        )
        controls += page.get("Controls", [])
        token = page.get("NextToken")
        if not token:
            break
    disabled = [c for c in controls if c.get("ControlStatus") == "DISABLED"]
    if not controls or len(disabled) == len(controls):
        return failed(STANDARD, f"enabled and ready in {region}, but none of its {len(controls)} controls is enabled")
    unexplained = [c["ControlId"] for c in disabled if not (c.get("DisabledReason") or "").strip()]
    if unexplained:
        return failed(
            STANDARD,
            f"enabled and ready in {region}; {len(unexplained)} controls disabled without a reason: "
            f"{', '.join(unexplained[:5])}{' and more' if len(unexplained) > 5 else ''} (give each its DisabledReason, "
            "or enable it)",
        )
    if disabled:
        named = ", ".join(f"{c['ControlId']} ({c.get('DisabledReason') or 'no reason given'})" for c in disabled[:5])
        more = f" and {len(disabled) - 5} more" if len(disabled) > 5 else ""
        return warned(
            STANDARD,
            f"enabled and ready in {region}; {len(disabled)} of {len(controls)} controls disabled: {named}{more}",
        )
    return passed(STANDARD, f"enabled and ready in {region}, all {len(controls)} controls enabled")


def runtime_monitoring(guardduty: Any, region: str) -> Check:
    """An enabled detector with Runtime Monitoring and its ECS Fargate agent managed by GuardDuty. The app lets the
    agent in: the execution role and the ECR endpoints admit GuardDuty's agent repository of the region
    (settings/regions.py), and the tasks may reach GuardDuty's endpoint within the VPC (components/fargate_service.py);
    the delivery-path matrix proves the pull."""
    detectors = guardduty.list_detectors()["DetectorIds"]
    if not detectors:
        return failed(DETECTOR, f"no GuardDuty detector in {region} (PCI DSS 5.2.1): enable GuardDuty")
    detector = guardduty.get_detector(DetectorId=detectors[0])
    if detector.get("Status") != "ENABLED":
        return failed(DETECTOR, f"detector {detectors[0]} is {detector.get('Status')}")
    for feature in detector.get("Features", []):
        if feature.get("Name") == "RUNTIME_MONITORING" and feature.get("Status") == "ENABLED":
            agent = {c.get("Name"): c.get("Status") for c in feature.get("AdditionalConfiguration", [])}
            if agent.get("ECS_FARGATE_AGENT_MANAGEMENT") == "ENABLED":
                return passed(DETECTOR, f"detector {detectors[0]} manages the Fargate agent of new tasks in {region}")
            return failed(DETECTOR, "Runtime Monitoring is on, but not its ECS Fargate agent management")
    return failed(DETECTOR, f"detector {detectors[0]} has Runtime Monitoring off: the tasks are not watched")


def image_scanning(ecr: Any, region: str) -> Check:
    configuration = ecr.get_registry_scanning_configuration()["scanningConfiguration"]
    for rule in configuration.get("rules", []):
        every = any(f.get("filter") == "*" for f in rule.get("repositoryFilters", []))
        if every and rule.get("scanFrequency") in ("SCAN_ON_PUSH", "CONTINUOUS_SCAN"):
            kind = configuration.get("scanType", "BASIC")
            return passed(SCANNING, f"{kind} scanning of every repository ({rule['scanFrequency']}) in {region}")
    return failed(
        SCANNING, f"the registry in {region} does not scan every repository on push (PCI DSS 6.3.3): add a rule for *"
    )


CREATABLE = "governance can be created"


def creatable(clients: Any, region: str, trail: str | None) -> Check:
    """With `governance: create`: none of the account's singletons the Governance stack creates exists in `region`
    (a second detector, hub or recorder is refused, and the stack's create would fail and roll back), nor a trail
    of the name it gives (`trail`, primary region only)."""
    found = []
    if clients.guardduty.list_detectors()["DetectorIds"]:
        found.append("a GuardDuty detector")
    try:
        clients.securityhub.describe_hub()
        found.append("Security Hub")
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") not in ("InvalidAccessException", "ResourceNotFoundException"):
            raise
    if clients.config.describe_configuration_recorders()["ConfigurationRecorders"]:
        found.append("an AWS Config recorder")
    if clients.config.describe_delivery_channels()["DeliveryChannels"]:
        found.append("an AWS Config delivery channel")
    if trail and any(t["Name"] == trail for t in clients.cloudtrail.describe_trails()["trailList"]):
        found.append(f"a trail named {trail}")
    if found:
        return failed(
            CREATABLE, f"{region} already has {', '.join(found)}: the Governance stack would fail to create it; set "
            "governance to verify (make preflight then checks them) or remove them",
        )  # fmt: skip
    return passed(CREATABLE, f"no detector, hub, recorder or trail of that name in {region}: the Governance stack can")


COVERAGE = "GuardDuty covers the tasks"


def task_coverage(guardduty: Any, cluster: str, region: str) -> Check:
    """After a deploy (`make verify`): GuardDuty's Runtime Monitoring coverage of the payment cluster is HEALTHY.
    GuardDuty starts a task whose agent sidecar fails, so only its coverage says the tasks are watched."""
    detectors = guardduty.list_detectors()["DetectorIds"]
    if not detectors:
        return failed(COVERAGE, f"no GuardDuty detector in {region}: the tasks are not watched (PCI DSS 5.2.1)")
    criteria = {"FilterCriterion": [{"CriterionKey": "ECS_CLUSTER_NAME", "FilterCondition": {"Equals": [cluster]}}]}
    resources = guardduty.list_coverage(DetectorId=detectors[0], FilterCriteria=criteria)["Resources"]
    if not resources:
        return warned(COVERAGE, f"GuardDuty reports no coverage of {cluster} yet: it does within minutes of a task "
                                "start with Runtime Monitoring on, but adds its agent only to tasks started after "
                                "it was enabled: force a new deployment (aws ecs update-service "
                                "--force-new-deployment) if the tasks are older; run again")  # fmt: skip
    unhealthy = [r for r in resources if r.get("CoverageStatus") != "HEALTHY"]
    if unhealthy:
        issues = sorted({str(r.get("Issue", r.get("CoverageStatus"))) for r in unhealthy})
        return failed(COVERAGE, f"{cluster}: GuardDuty coverage {', '.join(issues)}: the tasks are not watched")
    return passed(COVERAGE, f"{cluster}: GuardDuty coverage HEALTHY")
