"""Monthly cost estimate of a profile, computed from its synthesized templates.

Every count (NAT gateways, endpoint ENIs, alarms, task size, capacity split, ...) is read from the
templates, so the estimate follows the code; traffic-dependent lines use the stated assumptions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ops.prices import HOURS_PER_MONTH, PRICES, PriceTable


class CostError(ValueError):
    """The estimate cannot be made (for example, no price table for the region)."""


@dataclass(frozen=True)
class TrafficAssumptions:
    """Steady-state traffic the traffic-dependent lines assume. State them with every estimate."""

    requests_per_month: int = 10_000_000
    # One JSON request line and, for payments, one EMF line: ~700 bytes per request.
    app_log_bytes_per_request: int = 700
    # A WAF log record (headers included) is ~1.5 KB.
    waf_log_bytes_per_request: int = 1500
    alb_average_lcus: float = 1.0
    nat_gb_per_month: float = 20.0
    endpoint_gb_per_month: float = 50.0
    flow_log_gb_per_month: float = 10.0

    def describe(self) -> list[str]:
        return [
            f"{self.requests_per_month:,} requests a month",
            f"{self.app_log_bytes_per_request} B of app log and {self.waf_log_bytes_per_request} B of WAF log "
            "per request",
            f"{self.alb_average_lcus} ALB LCU on average",
            f"{self.nat_gb_per_month} GB through NAT, {self.endpoint_gb_per_month} GB through interface endpoints, "
            f"{self.flow_log_gb_per_month} GB of flow logs a month",
            "tasks at desired_tasks all month (no scale-out), Spot at the table's discount",
            "excluded: data transfer out, Container Insights, Route 53 queries, free tiers, and with `governance: "
            "create` the usage-priced services of the Governance stack (AWS Config items and rule evaluations, "
            "Security Hub checks, GuardDuty, the trail's events in CloudWatch Logs), which follow the account's "
            "activity, not this app's traffic",
        ]


@dataclass(frozen=True)
class LineItem:
    item: str
    basis: str
    monthly_usd: float


def _resources(documents: Mapping[str, Mapping[str, Any]], resource_type: str) -> list[dict[str, Any]]:
    return [
        resource.get("Properties", {})
        for document in documents.values()
        for resource in document["Resources"].values()
        if resource["Type"] == resource_type
    ]


# An anomaly detection alarm is billed as three metrics: the metric and the two bounds of its band.
ANOMALY_BAND_METRICS = 3


def _alarm_metrics(alarm: Mapping[str, Any]) -> int:
    """CloudWatch bills an alarm per metric it reads."""
    if "MetricName" in alarm:
        return 1
    queries = alarm.get("Metrics", [])
    if any("ANOMALY_DETECTION_BAND" in str(query.get("Expression", "")) for query in queries):
        return ANOMALY_BAND_METRICS
    return sum(1 for query in queries if "MetricStat" in query)


def _fargate(documents: Mapping[str, Mapping[str, Any]], prices: PriceTable) -> list[LineItem]:
    items = []
    (task,) = _resources(documents, "AWS::ECS::TaskDefinition")
    (service,) = _resources(documents, "AWS::ECS::Service")
    vcpu, memory_gb = int(task["Cpu"]) / 1024, int(task["Memory"]) / 1024
    arm = task.get("RuntimePlatform", {}).get("CpuArchitecture") == "ARM64"
    vcpu_price = prices.fargate_vcpu_hour_arm if arm else prices.fargate_vcpu_hour_x86
    gb_price = prices.fargate_gb_hour_arm if arm else prices.fargate_gb_hour_x86
    task_hour = vcpu * vcpu_price + memory_gb * gb_price
    desired = int(service["DesiredCount"])
    strategy = {s["CapacityProvider"]: s for s in service["CapacityProviderStrategy"]}
    base = int(strategy["FARGATE"].get("Base", 0))
    on_demand_weight = int(strategy["FARGATE"].get("Weight", 0))
    spot_weight = int(strategy.get("FARGATE_SPOT", {}).get("Weight", 0))
    above_base = max(desired - base, 0)
    share = on_demand_weight / (on_demand_weight + spot_weight) if on_demand_weight + spot_weight else 1.0
    on_demand = min(desired, base) + above_base * share
    spot = above_base * (1 - share)
    size = f"{vcpu:g} vCPU / {memory_gb:g} GB {'ARM64' if arm else 'x86_64'}"
    items.append(
        LineItem("Fargate on-demand", f"{on_demand:g} tasks of {size}", on_demand * task_hour * HOURS_PER_MONTH)
    )
    if spot:
        spot_hour = task_hour * (1 - prices.fargate_spot_discount)
        items.append(LineItem("Fargate Spot", f"{spot:g} tasks of {size}", spot * spot_hour * HOURS_PER_MONTH))
    return items


def estimate(
    documents: Mapping[str, Mapping[str, Any]], region: str, traffic: TrafficAssumptions | None = None
) -> list[LineItem]:
    """Line items of one profile's monthly cost, in USD."""
    prices = PRICES.get(region)
    if prices is None:
        raise CostError(f"no price table for region {region!r}; add one to ops/prices.py (have: {sorted(PRICES)})")
    traffic = traffic or TrafficAssumptions()
    hours = HOURS_PER_MONTH
    items: list[LineItem] = []

    nat = len(_resources(documents, "AWS::EC2::NatGateway"))
    items.append(
        LineItem(
            "NAT gateways",
            f"{nat} x {hours} h + {traffic.nat_gb_per_month} GB",
            nat * hours * prices.nat_gateway_hour + traffic.nat_gb_per_month * prices.nat_gateway_gb,
        )
    )
    firewall_endpoints = sum(
        len(firewall.get("SubnetMappings", [])) for firewall in _resources(documents, "AWS::NetworkFirewall::Firewall")
    )
    if firewall_endpoints:
        # Everything through NAT crosses a firewall first. AWS waives NAT gateway charges for traffic that a firewall
        # charged for; not deducted above: the waiver's terms could not be checked here (an upper bound).
        items.append(
            LineItem(
                "Network Firewall (egress allow-list)",
                f"{firewall_endpoints} endpoints x {hours} h + {traffic.nat_gb_per_month} GB",
                firewall_endpoints * hours * prices.network_firewall_endpoint_hour
                + traffic.nat_gb_per_month * prices.network_firewall_gb,
            )
        )
    interface = [e for e in _resources(documents, "AWS::EC2::VPCEndpoint") if e.get("VpcEndpointType") == "Interface"]
    enis = sum(len(e.get("SubnetIds", [])) for e in interface)
    items.append(
        LineItem(
            "Interface endpoints",
            f"{len(interface)} endpoints, {enis} zone-hours x {hours} h",
            enis * hours * prices.interface_endpoint_az_hour
            + traffic.endpoint_gb_per_month * prices.interface_endpoint_gb,
        )
    )
    albs = _resources(documents, "AWS::ElasticLoadBalancingV2::LoadBalancer")
    alb_ips = sum(len(alb.get("Subnets", [])) for alb in albs if alb.get("Scheme") == "internet-facing")
    items.append(
        LineItem(
            "Public IPv4 addresses", f"{nat} NAT + {alb_ips} ALB", (nat + alb_ips) * hours * prices.public_ipv4_hour
        )
    )
    items.append(
        LineItem(
            "Application Load Balancer",
            f"{len(albs)} x {hours} h, {traffic.alb_average_lcus} LCU",
            len(albs) * hours * (prices.alb_hour + traffic.alb_average_lcus * prices.alb_lcu_hour),
        )
    )
    acls = _resources(documents, "AWS::WAFv2::WebACL")
    rules = sum(len(acl.get("Rules", [])) for acl in acls)
    items.append(
        LineItem(
            "AWS WAF",
            f"{len(acls)} web ACL, {rules} rules, {traffic.requests_per_month:,} requests",
            len(acls) * prices.waf_web_acl_month
            + rules * prices.waf_rule_month
            + traffic.requests_per_month / 1e6 * prices.waf_million_requests,
        )
    )
    items += _fargate(documents, prices)
    keys = len(_resources(documents, "AWS::KMS::Key"))
    items.append(LineItem("KMS keys", f"{keys} customer-managed keys", keys * prices.kms_key_month))
    alarms = _resources(documents, "AWS::CloudWatch::Alarm")
    metrics = sum(_alarm_metrics(alarm) for alarm in alarms)
    composites = len(_resources(documents, "AWS::CloudWatch::CompositeAlarm"))
    items.append(
        LineItem(
            "CloudWatch alarms",
            f"{len(alarms)} alarms reading {metrics} metrics, {composites} composite",
            metrics * prices.alarm_metric_month + composites * prices.composite_alarm_month,
        )
    )
    dashboards = len(_resources(documents, "AWS::CloudWatch::Dashboard"))
    items.append(LineItem("CloudWatch dashboards", f"{dashboards}", dashboards * prices.dashboard_month))
    log_gb = traffic.requests_per_month * (traffic.app_log_bytes_per_request + traffic.waf_log_bytes_per_request) / 1e9
    retention = max((g.get("RetentionInDays", 0) for g in _resources(documents, "AWS::Logs::LogGroup")), default=0)
    stored_gb = log_gb * retention / 30
    items.append(
        LineItem(
            "CloudWatch Logs",
            f"{log_gb:.1f} GB/month in, ~{stored_gb:.0f} GB kept {retention} days",
            log_gb * prices.logs_ingest_gb + stored_gb * prices.logs_storage_gb_month,
        )
    )
    streams = len(_resources(documents, "AWS::KinesisFirehose::DeliveryStream"))
    archive_gb = log_gb if streams else 0.0
    items.append(LineItem("Firehose log archive", f"{archive_gb:.1f} GB/month", archive_gb * prices.firehose_gb))
    # A year of archive and flow logs in S3, before lifecycle tiering lowers it.
    s3_gb = 12 * (archive_gb + traffic.flow_log_gb_per_month)
    items.append(
        LineItem(
            "S3 audit storage", f"~{s3_gb:.0f} GB after a year (Standard price)", s3_gb * prices.s3_standard_gb_month
        )
    )
    secrets = len(_resources(documents, "AWS::SecretsManager::Secret"))
    items.append(LineItem("Secrets Manager", f"{secrets} secret", secrets * prices.secret_month))
    return items


