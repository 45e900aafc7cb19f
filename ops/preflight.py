"""Preflight: everything a deploy of one profile needs from the account, checked before the deploy."""

from __future__ import annotations

import dataclasses
import hashlib
import re
import shutil
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from botocore.exceptions import ClientError

from ops import governance
from ops.checks import Check, failed, passed, run, suffixed, warned
from ops.clients import ClientSet
from settings import ClientAuthentication, ConfigError, EnvironmentConfig
from settings.limits import ECR_IMAGE_PATTERN
from settings.regions import gateway_prefix_lists
from settings.sections import VERSIONED_RULE_GROUPS, GovernanceMode

BOOTSTRAP_QUALIFIER = "hnb659fds"
# The synthesized templates' CheckBootstrapVersion rule refuses bootstrap versions 1 to 5.
MIN_BOOTSTRAP_VERSION = 6
VPCS_PER_REGION = ("vpc", "L-F678F1CE")
NAT_GATEWAYS_PER_ZONE = ("vpc", "L-FE5A380F")
FARGATE_ON_DEMAND_VCPU = ("fargate", "L-3032A538")
ELASTIC_IPS = ("ec2", "L-0263D0A3")
CONTAINER_BUILDERS = ("docker", "finch", "podman")
# certs/clients-ca.pem as shipped (SHA-256 of the certificate's DER): a CA generated for synth whose key was
# discarded, so that a deploy with it accepts no client. A bundle that still holds it was not replaced.
PLACEHOLDER_CLIENT_CA_SHA256 = "95ea7df410532f4d20754c556017c75abea5b622fb86f681d5a1ceb7000e0afc"
PEM_CERTIFICATE = re.compile(r"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.DOTALL)
# What `cdk deploy` does with the caller's own identity: assume the bootstrap roles and read the version.
DEPLOY_ACTIONS = ("sts:AssumeRole", "ssm:GetParameter", "cloudformation:DescribeStacks")


@dataclass
class Clients(ClientSet):
    """The clients preflight reads with."""

    SERVICES: ClassVar[dict[str, str]] = {"quotas": "service-quotas"}

    sts: Any
    ssm: Any
    ec2: Any
    quotas: Any
    iam: Any
    acm: Any
    route53: Any
    cloudformation: Any
    sns: Any
    wafv2: Any
    cloudtrail: Any
    config: Any
    securityhub: Any
    guardduty: Any
    ecr: Any


# A client of a service in a region (service, region): the standby region is checked with its own clients.
Regional = Callable[[str, str], Any]


def _quota(clients: Clients, code: tuple[str, str]) -> float | None:
    try:
        return float(clients.quotas.get_service_quota(ServiceCode=code[0], QuotaCode=code[1])["Quota"]["Value"])
    except ClientError:
        return None


def credentials(clients: Clients, config: EnvironmentConfig) -> Check:
    identity = clients.sts.get_caller_identity()
    if identity["Account"] != config.account:
        return failed(
            "credentials", f"credentials are for account {identity['Account']}, profile deploys to {config.account}"
        )
    return passed("credentials", f"{identity['Arn']} in {identity['Account']}")


def bootstrap(ssm: Any, check: str, region: str) -> Check:
    name = f"/cdk-bootstrap/{BOOTSTRAP_QUALIFIER}/version"
    try:
        version = int(ssm.get_parameter(Name=name)["Parameter"]["Value"])
    except ClientError:
        return failed(check, f"no {name} parameter: run `npx cdk bootstrap` for this account and {region}")
    if version < MIN_BOOTSTRAP_VERSION:
        return failed(check, f"version {version} is older than {MIN_BOOTSTRAP_VERSION}: re-run `cdk bootstrap`")
    return passed(check, f"version {version}")


def elastic_ips(clients: Clients, config: EnvironmentConfig) -> Check:
    quota = _quota(clients, ELASTIC_IPS)
    if quota is None:  # EC2 reports the same limit as an account attribute
        attributes = clients.ec2.describe_account_attributes(AttributeNames=["vpc-max-elastic-ips"])
        quota = float(attributes["AccountAttributes"][0]["AttributeValues"][0]["AttributeValue"])
    limit = int(quota)
    addresses = clients.ec2.describe_addresses()["Addresses"]
    if config.network.nat_eip_allocation_ids:
        by_id = {address["AllocationId"]: address for address in addresses}
        missing = [a for a in config.network.nat_eip_allocation_ids if a not in by_id]
        busy = [a for a in config.network.nat_eip_allocation_ids if a in by_id and by_id[a].get("AssociationId")]
        if missing or busy:
            return failed("Elastic IPs", f"allocations missing {missing}, already associated {busy}")
        return passed("Elastic IPs", f"reusing {len(config.network.nat_eip_allocation_ids)} existing allocations")
    needed = config.network.az_count
    if len(addresses) + needed > limit:
        return failed(
            "Elastic IPs",
            f"{len(addresses)} of {limit} in use, {needed} more needed for NAT gateways: request a "
            "quota increase or set nat_eip_allocation_ids",
        )
    return passed("Elastic IPs", f"{len(addresses)} of {limit} in use, {needed} needed")


def vpcs(clients: Clients) -> Check:
    quota = _quota(clients, VPCS_PER_REGION)
    used = len(clients.ec2.describe_vpcs()["Vpcs"])
    if quota is None:
        return warned("VPC quota", f"could not read quota {VPCS_PER_REGION[1]}; {used} VPCs exist")
    if used + 1 > quota:
        return failed("VPC quota", f"{used} of {quota:g} VPCs in use, 1 more needed")
    return passed("VPC quota", f"{used} of {quota:g} in use")


def nat_gateways(clients: Clients, config: EnvironmentConfig) -> Check:
    quota = _quota(clients, NAT_GATEWAYS_PER_ZONE)
    if quota is None:
        return warned("NAT gateway quota", f"could not read quota {NAT_GATEWAYS_PER_ZONE[1]}")
    subnets = {s["SubnetId"]: s["AvailabilityZone"] for s in clients.ec2.describe_subnets()["Subnets"]}
    gateways = clients.ec2.describe_nat_gateways()["NatGateways"]
    per_zone: dict[str, int] = {}
    for gateway in gateways:
        if gateway.get("State") in ("pending", "available"):
            zone = subnets.get(gateway["SubnetId"], "?")
            per_zone[zone] = per_zone.get(zone, 0) + 1
    full = [zone for zone in config.availability_zones if per_zone.get(zone, 0) + 1 > quota]
    if full:
        return failed("NAT gateway quota", f"zones {full} are at the quota of {quota:g} NAT gateways per zone")
    return passed("NAT gateway quota", f"room in {list(config.availability_zones)} (quota {quota:g} per zone)")


def fargate_vcpus(clients: Clients, config: EnvironmentConfig) -> Check:
    needed = config.compute.max_tasks * config.compute.task_cpu / 1024
    quota = _quota(clients, FARGATE_ON_DEMAND_VCPU)
    if quota is None:
        return warned(
            "Fargate vCPU quota", f"could not read quota {FARGATE_ON_DEMAND_VCPU[1]}; max_tasks needs {needed:g}"
        )
    if needed > quota:
        return failed("Fargate vCPU quota", f"max_tasks needs {needed:g} on-demand vCPUs, quota is {quota:g}")
    return passed("Fargate vCPU quota", f"max_tasks needs {needed:g} of {quota:g} (other workloads not counted)")


def deploy_permissions(clients: Clients, config: EnvironmentConfig) -> Check:
    arn = clients.sts.get_caller_identity()["Arn"]
    # An assumed-role session is simulated as its role.
    match arn.split(":"):
        case [_, partition, "sts", _, account, resource] if resource.startswith("assumed-role/"):
            arn = f"arn:{partition}:iam::{account}:role/{resource.split('/')[1]}"
    roles = f"arn:aws:iam::{config.account}:role/cdk-{BOOTSTRAP_QUALIFIER}-*-{config.account}-{config.region}"
    try:
        results = clients.iam.simulate_principal_policy(
            PolicySourceArn=arn, ActionNames=list(DEPLOY_ACTIONS), ResourceArns=[roles]
        )["EvaluationResults"]
    except (ClientError, NotImplementedError) as error:
        return warned("deploy permissions", f"could not simulate the policy of {arn}: {error}")
    denied = sorted(r["EvalActionName"] for r in results if r["EvalDecision"] != "allowed")
    if denied:
        return failed("deploy permissions", f"{arn} is denied {denied}")
    return passed("deploy permissions", f"{arn} may {', '.join(DEPLOY_ACTIONS)}")


def certificate(clients: Clients, config: EnvironmentConfig) -> Check:
    tls = config.tls
    if tls.certificate_arn:
        status = clients.acm.describe_certificate(CertificateArn=tls.certificate_arn)["Certificate"]["Status"]
        if status != "ISSUED":
            return failed("certificate", f"{tls.certificate_arn} is {status}")
        return passed("certificate", f"{tls.certificate_arn} is ISSUED")
    zone = clients.route53.get_hosted_zone(Id=tls.hosted_zone_id)["HostedZone"]
    if zone["Name"].rstrip(".") != (tls.hosted_zone_name or "").rstrip("."):
        return failed("hosted zone", f"{tls.hosted_zone_id} is {zone['Name']}, profile says {tls.hosted_zone_name}")
    return passed("hosted zone", f"{tls.hosted_zone_id} is {zone['Name']}")


def prefix_lists(ec2: Any, region: str, check: str) -> Check:
    """The task security group lets tasks reach S3 and DynamoDB by the ids in settings/regions.py: they must be
    this region's lists, or image pulls and the ledger are refused by the tasks' own rules."""
    expected = gateway_prefix_lists(region).names(region)
    answer = ec2.describe_managed_prefix_lists(Filters=[{"Name": "prefix-list-name", "Values": list(expected)}])
    found = {item["PrefixListName"]: item["PrefixListId"] for item in answer["PrefixLists"]}
    wrong = [
        f"{name} is {found.get(name, 'not found')}, not {listed}"
        for name, listed in expected.items()
        if found.get(name) != listed
    ]
    if wrong:
        return failed(check, "; ".join(wrong) + " (correct settings/regions.py)")
    return passed(check, ", ".join(f"{name} {listed}" for name, listed in expected.items()))


def rule_versions(config: EnvironmentConfig, wafv2: Any, check: str) -> Check:
    """Each managed rule group pinned to a version WAF still offers; a group not pinned follows AWS's default
    version, which changes under the web ACL without a deploy (a warning that names the version to pin)."""
    pinned = config.edge.pinned_versions
    offered, unpinned, wrong = [], [], []
    for group in VERSIONED_RULE_GROUPS:
        answer = wafv2.list_available_managed_rule_group_versions(VendorName="AWS", Name=group, Scope="REGIONAL")
        available = [version["Name"] for version in answer.get("Versions", [])]
        default = answer.get("CurrentDefaultVersion", "unknown")
        if group not in pinned:
            unpinned.append(f"{group}={default}")
        elif pinned[group] not in available:
            wrong.append(f"{group}={pinned[group]} is not offered (available: {', '.join(available) or 'none'})")
        else:
            offered.append(f"{group}={pinned[group]}")
    if wrong:
        return failed(check, "; ".join(wrong) + " (update waf_rule_versions)")
    if unpinned:
        return warned(check, "following AWS's default version, not pinned: " + ", ".join(unpinned)
                      + " (pin them in waf_rule_versions)")  # fmt: skip
    return passed(check, ", ".join(offered))


def client_certificates(config: EnvironmentConfig) -> Check:
    """With mutual TLS, the load balancer will accept clients: the CA bundle is yours, not the placeholder."""
    name = "client certificates"
    tls = config.tls
    if tls.client_authentication is ClientAuthentication.OFF:
        return passed(name, "not needed: tls.client_authentication is off")
    path = tls.client_ca_bundle_path
    if path is None or not path.is_file():  # synth refuses this too; preflight says it before anything else
        return failed(name, f"tls.client_ca_bundle: {tls.client_ca_bundle!r} is not a file")
    try:
        certificates = [ssl.PEM_cert_to_DER_cert(pem) for pem in PEM_CERTIFICATE.findall(path.read_text())]
    except ValueError as error:
        return failed(name, f"{tls.client_ca_bundle} is not a PEM bundle: {error}")
    if any(hashlib.sha256(der).hexdigest() == PLACEHOLDER_CLIENT_CA_SHA256 for der in certificates):
        return failed(
            name,
            f"{tls.client_ca_bundle} holds the placeholder CA, whose key was discarded: no client could connect; "
            "replace it with the CA certificates that sign your clients' certificates",
        )
    if not certificates:
        return failed(name, f"{tls.client_ca_bundle} holds no PEM certificate")
    return passed(name, f"{len(certificates)} CA certificate(s) in {tls.client_ca_bundle}")


def container_builder(config: EnvironmentConfig, which: Callable[[str], str | None] = shutil.which) -> Check:
    if config.compute.container_image:
        return passed("container build tool", "not needed: container_image is an ECR image")
    found = [tool for tool in CONTAINER_BUILDERS if which(tool)]
    if not found:
        return failed("container build tool", f"none of {list(CONTAINER_BUILDERS)} on PATH; cdk deploy builds service/")
    return passed("container build tool", found[0])


def container_images(config: EnvironmentConfig, client_in: Regional) -> list[Check]:
    """Each pinned image exists, by digest, in the registry of the region whose tasks pull it."""
    images = [(config.region, config.compute.container_image)]
    if config.standby_region:
        images.append((config.standby_region, config.standby_image))
    checks = []
    for region, image in images:
        name = f"image in {region}"
        match = ECR_IMAGE_PATTERN.match(image or "")
        if match is None:
            checks.append(passed(name, "built from service/ and pushed by cdk deploy"))
            continue
        try:
            client_in("ecr", region).describe_images(
                registryId=match["account"],
                repositoryName=match["repository"],
                imageIds=[{"imageDigest": match["digest"]}],
            )
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "ClientError")
            reason = f"{image}: {code}"
            if region != config.region:
                reason += (
                    " (replicate the repository there: ECR cross-region replication, or set standby_container_image)"
                )
            checks.append(failed(name, reason))
        else:
            checks.append(passed(name, image or ""))
    return checks


