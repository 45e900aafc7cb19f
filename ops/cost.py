"""Monthly cost estimate of a profile, computed from its synthesized templates.

Every count (NAT gateways, endpoint ENIs, alarms, task size, capacity split, buckets and their lifecycle, ...)
is read from the templates, so the estimate follows the code; the lines that follow traffic or the account's
activity use the stated assumptions (`TrafficAssumptions`). The primary region serves the traffic; a standby
region is priced idle: what it runs and keeps, the replicas it receives, no requests.

Every resource type the templates declare is either priced here (`PRICED`) or excluded with a reason
(`EXCLUDED`); a test fails on a type that is neither.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from ops.container_insights import metric_count
from ops.prices import HOURS_PER_MONTH, PRICES, PriceTable

DAYS_PER_MONTH = 365 / 12
SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600

# What one ALB LCU covers, per hour; the load balancer is billed on the highest of the four.
LCU_NEW_CONNECTIONS_PER_SECOND = 25
LCU_ACTIVE_CONNECTIONS_PER_MINUTE = 3000
LCU_GB_PER_HOUR = 1.0
LCU_RULE_EVALUATIONS_PER_SECOND = 1000
ALB_FREE_RULES = 10

# An anomaly detection alarm is billed as three metrics: the metric and the two bounds of its band.
ANOMALY_BAND_METRICS = 3
# A target tracking scaling policy makes two alarms (scale out, scale in), each reading one metric.
TARGET_TRACKING_ALARMS = 2
# S3 publishes four metrics per replication rule with metrics enabled (S3 RTC needs them): BytesPendingReplication,
# OperationsPendingReplication, ReplicationLatency and OperationsFailedReplication, billed as custom metrics.
REPLICATION_RULE_METRICS = 4
# GuardDuty's Runtime Monitoring agent: a container GuardDuty adds to every task (Container Insights counts it).
GUARDDUTY_AGENT_CONTAINERS = 1

# The reference service's ledger, measured from its code (tests/ops/test_cost.py builds the service's own items):
# a payment is one transaction of two puts, each item under 1 KB even at the longest idempotency key, so 2 write
# units each (a transactional write costs double). Stored sizes: a 64-character key and a 48-character client
# subject, plus the 100 bytes DynamoDB counts per item.
LEDGER_WRITE_UNITS_PER_PAYMENT = 4
LEDGER_PAYMENT_ITEM_BYTES = 345
LEDGER_IDEMPOTENCY_ITEM_BYTES = 605
# The service's Embedded Metric Format metrics: PaymentsAccepted, PaymentsRejected, PaymentLatency and
# PaymentAmount, under one dimension set (Service, Environment).
SERVICE_EMF_METRICS = 4

STORAGE_CLASSES = ("STANDARD", "STANDARD_IA", "GLACIER_IR")


class CostError(ValueError):
    """The estimate cannot be made (for example, no price table for the region)."""


class Scale(StrEnum):
    """How many tasks the serving region runs all month."""

    DESIRED = "desired"
    MAX = "max"


class Kind(StrEnum):
    """Whether a line follows what is deployed (fixed) or the traffic and the account's activity (variable)."""

    FIXED = "fixed"
    VARIABLE = "variable"


@dataclass(frozen=True)
class TrafficAssumptions:
    """Steady-state traffic and account activity the variable lines assume. State them with every estimate."""

    requests_per_month: int = 10_000_000
    # Request and response through the load balancer, headers included.
    bytes_per_request: int = 4_000
    # 1: every request opens a connection (no keep-alive), the costliest case for the load balancer.
    requests_per_connection: int = 1
    connection_seconds: float = 1.0
    # One JSON request line and, for payments, one EMF line: ~700 bytes per request.
    app_log_bytes_per_request: int = 700
    # A WAF log record (headers included) is ~1.5 KB.
    waf_log_bytes_per_request: int = 1500
    # An ALB access log entry, uncompressed (the load balancer gzips its files: an upper bound).
    alb_log_bytes_per_request: int = 600
    nat_gb_per_month: float = 20.0
    endpoint_gb_per_month: float = 50.0
    flow_log_gb_per_month: float = 10.0
    # CloudTrail management events in the serving region (the whole account's, not only this app's).
    management_events_per_month: int = 1_000_000
    trail_event_bytes: int = 1500
    # Security Hub: checks (a control evaluated against a resource) a month per resource AWS Config records, an
    # assumption (for example one control a day, or several on change); AWS Config: configuration items a month per
    # recorded resource (a change each). Both overridden by a measured monthly total when given.
    checks_per_resource_per_month: int = 30
    config_items_per_resource_per_month: int = 1
    security_hub_checks_per_month: int | None = None
    config_items_per_month: int | None = None
    # False: the account's organization trail already records management events, and this trail is a second copy.
    first_trail: bool = True
    # Storage, logs kept and key rotations are priced as they stand after this many months in service.
    months_in_service: int = 12
    scale: Scale = Scale.DESIRED

    def requests_per_second(self) -> float:
        return self.requests_per_month / SECONDS_PER_MONTH

    def describe(self) -> list[str]:
        return [
            f"{self.requests_per_month:,} requests a month, evenly spread ({self.requests_per_second():.2f} a second), "
            f"{self.bytes_per_request:,} B each through the load balancer, {self.requests_per_connection} per "
            f"connection of {self.connection_seconds:g} s",
            f"{self.app_log_bytes_per_request} B of app log, {self.waf_log_bytes_per_request} B of WAF log and "
            f"{self.alb_log_bytes_per_request} B of access log per request, kept uncompressed (an upper bound)",
            f"{self.nat_gb_per_month:g} GB through NAT, {self.endpoint_gb_per_month:g} GB through interface endpoints, "
            f"{self.flow_log_gb_per_month:g} GB of flow logs a month",
            f"{self.management_events_per_month:,} CloudTrail management events a month of "
            f"{self.trail_event_bytes:,} B"
            + ("" if self.first_trail else ", recorded by another trail first (this one is a paid second copy)"),
            "Security Hub: "
            + (
                f"{self.security_hub_checks_per_month:,} checks"
                if self.security_hub_checks_per_month is not None
                else f"{self.checks_per_resource_per_month} checks per recorded resource"
            )
            + "; AWS Config: "
            + (
                f"{self.config_items_per_month:,} configuration items"
                if self.config_items_per_month is not None
                else f"{self.config_items_per_resource_per_month} configuration item per recorded resource"
            )
            + " a month (recorded resources: the templates' AWS resources)",
            f"tasks at {self.scale.value}_tasks all month; Spot at the table's discount",
            f"storage, logs kept and key rotations as they stand after {self.months_in_service} months in service",
            "the standby region serves nothing: no requests, logs, NAT or endpoint traffic until failover",
        ]