def estimate_regions(
    regions: Sequence[tuple[str, Mapping[str, Mapping[str, Any]]]], traffic: TrafficAssumptions | None = None
) -> list[LineItem]:
    """A profile's line items over its regions: the primary first, then the standby's, marked as such.

    The traffic-dependent lines assume the primary serves the traffic; a standby's tasks, NAT and endpoints
    still cost what they cost while idle, and its traffic lines are counted too, as an upper bound.
    """
    items: list[LineItem] = []
    for index, (region, documents) in enumerate(regions):
        for item in estimate(documents, region, traffic):
            label = item.item if index == 0 else f"Standby {region}: {item.item}"
            items.append(LineItem(label, item.basis, item.monthly_usd))
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


def total(items: list[LineItem]) -> float:
    return sum(item.monthly_usd for item in items)


def render_profile(name: str, region: str, items: list[LineItem], traffic: TrafficAssumptions) -> str:
    prices = PRICES[region]
    width = max(len(item.item) for item in items)
    lines = [f"Monthly cost estimate: {name} ({region}, list prices reviewed {prices.reviewed})", ""]
    lines += [f"  {item.item:<{width}}  {item.monthly_usd:>9.2f} USD  {item.basis}" for item in items]
    lines += [f"  {'Total':<{width}}  {total(items):>9.2f} USD", "", "Assumptions:"]
    lines += [f"  - {assumption}" for assumption in traffic.describe()]
    return "\n".join(lines)