def paging_subscribers(config: EnvironmentConfig, cloudformation: Any, sns: Any, check: str) -> Check:
    """Someone receives this region's page: the profile subscribes e-mail addresses, or the deployed paging
    topic has a confirmed subscriber (an on-call tool subscribed outside this app)."""
    if config.alerting.paging_emails:
        return passed(check, f"{', '.join(config.alerting.paging_emails)} (each must confirm the subscription e-mail)")
    stack = config.names.stack("Observability")
    try:
        (described,) = cloudformation.describe_stacks(StackName=stack)["Stacks"]
        outputs = {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}
        topic = outputs["PagingTopicArn"]
    except (ClientError, KeyError):
        return failed(
            check,
            "nobody is paged: paging_emails is empty and the paging topic is not deployed yet; set "
            "paging_emails, or deploy and subscribe your on-call tool to the PagingTopicArn output",
        )
    subscriptions = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    confirmed = [s["Endpoint"] for s in subscriptions if s["SubscriptionArn"].startswith("arn:")]
    if not confirmed:
        return failed(check, f"nobody is paged: {topic} has no confirmed subscription")
    return passed(check, f"{topic} pages {', '.join(confirmed)}")


PRIMARY, STANDBY, BOTH = "primary", "standby", "both"


def regions_to_check(config: EnvironmentConfig, region: str | None) -> tuple[str, ...]:
    """Which of the profile's regions (`primary`, `standby`) a command checks: `region`, by default both where
    the profile has a standby. ConfigError for a standby the profile does not have."""
    if region is None:
        region = BOTH if config.standby_region else PRIMARY
    if region not in (PRIMARY, STANDBY, BOTH):
        raise ConfigError([f"--region: {region!r} is not one of {[PRIMARY, STANDBY, BOTH]}"])
    if region != PRIMARY and config.standby_region is None:
        raise ConfigError([f"--region: {region!r}, but {config.name} has no standby region"])
    return (PRIMARY, STANDBY) if region == BOTH else (region,)