@dataclass(frozen=True)
class LineItem:
    item: str
    basis: str
    monthly_usd: float
    stack: str = ""
    region: str = ""
    kind: Kind = Kind.FIXED


# Resource types the estimate prices (read by the functions below).
PRICED = frozenset(
    {
        "AWS::EC2::NatGateway",
        "AWS::EC2::EIP",
        "AWS::EC2::VPCEndpoint",
        "AWS::EC2::FlowLog",
        "AWS::NetworkFirewall::Firewall",
        "AWS::ElasticLoadBalancingV2::LoadBalancer",
        "AWS::ElasticLoadBalancingV2::ListenerRule",
        "AWS::WAFv2::WebACL",
        "AWS::ECS::TaskDefinition",
        "AWS::ECS::Service",
        "AWS::ApplicationAutoScaling::ScalableTarget",
        "AWS::ApplicationAutoScaling::ScalingPolicy",
        "AWS::ECS::Cluster",
        "AWS::Route53::HealthCheck",
        "AWS::KMS::Key",
        "AWS::SecretsManager::Secret",
        "AWS::DynamoDB::Table",
        "AWS::Logs::LogGroup",
        "AWS::Logs::MetricFilter",
        "AWS::KinesisFirehose::DeliveryStream",
        "AWS::S3::Bucket",
        "AWS::CloudWatch::Alarm",
        "AWS::CloudWatch::CompositeAlarm",
        "AWS::CloudWatch::Dashboard",
        "AWS::CloudTrail::Trail",
        "AWS::Config::ConfigurationRecorder",
        "AWS::Config::ConfigRule",
        "AWS::SecurityHub::Hub",
        "AWS::GuardDuty::Detector",
    }
)

_NO_CHARGE = "no charge of its own"
# Resource types the estimate leaves out, and why.
EXCLUDED: dict[str, str] = {
    **dict.fromkeys(
        (
            "AWS::IAM::Role",
            "AWS::IAM::Policy",
            "AWS::IAM::ManagedPolicy",
            "AWS::EC2::VPC",
            "AWS::EC2::Subnet",
            "AWS::EC2::RouteTable",
            "AWS::EC2::Route",
            "AWS::EC2::SubnetRouteTableAssociation",
            "AWS::EC2::InternetGateway",
            "AWS::EC2::VPCGatewayAttachment",
            "AWS::EC2::SecurityGroup",
            "AWS::EC2::SecurityGroupIngress",
            "AWS::EC2::SecurityGroupEgress",
            "AWS::ECS::ClusterCapacityProviderAssociations",
            "AWS::ElasticLoadBalancingV2::Listener",
            "AWS::ElasticLoadBalancingV2::TargetGroup",
            "AWS::KMS::Alias",
            "AWS::S3::BucketPolicy",
            "AWS::SNS::TopicPolicy",
            "AWS::SQS::QueuePolicy",
            "AWS::SecretsManager::ResourcePolicy",
            "AWS::Logs::ResourcePolicy",
            "AWS::WAFv2::WebACLAssociation",
            "AWS::Route53::RecordSet",
            "AWS::NetworkFirewall::FirewallPolicy",
            "AWS::NetworkFirewall::RuleGroup",
        ),
        _NO_CHARGE,
    ),
    "AWS::ElasticLoadBalancingV2::TrustStore": "no line of its own in the load balancer's price list",
    "AWS::CertificateManager::Certificate": "public ACM certificates are free",
    "AWS::Route53::HostedZone": "the adopter's hosted zone, not created here",
    "AWS::Logs::SubscriptionFilter": "priced as the Firehose stream's ingestion of the subscribed log groups",
    "AWS::Logs::QueryDefinition": "a saved query is free; a query run is billed per GB it scans, when someone runs it",
    "AWS::WAFv2::LoggingConfiguration": "priced as the WAF log group's ingestion",
    "AWS::NetworkFirewall::LoggingConfiguration": "the firewall's alert logs follow the traffic it refuses: "
    "not modelled",
    "AWS::Events::Rule": "rules on AWS services' events: those events are free; their deliveries to the topics and "
    "the dead-letter queue are not modelled (see SNS and SQS)",
    "AWS::SNS::Topic": "billed per publish and per e-mail beyond SNS's free tier: alarm notifications, not traffic; "
    "not modelled",
    "AWS::SNS::Subscription": "an e-mail subscription: its deliveries are the topic's",
    "AWS::SQS::Queue": "the dead-letter queue holds only undelivered warnings: requests beyond SQS's free tier are "
    "not expected; not modelled",
    "AWS::Lambda::Function": "runs during a deploy only (the default security group's cleanup)",
    "Custom::VpcRestrictDefaultSG": "runs during a deploy only",
    "AWS::FIS::ExperimentTemplate": "a template is free; `make drill` runs it, billed per action-minute when run",
    "AWS::Budgets::Budget": "AWS Budgets prices budgets per account, beyond the account's free ones: not this app's",
    "AWS::Config::DeliveryChannel": "its history and snapshot files in the governance bucket are not modelled",
    "AWS::SecurityHub::Standard": "priced as the hub's security checks",
    "AWS::ECR::RegistryScanningConfiguration": "basic scanning on push is free",
}