def render_comparison(estimates: Mapping[str, list[LineItem]]) -> str:
    names = list(estimates)
    rows = [item.item for item in next(iter(estimates.values()))]
    for items in estimates.values():
        rows += [item.item for item in items if item.item not in rows]
    width = max(len(row) for row in [*rows, "Total"])
    header = f"  {'USD per month':<{width}}" + "".join(f"  {name:>10}" for name in names)
    lines = [header]
    for row in rows:
        cells = [sum(i.monthly_usd for i in estimates[name] if i.item == row) for name in names]
        lines.append(f"  {row:<{width}}" + "".join(f"  {cell:>10.2f}" for cell in cells))
    lines.append(f"  {'Total':<{width}}" + "".join(f"  {total(estimates[name]):>10.2f}" for name in names))
    return "\n".join(lines)


def render_markdown(estimates: Mapping[str, list[LineItem]], unpriced: Mapping[str, str]) -> str:
    """The side-by-side comparison as a Markdown table (the README's generated cost block)."""
    names = list(estimates)
    rows: list[str] = []
    for items in estimates.values():
        rows += [item.item for item in items if item.item not in rows]
    lines = ["| USD per month | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]
    for row in rows:
        cells = [[i.monthly_usd for i in estimates[name] if i.item == row] for name in names]
        lines.append(f"| {row} | " + " | ".join(f"{sum(cell):.2f}" if cell else "—" for cell in cells) + " |")
    lines.append("| **Total** | " + " | ".join(f"**{total(estimates[name]):.2f}**" for name in names) + " |")
    lines += ["", *(f"- `{name}` is not estimated: {reason}" for name, reason in unpriced.items())]
    return "\n".join(lines).rstrip()


def render_modes(name: str, regions: Mapping[str, str], estimates: Mapping[str, list[LineItem]]) -> str:
    """One profile's monthly cost under each disaster-recovery mode (the README's generated DR cost block):
    the primary region, the standby region (its lines are marked `Standby`), and both."""
    modes = list(estimates)
    primary = {
        mode: total([i for i in items if not i.item.startswith("Standby ")]) for mode, items in estimates.items()
    }
    standby = {mode: total([i for i in items if i.item.startswith("Standby ")]) for mode, items in estimates.items()}
    lines = [
        f"| {name}, USD per month | " + " | ".join(f"`{mode}`" for mode in modes) + " |",
        "|---|" + "---:|" * len(modes),
    ]
    lines.append(f"| primary region ({regions['primary']}) | " + " | ".join(f"{primary[m]:.2f}" for m in modes) + " |")
    lines.append(f"| standby region ({regions['standby']}) | " + " | ".join(f"{standby[m]:.2f}" for m in modes) + " |")
    lines.append("| **Total** | " + " | ".join(f"**{primary[m] + standby[m]:.2f}**" for m in modes) + " |")
    return "\n".join(lines)