def _region_clients(client_in: Regional, region: str) -> Clients:
    """The preflight clients of another region (IAM and STS answer the same everywhere)."""
    services = {field.name: Clients.SERVICES.get(field.name, field.name) for field in dataclasses.fields(Clients)}
    return Clients(**{name: client_in(service, region) for name, service in services.items()})


def _records_management_writes(cloudtrail: Any, trail: str) -> bool:
    selectors = cloudtrail.get_event_selectors(TrailName=trail)
    if not selectors.get("EventSelectors") and not selectors.get("AdvancedEventSelectors"):
        return True  # a trail without custom selectors logs every management event
    basic = any(
        s.get("IncludeManagementEvents", True) and s.get("ReadWriteType", "All") in ("All", "WriteOnly")
        for s in selectors.get("EventSelectors", [])
    )
    advanced = any(
        any(f["Field"] == "eventCategory" and "Management" in f.get("Equals", []) for f in s["FieldSelectors"])
        and not any(f["Field"] == "readOnly" and "true" in f.get("Equals", []) for f in s["FieldSelectors"])
        for s in selectors.get("AdvancedEventSelectors", [])
    )
    return basic or advanced


def management_trail(cloudtrail: Any, region: str) -> Check:
    """A trail logs this region's management write events: EventBridge receives CloudTrail's "AWS API Call"
    events only then, so the out-of-band change guard depends on it (PCI DSS 10.2 asks for one anyway)."""
    name = "CloudTrail management events"
    unreadable = []
    for trail in cloudtrail.describe_trails(includeShadowTrails=True)["trailList"]:
        if not (trail.get("IsMultiRegionTrail") or trail.get("HomeRegion") == region):
            continue
        try:
            logging = cloudtrail.get_trail_status(Name=trail["TrailARN"]).get("IsLogging", False)
            covers = logging and _records_management_writes(cloudtrail, trail["TrailARN"])
        except ClientError as error:  # an organization trail of another account may not be readable here
            unreadable.append(f"{trail['Name']} ({error.response.get('Error', {}).get('Code', 'ClientError')})")
            continue
        if covers:
            return passed(name, f"{trail['Name']} logs management write events in {region}")
    if unreadable:
        return warned(name, f"could not read {', '.join(unreadable)}: confirm it logs management events")
    return failed(
        name,
        f"no trail logs management write events in {region}: the out-of-band change warnings never fire; use "
        "your organization's trail or create one (aws cloudtrail create-trail --is-multi-region-trail …)",
    )