# Traffic-independent exclusions every estimate states.
NOT_MODELLED = [
    "data transfer out to the internet, Route 53 queries, KMS requests (0.03 USD per 10,000), S3 requests and "
    "lifecycle transitions (0.01 USD per 1,000 objects into Standard-IA, 0.02 into Glacier Instant Retrieval)",
    "free tiers and allowances (not deducted)",
    "S3 server access logs (the audit buckets' own requests), AWS Config's files, GuardDuty's DNS log analysis, ECR "
    "image storage, Container Insights' performance log events",
    "with `governance: verify`, what the organization's GuardDuty, AWS Config and Security Hub charge for this app's "
    "resources (priced only with `governance: create`)",
    "objects under 128 KB stay in S3 Standard (lifecycle transitions skip them by default): small log files cost a "
    "little more than priced",
]


@dataclass(frozen=True)
class _Resource:
    stack: str
    logical_id: str
    properties: dict[str, Any]


@dataclass
class _Region:
    """One region's templates and what the estimate knows about it."""

    name: str
    documents: Mapping[str, Mapping[str, Any]]
    prices: PriceTable
    traffic: TrafficAssumptions
    serves: bool
    # GB a month replicated into this region's buckets, by bucket name.
    replicated_in: Mapping[str, float] = field(default_factory=dict)

    def resources(self, resource_type: str) -> list[_Resource]:
        return [
            _Resource(stack, logical_id, resource.get("Properties", {}))
            for stack, document in self.documents.items()
            for logical_id, resource in document["Resources"].items()
            if resource["Type"] == resource_type
        ]

    def per_stack(self, resource_type: str) -> dict[str, list[_Resource]]:
        stacks: dict[str, list[_Resource]] = {}
        for resource in self.resources(resource_type):
            stacks.setdefault(resource.stack, []).append(resource)
        return stacks

    def item(self, item: str, basis: str, usd: float, stack: str, kind: Kind = Kind.FIXED) -> LineItem:
        return LineItem(item, basis, usd, stack, self.name, kind)

    def traffic_share(self) -> float:
        """1 where the traffic is served, 0 in an idle standby."""
        return 1.0 if self.serves else 0.0


def _mentions(value: Any, resource: _Resource) -> bool:
    """Whether a property refers to the resource (Ref, GetAtt, or a cross-stack import named after it)."""
    return resource.logical_id in json.dumps(value)


def _hourly_with_data(
    region: _Region,
    resource_type: str,
    names: tuple[str, str],
    count: Callable[[list[_Resource]], tuple[int, str]],
    prices: tuple[float, float],
    gb_per_month: float,
) -> Iterator[LineItem]:
    """A resource billed per unit-hour (`count` gives the units and how to say them) and per GB it carries."""
    hours, (hourly, per_gb) = HOURS_PER_MONTH, prices
    for stack, resources in region.per_stack(resource_type).items():
        units, described = count(resources)
        yield region.item(names[0], f"{described} x {hours} h", units * hours * hourly, stack)
        gb = gb_per_month * region.traffic_share()
        yield region.item(names[1], f"{gb:g} GB", gb * per_gb, stack, Kind.VARIABLE)


def _interface_endpoints(endpoints: list[_Resource]) -> tuple[int, str]:
    interface = [e for e in endpoints if e.properties.get("VpcEndpointType") == "Interface"]
    zones = sum(len(e.properties.get("SubnetIds", [])) for e in interface)
    return zones, f"{len(interface)} endpoints, {zones} zone-hours"


def _firewall_endpoints(firewalls: list[_Resource]) -> tuple[int, str]:
    endpoints = sum(len(firewall.properties.get("SubnetMappings", [])) for firewall in firewalls)
    return endpoints, f"{endpoints} endpoints"


def _network(region: _Region) -> Iterator[LineItem]:
    prices, traffic, hours = region.prices, region.traffic, HOURS_PER_MONTH
    yield from _hourly_with_data(
        region,
        "AWS::EC2::NatGateway",
        ("NAT gateways", "NAT gateway data"),
        lambda nats: (len(nats), str(len(nats))),
        (prices.nat_gateway_hour, prices.nat_gateway_gb),
        traffic.nat_gb_per_month,
    )
    # Everything through NAT crosses a firewall first. AWS waives NAT gateway charges for traffic that a firewall
    # charged for; not deducted: the waiver's terms could not be checked here (an upper bound).
    yield from _hourly_with_data(
        region,
        "AWS::NetworkFirewall::Firewall",
        ("Network Firewall (egress allow-list)", "Network Firewall data"),
        _firewall_endpoints,
        (prices.network_firewall_endpoint_hour, prices.network_firewall_gb),
        traffic.nat_gb_per_month,
    )
    yield from _hourly_with_data(
        region,
        "AWS::EC2::VPCEndpoint",
        ("Interface endpoints", "Interface endpoint data"),
        _interface_endpoints,
        (prices.interface_endpoint_az_hour, prices.interface_endpoint_gb),
        traffic.endpoint_gb_per_month,
    )
    for stack, flow_logs in region.per_stack("AWS::EC2::FlowLog").items():
        to_s3 = [f for f in flow_logs if f.properties.get("LogDestinationType") == "s3"]
        parquet = [f for f in to_s3 if f.properties.get("DestinationOptions", {}).get("FileFormat") == "parquet"]
        gb = traffic.flow_log_gb_per_month * region.traffic_share()
        per_gb = prices.vended_logs_s3_gb + (prices.flow_log_parquet_gb if parquet else 0.0)
        yield region.item(
            "VPC flow log delivery",
            f"{gb:g} GB to S3" + (", as Parquet" if parquet else ""),
            gb * per_gb if to_s3 else 0.0,
            stack,
            Kind.VARIABLE,
        )
    addresses = [(r.stack, "Elastic IP", 1) for r in region.resources("AWS::EC2::EIP")] + [
        (alb.stack, "ALB", len(alb.properties.get("Subnets", [])))
        for alb in region.resources("AWS::ElasticLoadBalancingV2::LoadBalancer")
        if alb.properties.get("Scheme") == "internet-facing"
    ]
    for stack in dict.fromkeys(stack for stack, _, _ in addresses):
        count = sum(n for s, _, n in addresses if s == stack)
        kinds = sorted({what for s, what, _ in addresses if s == stack})
        yield region.item(
            "Public IPv4 addresses", f"{count} ({', '.join(kinds)})", count * hours * prices.public_ipv4_hour, stack
        )


def _load_balancer(region: _Region) -> Iterator[LineItem]:
    prices, traffic, hours = region.prices, region.traffic, HOURS_PER_MONTH
    rules = len(region.resources("AWS::ElasticLoadBalancingV2::ListenerRule"))
    for stack, albs in region.per_stack("AWS::ElasticLoadBalancingV2::LoadBalancer").items():
        yield region.item(
            "Application Load Balancer", f"{len(albs)} x {hours} h", len(albs) * hours * prices.alb_hour, stack
        )
        rps = traffic.requests_per_second() * region.traffic_share()
        new = rps / traffic.requests_per_connection
        dimensions = {
            "new connections": new / LCU_NEW_CONNECTIONS_PER_SECOND,
            # Connections open at once: opened a second times how long each stays open (AWS's example: 1 a second
            # of 2 minutes each is 120 active connections).
            "active connections": new * traffic.connection_seconds / LCU_ACTIVE_CONNECTIONS_PER_MINUTE,
            "processed bytes": rps * 3600 * traffic.bytes_per_request / 1e9 / LCU_GB_PER_HOUR,
            "rule evaluations": rps * max(rules - ALB_FREE_RULES, 0) / LCU_RULE_EVALUATIONS_PER_SECOND,
        }
        lcus = max(dimensions.values())
        by = max(dimensions, key=lambda name: dimensions[name])
        yield region.item(
            "ALB capacity units",
            f"{lcus:.3f} LCU ({by}) x {hours} h",
            len(albs) * lcus * hours * prices.alb_lcu_hour,
            stack,
            Kind.VARIABLE,
        )


def _waf(region: _Region) -> Iterator[LineItem]:
    prices, traffic = region.prices, region.traffic
    for stack, acls in region.per_stack("AWS::WAFv2::WebACL").items():
        rules = sum(len(acl.properties.get("Rules", [])) for acl in acls)
        yield region.item(
            "AWS WAF",
            f"{len(acls)} web ACL, {rules} rules",
            len(acls) * prices.waf_web_acl_month + rules * prices.waf_rule_month,
            stack,
        )
        requests = traffic.requests_per_month * region.traffic_share()
        yield region.item(
            "AWS WAF requests",
            f"{requests:,.0f} requests",
            requests / 1e6 * prices.waf_million_requests,
            stack,
            Kind.VARIABLE,
        )


def running_tasks(region: _Region) -> float:
    """Tasks the region runs all month: the service's desired count, or in the serving region at `--at max`
    its scaling maximum."""
    services = region.resources("AWS::ECS::Service")
    desired = sum(int(s.properties.get("DesiredCount", 0)) for s in services)
    if region.serves and region.traffic.scale is Scale.MAX:
        targets = [
            t
            for t in region.resources("AWS::ApplicationAutoScaling::ScalableTarget")
            if t.properties.get("ScalableDimension") == "ecs:service:DesiredCount"
        ]
        return sum(int(t.properties["MaxCapacity"]) for t in targets) or desired
    return desired


def _one(region: _Region, resource_type: str) -> _Resource:
    found = region.resources(resource_type)
    if len(found) != 1:
        raise CostError(f"{region.name}: the estimate prices one {resource_type}, the templates have {len(found)}")
    return found[0]


def _task_size(region: _Region) -> tuple[float, float, bool]:
    task = _one(region, "AWS::ECS::TaskDefinition")
    arm = task.properties.get("RuntimePlatform", {}).get("CpuArchitecture") == "ARM64"
    return int(task.properties["Cpu"]) / 1024, int(task.properties["Memory"]) / 1024, arm


def _fargate(region: _Region) -> Iterator[LineItem]:
    prices = region.prices
    services = region.resources("AWS::ECS::Service")
    if not services:
        return
    service = _one(region, "AWS::ECS::Service")
    vcpu, memory_gb, arm = _task_size(region)
    vcpu_price = prices.fargate_vcpu_hour_arm if arm else prices.fargate_vcpu_hour_x86
    gb_price = prices.fargate_gb_hour_arm if arm else prices.fargate_gb_hour_x86
    task_hour = vcpu * vcpu_price + memory_gb * gb_price
    tasks = running_tasks(region)
    strategy = {s["CapacityProvider"]: s for s in service.properties.get("CapacityProviderStrategy", [])}
    if "FARGATE" not in strategy:
        raise CostError(f"{region.name}: the service has no FARGATE capacity provider; only Fargate is priced")
    base = int(strategy["FARGATE"].get("Base", 0))
    on_demand_weight = int(strategy["FARGATE"].get("Weight", 0))
    spot_weight = int(strategy.get("FARGATE_SPOT", {}).get("Weight", 0))
    above_base = max(tasks - base, 0)
    share = on_demand_weight / (on_demand_weight + spot_weight) if on_demand_weight + spot_weight else 1.0
    on_demand = min(tasks, base) + above_base * share
    spot = above_base * (1 - share)
    size = f"{vcpu:g} vCPU / {memory_gb:g} GB {'ARM64' if arm else 'x86_64'}"
    month = task_hour * HOURS_PER_MONTH
    yield region.item("Fargate on-demand", f"{on_demand:g} tasks of {size}", on_demand * month, service.stack)
    if spot:
        spot_month = month * (1 - prices.fargate_spot_discount)
        yield region.item("Fargate Spot", f"{spot:g} tasks of {size}", spot * spot_month, service.stack)