def region_checks(clients: Clients, config: EnvironmentConfig) -> list[Check]:
    """What one region needs: bootstrap, quotas, the deploy roles, the certificate or zone, the prefix lists, the
    pinned WAF versions and someone paged. `config` is the region's (the standby's own, from `config.standby()`)."""
    region = config.region
    checks = run("CDK bootstrap", lambda: bootstrap(clients.ssm, "CDK bootstrap", region))
    checks += run("Elastic IPs", lambda: elastic_ips(clients, config))
    checks += run("VPC quota", lambda: vpcs(clients))
    checks += run("NAT gateway quota", lambda: nat_gateways(clients, config))
    checks += run("Fargate vCPU quota", lambda: fargate_vcpus(clients, config))
    checks += run("deploy permissions", lambda: deploy_permissions(clients, config))
    checks += run("certificate", lambda: certificate(clients, config))
    checks += run("gateway prefix lists", lambda: prefix_lists(clients.ec2, region, "gateway prefix lists"))
    checks += run("WAF rule versions", lambda: rule_versions(config, clients.wafv2, "WAF rule versions"))
    # Runtime governance the PCI DSS mapping and acknowledgements cite (ops/governance.py): the organization's,
    # checked, or the Governance stack's, whose singletons must not exist yet (its trail feeds the change guard).
    if config.governance is GovernanceMode.CREATE:
        trail = None if config.is_standby else config.names.trail
        checks += run(governance.CREATABLE, lambda: governance.creatable(clients, region, trail))
    else:
        checks += run("CloudTrail management events", lambda: management_trail(clients.cloudtrail, region))
        checks += run(governance.TRAIL, lambda: governance.audit_trail(clients.cloudtrail, region))
        checks += run(governance.RECORDER, lambda: governance.config_recorder(clients.config, region))
        checks += run(governance.STANDARD, lambda: governance.pci_standard(clients.securityhub, region))
        checks += run(governance.DETECTOR, lambda: governance.runtime_monitoring(clients.guardduty, region))
        checks += run(governance.SCANNING, lambda: governance.image_scanning(clients.ecr, region))
    # Each region has its own paging topic: after a failover, the standby's alarms page there.
    checks += run(
        "paging subscribers",
        lambda: paging_subscribers(config, clients.cloudformation, clients.sns, "paging subscribers"),
    )
    return checks


def preflight(
    clients: Clients,
    config: EnvironmentConfig,
    client_in: Regional,
    which: Callable[[str], str | None] = shutil.which,
    regions: tuple[str, ...] = (PRIMARY, STANDBY),
) -> list[Check]:
    """Every check in the profile's primary region and, where it has one and `regions` names it, in the standby
    region under names ending `in <region>`; then what the profile needs wherever it runs."""
    checks = [
        passed("configuration", f"profile {config.name!r} valid, region {config.region} agrees with the environment")
    ]
    checks += run("credentials", lambda: credentials(clients, config))
    if checks[-1].failed:
        return checks  # every other check would read the wrong account
    if PRIMARY in regions:
        checks += region_checks(clients, config)
    if STANDBY in regions and config.standby_region:
        standby = config.standby()
        checks += suffixed(region_checks(_region_clients(client_in, standby.region), standby), f" in {standby.region}")
    checks += run("client certificates", lambda: client_certificates(config))
    checks += run("container build tool", lambda: container_builder(config, which))
    checks += run("container images", lambda: container_images(config, client_in))
    return checks