def _container_insights(region: _Region) -> Iterator[LineItem]:
    """Container Insights (enhanced): the metrics the cluster's running tasks and their containers publish, billed
    as custom metrics (ECS Developer Guide), priced at the first custom-metric tier: an upper bound, since the
    enhanced usage type (CI-ECS) may be priced lower, which could not be checked here."""
    for cluster in region.resources("AWS::ECS::Cluster"):
        settings = {s.get("Name"): s.get("Value") for s in cluster.properties.get("ClusterSettings", [])}
        if settings.get("containerInsights") != "enhanced":
            continue
        tasks = running_tasks(region)
        definitions = _one(region, "AWS::ECS::TaskDefinition").properties.get("ContainerDefinitions", [])
        containers = len(definitions) + GUARDDUTY_AGENT_CONTAINERS
        checked = sum(1 for c in definitions if c.get("HealthCheck"))
        metrics = metric_count(tasks, containers, checked)
        yield region.item(
            "Container Insights (enhanced)",
            f"{metrics:g} metrics: {tasks:g} tasks of {containers} containers (GuardDuty's agent included)",
            metrics * region.prices.custom_metric_month,
            cluster.stack,
        )


def _health_checks(region: _Region) -> Iterator[LineItem]:
    for stack, checks in region.per_stack("AWS::Route53::HealthCheck").items():
        types = sorted({c.properties.get("HealthCheckConfig", {}).get("Type", "?") for c in checks})
        yield region.item(
            "Route 53 health checks",
            f"{len(checks)} ({', '.join(types)})",
            len(checks) * region.prices.route53_health_check_month,
            stack,
        )


def _kms(region: _Region) -> Iterator[LineItem]:
    prices, months = region.prices, region.traffic.months_in_service
    for stack, keys in region.per_stack("AWS::KMS::Key").items():
        yield region.item("KMS keys", f"{len(keys)} customer-managed keys", len(keys) * prices.kms_key_month, stack)
        rotations = 0
        for key in keys:
            if key.properties.get("EnableKeyRotation"):
                period = int(key.properties.get("RotationPeriodInDays", 365))
                # Each of the first two rotations adds to the key's monthly price; later ones add nothing.
                rotations += min(int(months * DAYS_PER_MONTH // period), 2)
        if rotations:
            yield region.item(
                "KMS key rotations",
                f"{rotations} rotations within {months} months",
                rotations * prices.kms_rotation_month,
                stack,
            )


def _secrets(region: _Region) -> Iterator[LineItem]:
    for stack, secrets in region.per_stack("AWS::SecretsManager::Secret").items():
        yield region.item("Secrets Manager", f"{len(secrets)} secret", len(secrets) * region.prices.secret_month, stack)


def log_group_gb(region: _Region) -> dict[str, float]:
    """GB a month each log group receives (by logical ID): the app's, the WAF's and the trail's."""
    traffic, share = region.traffic, region.traffic_share()
    requests, events = traffic.requests_per_month * share, traffic.management_events_per_month * share
    writers: list[tuple[Any, float]] = [
        (task.properties.get("ContainerDefinitions"), requests * traffic.app_log_bytes_per_request)
        for task in region.resources("AWS::ECS::TaskDefinition")
    ]
    writers += [
        (waf.properties.get("LogDestinationConfigs"), requests * traffic.waf_log_bytes_per_request)
        for waf in region.resources("AWS::WAFv2::LoggingConfiguration")
    ]
    writers += [
        (trail.properties.get("CloudWatchLogsLogGroupArn"), events * traffic.trail_event_bytes)
        for trail in region.resources("AWS::CloudTrail::Trail")
    ]
    return {
        group.logical_id: sum(written for value, written in writers if _mentions(value, group)) / 1e9
        for group in region.resources("AWS::Logs::LogGroup")
    }


def stream_gb(region: _Region, log_gb: Mapping[str, float]) -> dict[str, float]:
    """GB a month each Firehose stream archives (by logical ID): every event of the log groups subscribed to it."""
    subscriptions = region.resources("AWS::Logs::SubscriptionFilter")
    groups = region.resources("AWS::Logs::LogGroup")
    archived: dict[str, float] = {}
    for stream in region.resources("AWS::KinesisFirehose::DeliveryStream"):
        fed = [s for s in subscriptions if _mentions(s.properties.get("DestinationArn"), stream)]
        archived[stream.logical_id] = sum(
            log_gb[g.logical_id] for g in groups if any(_mentions(s.properties.get("LogGroupName"), g) for s in fed)
        )
    return archived


def _logs(region: _Region, gb: Mapping[str, float]) -> Iterator[LineItem]:
    prices, months = region.prices, region.traffic.months_in_service
    for stack, groups in region.per_stack("AWS::Logs::LogGroup").items():
        ingested = sum(gb[g.logical_id] for g in groups)
        stored = (
            sum(
                gb[g.logical_id] * min(int(g.properties.get("RetentionInDays", 3653)), months * DAYS_PER_MONTH)
                for g in groups
            )
            / DAYS_PER_MONTH
        )
        yield region.item(
            "CloudWatch Logs",
            f"{ingested:.1f} GB/month in, ~{stored:.0f} GB kept (uncompressed)",
            ingested * prices.logs_ingest_gb + stored * prices.logs_storage_gb_month,
            stack,
            Kind.VARIABLE,
        )


def _custom_metrics(region: _Region, gb: Mapping[str, float]) -> Iterator[LineItem]:
    """A metric filter with a default value publishes while its log group receives events; one without publishes
    only when an event matches (the trail's alarms: rare, not priced); the service publishes its EMF metrics while
    it serves payments."""
    groups = region.resources("AWS::Logs::LogGroup")
    for stack, filters in region.per_stack("AWS::Logs::MetricFilter").items():
        live = {
            (t.get("MetricNamespace"), t.get("MetricName"))
            for f in filters
            if any(_mentions(f.properties.get("LogGroupName"), g) and gb[g.logical_id] > 0 for g in groups)
            for t in f.properties.get("MetricTransformations", [])
            if "DefaultValue" in t
        }
        yield region.item(
            "CloudWatch custom metrics",
            f"{len(live)} from metric filters with a default value",
            len(live) * region.prices.custom_metric_month,
            stack,
            Kind.VARIABLE,
        )
    for task in region.resources("AWS::ECS::TaskDefinition"):
        metrics = SERVICE_EMF_METRICS if region.serves else 0
        yield region.item(
            "CloudWatch custom metrics",
            f"{metrics} from the service (EMF)",
            metrics * region.prices.custom_metric_month,
            task.stack,
            Kind.VARIABLE,
        )


def _firehose(region: _Region, archived: Mapping[str, float]) -> Iterator[LineItem]:
    for stream in region.resources("AWS::KinesisFirehose::DeliveryStream"):
        gb = archived[stream.logical_id]
        yield region.item(
            "Firehose log archive", f"{gb:.1f} GB/month", gb * region.prices.firehose_gb, stream.stack, Kind.VARIABLE
        )


def bucket_gb(region: _Region, archived: Mapping[str, float]) -> dict[str, float]:
    """GB a month written into each bucket (by logical ID): Firehose's archive, flow logs, access logs, the
    trail's files, and replicas from another region."""
    traffic, share = region.traffic, region.traffic_share()
    writers: list[tuple[Any, float]] = [
        (stream.properties.get("ExtendedS3DestinationConfiguration", {}).get("BucketARN"), archived[stream.logical_id])
        for stream in region.resources("AWS::KinesisFirehose::DeliveryStream")
    ]
    for flow_log in region.resources("AWS::EC2::FlowLog"):
        if flow_log.properties.get("LogDestinationType") == "s3":
            writers.append((flow_log.properties.get("LogDestination"), traffic.flow_log_gb_per_month * share))
    for alb in region.resources("AWS::ElasticLoadBalancingV2::LoadBalancer"):
        attributes = {a["Key"]: a.get("Value") for a in alb.properties.get("LoadBalancerAttributes", [])}
        if attributes.get("access_logs.s3.enabled") == "true":
            access_gb = traffic.requests_per_month * traffic.alb_log_bytes_per_request * share / 1e9
            writers.append((attributes.get("access_logs.s3.bucket"), access_gb))
    for trail in region.resources("AWS::CloudTrail::Trail"):
        trail_gb = traffic.management_events_per_month * traffic.trail_event_bytes * share / 1e9
        writers.append((trail.properties.get("S3BucketName"), trail_gb))
    gb: dict[str, float] = {}
    for bucket in region.resources("AWS::S3::Bucket"):
        name = bucket.properties.get("BucketName")
        written = sum(
            monthly
            for value, monthly in writers
            if _mentions(value, bucket) or (isinstance(name, str) and value == name)
        )
        gb[bucket.logical_id] = written + (region.replicated_in.get(name, 0.0) if isinstance(name, str) else 0.0)
    return gb


def storage_classes(bucket: Mapping[str, Any], monthly_gb: float, months: int) -> dict[str, float]:
    """GB held in each storage class after `months` of `monthly_gb` arriving, under the bucket's lifecycle."""
    rules = [r for r in bucket.get("LifecycleConfiguration", {}).get("Rules", []) if r.get("Status") == "Enabled"]
    transitions = sorted(
        ((int(t["TransitionInDays"]), t["StorageClass"]) for r in rules for t in r.get("Transitions", [])),
    )
    expiries = [int(r["ExpirationInDays"]) for r in rules if "ExpirationInDays" in r]
    expiry: float = min(expiries) if expiries else math.inf
    if bucket.get("VersioningConfiguration", {}).get("Status") == "Enabled":
        # Versioned: expiry only adds a delete marker; the data stays, noncurrent and in its last class, until the
        # noncurrent versions expire (or for ever without that rule).
        noncurrent = [
            int(r["NoncurrentVersionExpiration"]["NoncurrentDays"]) for r in rules if "NoncurrentVersionExpiration" in r
        ]
        expiry = expiry + min(noncurrent) if noncurrent else math.inf
    horizon = months * DAYS_PER_MONTH
    boundaries = [(0, "STANDARD"), *transitions]
    held: dict[str, float] = {}
    for index, (start, storage_class) in enumerate(boundaries):
        if storage_class not in STORAGE_CLASSES:
            raise CostError(f"no price for S3 storage class {storage_class!r} (have: {', '.join(STORAGE_CLASSES)})")
        end = boundaries[index + 1][0] if index + 1 < len(boundaries) else expiry
        days = max(min(end, expiry, horizon) - min(start, horizon), 0)
        held[storage_class] = held.get(storage_class, 0.0) + monthly_gb * days / DAYS_PER_MONTH
    return held


def _s3(region: _Region, written: Mapping[str, float]) -> Iterator[LineItem]:
    prices, months = region.prices, region.traffic.months_in_service
    per_gb = {
        "STANDARD": prices.s3_standard_gb_month,
        "STANDARD_IA": prices.s3_standard_ia_gb_month,
        "GLACIER_IR": prices.s3_glacier_ir_gb_month,
    }
    for stack, buckets in region.per_stack("AWS::S3::Bucket").items():
        held: dict[str, float] = {}
        for bucket in buckets:
            for storage_class, gb in storage_classes(bucket.properties, written[bucket.logical_id], months).items():
                held[storage_class] = held.get(storage_class, 0.0) + gb
        shown = ", ".join(f"{gb:.0f} GB {storage_class}" for storage_class, gb in held.items() if gb)
        yield region.item(
            "S3 audit storage",
            f"{len(buckets)} buckets: {shown or 'empty'} after {months} months",
            sum(gb * per_gb[storage_class] for storage_class, gb in held.items()),
            stack,
            Kind.VARIABLE,
        )


def replication_out(region: _Region, written: Mapping[str, float]) -> dict[str, float]:
    """GB a month each replication destination (by bucket name) receives from this region."""
    out: dict[str, float] = {}
    for bucket in region.resources("AWS::S3::Bucket"):
        for rule in bucket.properties.get("ReplicationConfiguration", {}).get("Rules", []):
            if rule.get("Status", "Enabled") != "Enabled":
                continue
            destination = str(rule["Destination"]["Bucket"]).removeprefix("arn:aws:s3:::")
            out[destination] = out.get(destination, 0.0) + written[bucket.logical_id]
    return out


def _replication(region: _Region, written: Mapping[str, float]) -> Iterator[LineItem]:
    prices = region.prices
    for stack, buckets in region.per_stack("AWS::S3::Bucket").items():
        gb = 0.0
        timed = 0.0
        measured = 0
        for bucket in buckets:
            for rule in bucket.properties.get("ReplicationConfiguration", {}).get("Rules", []):
                gb += written[bucket.logical_id]
                destination = rule.get("Destination", {})
                if destination.get("ReplicationTime", {}).get("Status") == "Enabled":
                    timed += written[bucket.logical_id]
                if destination.get("Metrics", {}).get("Status") == "Enabled":
                    measured += 1
        if gb or measured:
            yield region.item(
                "S3 cross-region replication",
                f"{gb:.1f} GB/month, {timed:.1f} GB of it with Replication Time Control",
                gb * prices.inter_region_transfer_gb + timed * prices.s3_replication_time_control_gb,
                stack,
                Kind.VARIABLE,
            )
        if measured:
            metrics = measured * REPLICATION_RULE_METRICS
            yield region.item(
                "S3 replication metrics",
                f"{metrics} metrics: {measured} rules x {REPLICATION_RULE_METRICS}",
                metrics * prices.custom_metric_month,
                stack,
            )


def ledger_ttl_days(region: _Region) -> float:
    for task in region.resources("AWS::ECS::TaskDefinition"):
        for container in task.properties.get("ContainerDefinitions", []):
            for variable in container.get("Environment", []):
                if variable.get("Name") == "IDEMPOTENCY_TTL_SECONDS":
                    return int(variable["Value"]) / 86400
    return 1.0


def _dynamodb(region: _Region) -> Iterator[LineItem]:
    prices, traffic = region.prices, region.traffic
    payments = traffic.requests_per_month * region.traffic_share()
    ttl_days = ledger_ttl_days(region)
    for table in region.resources("AWS::DynamoDB::Table"):
        if table.properties.get("BillingMode") != "PAY_PER_REQUEST":
            raise CostError(f"table {table.logical_id}: only on-demand (PAY_PER_REQUEST) tables are priced")
        units = payments * LEDGER_WRITE_UNITS_PER_PAYMENT
        yield region.item(
            "DynamoDB ledger writes",
            f"{payments:,.0f} payments x {LEDGER_WRITE_UNITS_PER_PAYMENT} write units",
            units / 1e6 * prices.dynamodb_million_write_units,
            table.stack,
            Kind.VARIABLE,
        )
        # Payments stay; idempotency records expire after their time to live.
        stored_gb = (
            payments * traffic.months_in_service * LEDGER_PAYMENT_ITEM_BYTES
            + payments * ttl_days / DAYS_PER_MONTH * LEDGER_IDEMPOTENCY_ITEM_BYTES
        ) / 1e9
        backup = table.properties.get("PointInTimeRecoverySpecification", {}).get("PointInTimeRecoveryEnabled")
        per_gb = prices.dynamodb_storage_gb_month + (prices.dynamodb_backup_gb_month if backup else 0.0)
        yield region.item(
            "DynamoDB ledger storage",
            f"~{stored_gb:.1f} GB after {traffic.months_in_service} months" + (", with PITR" if backup else ""),
            stored_gb * per_gb,
            table.stack,
            Kind.VARIABLE,
        )


def _alarm_metrics(alarm: Mapping[str, Any]) -> int:
    """CloudWatch bills an alarm per metric it reads."""
    if "MetricName" in alarm:
        return 1
    queries = alarm.get("Metrics", [])
    if any("ANOMALY_DETECTION_BAND" in str(query.get("Expression", "")) for query in queries):
        return ANOMALY_BAND_METRICS
    return sum(1 for query in queries if "MetricStat" in query)


def _cloudwatch(region: _Region) -> Iterator[LineItem]:
    prices = region.prices
    alarms = region.per_stack("AWS::CloudWatch::Alarm")
    composites = region.per_stack("AWS::CloudWatch::CompositeAlarm")
    tracking = {
        stack: [p for p in policies if p.properties.get("PolicyType") == "TargetTrackingScaling"]
        for stack, policies in region.per_stack("AWS::ApplicationAutoScaling::ScalingPolicy").items()
    }
    for stack in dict.fromkeys([*alarms, *composites, *tracking]):
        scaling = TARGET_TRACKING_ALARMS * len(tracking.get(stack, []))
        metrics = sum(_alarm_metrics(alarm.properties) for alarm in alarms.get(stack, [])) + scaling
        composite = len(composites.get(stack, []))
        yield region.item(
            "CloudWatch alarms",
            f"{len(alarms.get(stack, [])) + scaling} alarms ({scaling} of target tracking) reading {metrics} metrics, "
            f"{composite} composite",
            metrics * prices.alarm_metric_month + composite * prices.composite_alarm_month,
            stack,
        )
    for stack, dashboards in region.per_stack("AWS::CloudWatch::Dashboard").items():
        yield region.item(
            "CloudWatch dashboards", f"{len(dashboards)}", len(dashboards) * prices.dashboard_month, stack
        )


def _recorded_resources(region: _Region) -> int:
    """The templates' AWS resources (custom resources are CloudFormation's, not AWS Config's)."""
    return sum(
        1
        for document in region.documents.values()
        for resource in document["Resources"].values()
        if resource["Type"].startswith("AWS::")
    )


def _governance(region: _Region) -> Iterator[LineItem]:
    """The Governance stack's services, priced on the account's activity (`governance: create`)."""
    prices, traffic, share = region.prices, region.traffic, region.traffic_share()
    resources = _recorded_resources(region)
    rules = len(region.resources("AWS::Config::ConfigRule"))
    for recorder in region.resources("AWS::Config::ConfigurationRecorder"):
        # Each item evaluated by every rule: an upper bound, a rule evaluates only the types in its scope.
        items = traffic.config_items_per_month
        if items is None or not region.serves:
            items = resources * traffic.config_items_per_resource_per_month
        yield region.item(
            "AWS Config",
            f"{items:,} configuration items, {rules} rules evaluating each",
            items * prices.config_item + items * rules * prices.config_rule_evaluation,
            recorder.stack,
            Kind.VARIABLE,
        )
    for hub in region.resources("AWS::SecurityHub::Hub"):
        checks = traffic.security_hub_checks_per_month
        if checks is None or not region.serves:
            checks = resources * traffic.checks_per_resource_per_month
        yield region.item(
            "Security Hub checks", f"{checks:,} checks", checks * prices.securityhub_check, hub.stack, Kind.VARIABLE
        )
    for detector in region.resources("AWS::GuardDuty::Detector"):
        features = {f.get("Name") for f in detector.properties.get("Features", []) if f.get("Status") == "ENABLED"}
        vcpus = running_tasks(region) * _task_size(region)[0] if region.resources("AWS::ECS::Service") else 0.0
        runtime = vcpus * prices.guardduty_fargate_vcpu_month if "RUNTIME_MONITORING" in features else 0.0
        events = traffic.management_events_per_month * share
        flow_gb = traffic.flow_log_gb_per_month * share
        yield region.item(
            "GuardDuty",
            f"{vcpus:g} Fargate vCPUs watched, {events:,.0f} management events, {flow_gb:g} GB of flow logs",
            runtime + events / 1e6 * prices.guardduty_million_management_events + flow_gb * prices.guardduty_log_gb,
            detector.stack,
            Kind.VARIABLE,
        )
    for trail in region.resources("AWS::CloudTrail::Trail"):
        events = traffic.management_events_per_month * share
        if traffic.first_trail:
            basis, usd = "the first copy of management events is free (--other-trail: a second copy)", 0.0
        else:
            basis = f"{events:,.0f} events, a second copy (another trail records them first)"
            usd = events / 1e5 * prices.cloudtrail_copy_100k_events
        yield region.item("CloudTrail management events", basis, usd, trail.stack, Kind.VARIABLE)


def _estimate(region: _Region) -> tuple[list[LineItem], dict[str, float]]:
    gb = log_group_gb(region)
    archived = stream_gb(region, gb)
    written = bucket_gb(region, archived)
    pricers: list[Callable[[], Iterator[LineItem]]] = [
        lambda: _network(region),
        lambda: _load_balancer(region),
        lambda: _waf(region),
        lambda: _fargate(region),
        lambda: _container_insights(region),
        lambda: _health_checks(region),
        lambda: _kms(region),
        lambda: _secrets(region),
        lambda: _logs(region, gb),
        lambda: _custom_metrics(region, gb),
        lambda: _firehose(region, archived),
        lambda: _s3(region, written),
        lambda: _replication(region, written),
        lambda: _dynamodb(region),
        lambda: _cloudwatch(region),
        lambda: _governance(region),
    ]
    items = [item for pricer in pricers for item in pricer()]
    return items, replication_out(region, written)


def _prices(region: str) -> PriceTable:
    prices = PRICES.get(region)
    if prices is None:
        raise CostError(f"no price table for region {region!r}; add one to ops/prices.py (have: {sorted(PRICES)})")
    return prices


def estimate(
    documents: Mapping[str, Mapping[str, Any]],
    region: str,
    traffic: TrafficAssumptions | None = None,
    *,
    serves: bool = True,
    replicated_in: Mapping[str, float] | None = None,
) -> list[LineItem]:
    """Line items of one region's monthly cost, in USD."""
    where = _Region(region, documents, _prices(region), traffic or TrafficAssumptions(), serves, replicated_in or {})
    return _estimate(where)[0]


def estimate_regions(
    regions: Sequence[tuple[str, Mapping[str, Mapping[str, Any]]]], traffic: TrafficAssumptions | None = None
) -> list[LineItem]:
    """A profile's line items over its regions: the primary serves the traffic, each standby idles and holds
    the replicas of the primary's audit buckets."""
    traffic = traffic or TrafficAssumptions()
    for name, _ in regions:
        _prices(name)
    (primary_name, primary_documents), *standbys = regions
    primary = _Region(primary_name, primary_documents, _prices(primary_name), traffic, serves=True)
    items, replicated = _estimate(primary)
    for name, documents in standbys:
        items += _estimate(_Region(name, documents, _prices(name), traffic, serves=False, replicated_in=replicated))[0]
    return items


def estimate_profiles(
    profiles: Mapping[str, Sequence[tuple[str, Mapping[str, Mapping[str, Any]]]]],
    traffic: TrafficAssumptions | None = None,
) -> tuple[dict[str, list[LineItem]], dict[str, str]]:
    """Each profile's line items over its regions, and why a profile could not be priced (a region without a
    price table: an adopter's new region is reported, not a failure of every other profile's estimate)."""
    estimates: dict[str, list[LineItem]] = {}
    unpriced: dict[str, str] = {}
    for name, regions in profiles.items():
        try:
            estimates[name] = estimate_regions(regions, traffic)
        except CostError as error:
            unpriced[name] = str(error)
    return estimates, unpriced


def total(items: Sequence[LineItem]) -> float:
    return sum(item.monthly_usd for item in items)


def resource_types(documents: Mapping[str, Mapping[str, Any]]) -> set[str]:
    """Every resource type the templates declare."""
    return {resource["Type"] for document in documents.values() for resource in document["Resources"].values()}


def unpriced_types(documents: Mapping[str, Mapping[str, Any]]) -> set[str]:
    """Resource types in the templates that are neither priced nor excluded with a reason."""
    return resource_types(documents) - PRICED - set(EXCLUDED)
