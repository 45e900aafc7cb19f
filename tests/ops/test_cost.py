"""The cost estimate reads its counts from the synthesized templates; its report is checked in every format."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from typing import Any

import jsonschema
import pytest

from components.endpoints import INTERFACE_ENDPOINTS
from ops.__main__ import main
from ops.commands import cost_report, mode_reports
from ops.container_insights import metric_count
from ops.cost import (
    DAYS_PER_MONTH,
    EXCLUDED,
    LCU_ACTIVE_CONNECTIONS_PER_MINUTE,
    LCU_NEW_CONNECTIONS_PER_SECOND,
    LEDGER_IDEMPOTENCY_ITEM_BYTES,
    LEDGER_PAYMENT_ITEM_BYTES,
    LEDGER_WRITE_UNITS_PER_PAYMENT,
    PRICED,
    REPLICATION_RULE_METRICS,
    SERVICE_EMF_METRICS,
    TARGET_TRACKING_ALARMS,
    CostError,
    Kind,
    LineItem,
    Scale,
    TrafficAssumptions,
    estimate,
    estimate_profiles,
    estimate_regions,
    storage_classes,
    total,
    unpriced_types,
)
from ops.cost_report import (
    SCHEMA,
    Report,
    budget_of,
    excluded_types,
    render_csv,
    render_markdown,
    render_modes,
    render_stacks_markdown,
    render_table,
    to_json,
)
from ops.cost_table import DR_NAME, DR_PROFILE, STACKS_NAME
from ops.prices import HOURS_PER_MONTH, PRICES, PriceTable
from settings.sections import CpuArchitecture
from tests.support.synthesized import ROOT, Synthesized, synthesize
from tooling.blocks import block


def line(items: list[LineItem], name: str, region: str | None = None) -> float:
    """A line's cost summed over the stacks it appears in (in one region, by default the first item's)."""
    region = region or items[0].region
    matching = [i for i in items if i.item == name and i.region == region]
    assert matching, f"no {name!r} line in {region}"
    return sum(i.monthly_usd for i in matching)


def priced(synthesized: Synthesized) -> bool:
    """Whether ops/prices.py has a table for every region the profile deploys to."""
    return {synthesized.config.region, synthesized.config.standby_region or synthesized.config.region} <= set(PRICES)


def regions(synthesized: Synthesized) -> list[tuple[str, dict[str, Any]]]:
    found: list[tuple[str, dict[str, Any]]] = [(synthesized.config.region, synthesized.documents)]
    if synthesized.config.standby_region:
        found.append((synthesized.config.standby_region, synthesized.standby_documents))
    return found


def report(synthesized: Synthesized, traffic: TrafficAssumptions | None = None) -> Report:
    traffic = traffic or TrafficAssumptions()
    where = regions(synthesized)
    return Report(
        profile=synthesized.name,
        regions=tuple(region for region, _ in where),
        items=tuple(estimate_regions(where, traffic)),
        traffic=traffic,
        budget_usd=budget_of(synthesized.documents),
        excluded_types=excluded_types(where),
    )


def task_hour(synthesized: Synthesized, region: str | None = None) -> float:
    """What one task of the profile's size and architecture costs an hour on demand (in its region)."""
    compute, prices = synthesized.config.compute, PRICES[region or synthesized.config.region]
    if compute.cpu_architecture is CpuArchitecture.ARM64:
        vcpu, gb = prices.fargate_vcpu_hour_arm, prices.fargate_gb_hour_arm
    else:
        vcpu, gb = prices.fargate_vcpu_hour_x86, prices.fargate_gb_hour_x86
    return compute.task_cpu / 1024 * vcpu + compute.task_memory_mib / 1024 * gb


def test_nat_gateways_and_endpoints_scale_with_the_zones(app_profiles: dict[str, Synthesized]) -> None:
    for synthesized in filter(priced, app_profiles.values()):
        prices = PRICES[synthesized.config.region]
        items = estimate(synthesized.documents, synthesized.config.region)
        zones = synthesized.config.network.az_count
        assert line(items, "NAT gateways") == pytest.approx(zones * HOURS_PER_MONTH * prices.nat_gateway_hour)
        assert line(items, "Interface endpoints") == pytest.approx(
            len(INTERFACE_ENDPOINTS) * zones * HOURS_PER_MONTH * prices.interface_endpoint_az_hour
        )


def fargate_lines(synthesized: Synthesized, tasks: int | None = None, region: str | None = None) -> tuple[float, float]:
    """(on-demand, Spot) monthly cost the profile's capacity strategy should give: `min_tasks` on demand,
    the tasks above it split by on_demand_weight:spot_weight."""
    compute = synthesized.config.compute
    above = (compute.desired_tasks if tasks is None else tasks) - compute.min_tasks
    weights = compute.on_demand_weight + compute.spot_weight
    month = task_hour(synthesized, region) * HOURS_PER_MONTH
    spot_discount = PRICES[region or synthesized.config.region].fargate_spot_discount
    on_demand = (compute.min_tasks + above * compute.on_demand_weight / weights) * month
    return on_demand, above * compute.spot_weight / weights * month * (1 - spot_discount)


def test_fargate_runs_desired_tasks_of_the_configured_size_and_architecture(
    app_profiles: dict[str, Synthesized],
) -> None:
    for synthesized in filter(priced, app_profiles.values()):
        items = estimate(synthesized.documents, synthesized.config.region)
        on_demand, spot = fargate_lines(synthesized)
        assert line(items, "Fargate on-demand") == pytest.approx(on_demand)
        if spot:
            assert line(items, "Fargate Spot") == pytest.approx(spot)
        else:
            assert "Fargate Spot" not in {item.item for item in items}


def test_at_max_the_serving_region_runs_max_tasks_and_guardduty_watches_them(adopted: Synthesized) -> None:
    """`--at max`: the scaling maximum all month, Spot split as the strategy says (the adopter has Spot)."""
    documents = adopted.documents
    compute = adopted.config.compute
    at_max = estimate(documents, "us-east-1", TrafficAssumptions(scale=Scale.MAX))
    on_demand, spot = fargate_lines(adopted, compute.max_tasks, "us-east-1")
    assert spot > 0
    assert (line(at_max, "Fargate on-demand"), line(at_max, "Fargate Spot")) == pytest.approx((on_demand, spot))
    desired = estimate(documents, "us-east-1")
    assert line(at_max, "GuardDuty") > line(desired, "GuardDuty")


def test_tasks_above_the_base_split_by_capacity_weights(app_profiles: dict[str, Synthesized]) -> None:
    synthesized = next(filter(priced, app_profiles.values()), None)
    if synthesized is None:
        pytest.skip("no profile in a region with a price table")
    compute = synthesized.config.compute
    scaled = synthesize(
        synthesized.name,
        {"config.desired_tasks": str(compute.min_tasks + 2), "config.max_tasks": str(compute.max_tasks + 2)},
    )
    items = estimate(scaled.documents, synthesized.config.region)
    on_demand, spot = fargate_lines(scaled)
    assert spot > 0
    assert (line(items, "Fargate on-demand"), line(items, "Fargate Spot")) == pytest.approx((on_demand, spot))


def test_alarms_are_billed_per_metric_they_read(dev: Synthesized) -> None:
    items = [i for i in estimate(dev.documents, "us-east-1") if i.item == "CloudWatch alarms"]
    prices = PRICES["us-east-1"]
    # The log volume's anomaly alarm counts as three (its metric and the two bounds of its band); the change guard's
    # two FailedInvocations alarms read 10 and 1 rules; the three target tracking policies make two alarms each.
    assert sum(i.monthly_usd for i in items) == pytest.approx(
        (36 + 3 * TARGET_TRACKING_ALARMS) * prices.alarm_metric_month + prices.composite_alarm_month
    )
    assert {i.stack for i in items} <= {"Compute", "Observability"}


def test_estimate_without_a_price_table_for_the_region_is_refused(dev: Synthesized) -> None:
    unpriced = next(region for region in ("eu-central-2", "ap-south-2", "me-central-1") if region not in PRICES)
    with pytest.raises(CostError, match=f"no price table for region {unpriced!r}"):
        estimate(dev.documents, unpriced)


def test_the_load_balancer_is_billed_on_its_busiest_capacity_dimension(dev: Synthesized) -> None:
    """10 M requests a month, each on a new connection: 3.8 a second, 0.15 LCU of new connections, not 1."""
    prices = PRICES["us-east-1"]
    traffic = TrafficAssumptions()
    lcus = traffic.requests_per_second() / LCU_NEW_CONNECTIONS_PER_SECOND
    assert lcus == pytest.approx(0.152, abs=0.001)
    items = estimate(dev.documents, "us-east-1", traffic)
    assert line(items, "ALB capacity units") == pytest.approx(lcus * HOURS_PER_MONTH * prices.alb_lcu_hour)
    # Keep-alive: 100 requests a connection leaves processed bytes the busiest dimension.
    reused = TrafficAssumptions(requests_per_connection=100)
    gb_per_hour = traffic.requests_per_second() * 3600 * traffic.bytes_per_request / 1e9
    reused_items = estimate(dev.documents, "us-east-1", reused)
    assert line(reused_items, "ALB capacity units") == pytest.approx(
        gb_per_hour * HOURS_PER_MONTH * prices.alb_lcu_hour
    )
    (basis,) = [i.basis for i in reused_items if i.item == "ALB capacity units"]
    assert "processed bytes" in basis


def test_the_load_balancer_counts_connections_open_at_once(dev: Synthesized) -> None:
    """AWS's example: one new connection a second, each open 2 minutes, is 120 active connections."""
    prices = PRICES["us-east-1"]
    long_lived = TrafficAssumptions(connection_seconds=3000)
    new = long_lived.requests_per_second()
    items = estimate(dev.documents, "us-east-1", long_lived)
    assert line(items, "ALB capacity units") == pytest.approx(
        new * 3000 / LCU_ACTIVE_CONNECTIONS_PER_MINUTE * HOURS_PER_MONTH * prices.alb_lcu_hour
    )
    (basis,) = [i.basis for i in items if i.item == "ALB capacity units"]
    assert "(active connections)" in basis


def test_container_insights_counts_the_metrics_its_tasks_and_containers_publish(
    app_profiles: dict[str, Synthesized],
) -> None:
    """Enhanced observability: per task and per container (GuardDuty's agent is a container of every task)."""
    # One task of two containers, one with a health check: 7 container metrics x 9 streams, 16 task metrics x 5,
    # 5 service and 2 cluster metrics, and the health metric's 5.
    assert metric_count(1, 2, 1) == 7 * 9 + 16 * 5 + 5 + 2 + 5
    assert metric_count(3, 2, 1) == 279
    assert metric_count(0, 2, 1) == 0
    prod = app_profiles["prod"]
    items = estimate_regions(regions(prod))
    containers = len(one_task(prod)["ContainerDefinitions"]) + 1
    expected = metric_count(prod.config.compute.desired_tasks, containers, 1) * PRICES["us-east-1"].custom_metric_month
    assert line(items, "Container Insights (enhanced)") == pytest.approx(expected)
    # The pilot-light standby runs no task: nothing is published.
    assert line(items, "Container Insights (enhanced)", str(prod.config.standby_region)) == 0


def one_task(synthesized: Synthesized) -> dict[str, Any]:
    task: dict[str, Any]
    (task,) = [
        r["Properties"]
        for d in synthesized.documents.values()
        for r in d["Resources"].values()
        if r["Type"] == "AWS::ECS::TaskDefinition"
    ]
    return task


def test_audit_storage_follows_the_lifecycle_into_cheaper_classes() -> None:
    bucket = {
        "LifecycleConfiguration": {
            "Rules": [
                {
                    "Status": "Enabled",
                    "ExpirationInDays": 400,
                    "Transitions": [
                        {"StorageClass": "STANDARD_IA", "TransitionInDays": 30},
                        {"StorageClass": "GLACIER_IR", "TransitionInDays": 90},
                    ],
                }
            ]
        }
    }
    year = storage_classes(bucket, 10.0, 12)
    assert year["STANDARD"] == pytest.approx(10 * 30 / DAYS_PER_MONTH)
    assert year["STANDARD_IA"] == pytest.approx(10 * 60 / DAYS_PER_MONTH)
    assert year["GLACIER_IR"] == pytest.approx(10 * (365 - 90) / DAYS_PER_MONTH)
    # After the expiry nothing more accumulates: 400 days of data at most.
    assert sum(storage_classes(bucket, 10.0, 36).values()) == pytest.approx(10 * 400 / DAYS_PER_MONTH)
    # Versioned (every audit bucket): the expiry leaves a delete marker, the data stays noncurrent, in its last class,
    # until the noncurrent versions expire 400 days later.
    versioned = {
        **bucket,
        "VersioningConfiguration": {"Status": "Enabled"},
        "LifecycleConfiguration": {
            "Rules": [
                {**bucket["LifecycleConfiguration"]["Rules"][0], "NoncurrentVersionExpiration": {"NoncurrentDays": 400}}
            ]
        },
    }
    kept = storage_classes(versioned, 10.0, 36)
    assert sum(kept.values()) == pytest.approx(10 * 800 / DAYS_PER_MONTH)
    assert kept["GLACIER_IR"] == pytest.approx(10 * (800 - 90) / DAYS_PER_MONTH)
    # Versioned without a noncurrent expiry: kept for ever.
    assert sum(storage_classes({**bucket, "VersioningConfiguration": {"Status": "Enabled"}}, 10.0, 36).values()) == (
        pytest.approx(10 * 36 * 365 / 12 / DAYS_PER_MONTH)
    )
    # No lifecycle: everything stays in Standard.
    assert storage_classes({}, 10.0, 12) == {"STANDARD": pytest.approx(120.0)}
    deep = {"LifecycleConfiguration": {"Rules": [{"Status": "Enabled", "Transitions": [
        {"StorageClass": "DEEP_ARCHIVE", "TransitionInDays": 180}]}]}}  # fmt: skip
    with pytest.raises(CostError, match="no price for S3 storage class 'DEEP_ARCHIVE'"):
        storage_classes(deep, 10.0, 12)


def test_the_standby_is_priced_idle_and_holds_the_replicas(app_profiles: dict[str, Synthesized]) -> None:
    with_standby = [s for s in app_profiles.values() if s.config.standby_region and priced(s)]
    assert with_standby, "no app profile with a standby region to price"
    for synthesized in with_standby:
        items = estimate_regions(regions(synthesized))
        standby = str(synthesized.config.standby_region)
        idle = (
            *("ALB capacity units", "AWS WAF requests", "NAT gateway data", "Interface endpoint data"),
            *("CloudWatch Logs", "Firehose log archive", "DynamoDB ledger writes", "VPC flow log delivery"),
        )
        for name in idle:
            assert line(items, name, standby) == 0, name
        # The replication rules' metrics (S3 RTC needs them): four each, billed as custom metrics.
        rules = sum(
            len(r["Properties"].get("ReplicationConfiguration", {}).get("Rules", []))
            for d in synthesized.documents.values()
            for r in d["Resources"].values()
            if r["Type"] == "AWS::S3::Bucket"
        )
        assert line(items, "S3 replication metrics") == pytest.approx(
            rules * REPLICATION_RULE_METRICS * PRICES[synthesized.config.region].custom_metric_month
        )
        # The standby keeps the primary's audit trail: it receives every replicated GB.
        replicated = [i for i in items if i.item == "S3 cross-region replication"]
        assert replicated
        assert all(i.region == synthesized.config.region for i in replicated)
        assert line(items, "S3 audit storage", standby) > 0
        assert line(items, "S3 audit storage", standby) == pytest.approx(
            line(items, "S3 audit storage", synthesized.config.region), rel=0.1
        )


def test_the_standby_costs_more_as_it_runs_more(modes: dict[str, Report]) -> None:
    standby = {mode: r.by_region()[1][2] for mode, r in modes.items()}
    fargate = {
        mode: sum(i.monthly_usd for i in r.items if i.region == r.regions[1] and "Fargate" in i.item)
        for mode, r in modes.items()
    }
    assert fargate["pilot-light"] == 0 < fargate["warm"] <= fargate["hot"]
    assert standby["pilot-light"] < standby["warm"] <= standby["hot"]


def test_key_rotation_adds_to_the_first_two_rotations_only(dev: Synthesized) -> None:
    keys = sum(1 for d in dev.documents.values() for r in d["Resources"].values() if r["Type"] == "AWS::KMS::Key")
    price = PRICES["us-east-1"].kms_rotation_month
    for months, rotations in ((6, 0), (12, 1), (24, 2), (60, 2)):
        items = estimate(dev.documents, "us-east-1", TrafficAssumptions(months_in_service=months))
        found = sum(i.monthly_usd for i in items if i.item == "KMS key rotations")
        assert found == pytest.approx(keys * rotations * price), months


def test_the_ledger_figures_are_the_service_s_own_items() -> None:
    """The write units and stored bytes priced per payment, measured from the service's DynamoDB items."""
    from payments_service.ledger import DynamoDbLedger, new_payment
    from payments_service.payment_request import parse_payment

    def size(item: dict[str, dict[str, str]]) -> int:
        """DynamoDB's item size: attribute names and values (strings in UTF-8, numbers ~1 byte per 2 digits)."""
        total_bytes = 0
        for name, value in item.items():
            ((kind, text),) = value.items()
            digits = len(text.lstrip("-").replace(".", "").strip("0"))
            total_bytes += len(name.encode()) + (len(text.encode()) if kind == "S" else (digits + 1) // 2 + 1)
        return total_bytes

    def items(key: str, subject: str) -> list[int]:
        request = parse_payment(f'{{"amount": "123456.78", "currency": "EUR", "idempotency_key": "{key}"}}'.encode())
        body = new_payment(subject, request, 1_800_000_000.0)
        record = {"pk": {"S": f"IDEMPOTENCY#{'0' * 32}#{key}"}}
        puts = DynamoDbLedger("ledger", 86400, client=object())._items(record, subject, request, body, 1.8e9)
        return [size(put["Put"]["Item"]) for put in puts]

    subject = "CN=client.example.com,O=Example Payments Ltd,C=GB"
    idempotency, payment = items("k" * 64, subject)
    assert (idempotency + 100, payment + 100) == (LEDGER_IDEMPOTENCY_ITEM_BYTES, LEDGER_PAYMENT_ITEM_BYTES)
    # Two puts in one transaction, each under 1 KB at the longest key: 2 write units each.
    assert max(items("k" * 128, subject)) < 1024
    assert LEDGER_WRITE_UNITS_PER_PAYMENT == 2 * 2


def test_the_service_s_emf_metrics_are_the_ones_priced() -> None:
    from payments_service.telemetry import Telemetry

    stream = io.StringIO()
    Telemetry(service="s", environment="e", namespace="n", stream=stream).payment_metrics(
        accepted=True, amount=1.0, latency_ms=1.0, reason=None, request_id="r"
    )
    (directive,) = json.loads(stream.getvalue())["_aws"]["CloudWatchMetrics"]
    assert len(directive["Metrics"]) * len(directive["Dimensions"]) == SERVICE_EMF_METRICS


def test_the_governance_stack_is_priced_where_it_is_created(adopted: Synthesized, dev: Synthesized) -> None:
    governed = estimate(adopted.documents, "us-east-1")
    for name in ("AWS Config", "Security Hub checks", "GuardDuty"):
        assert line(governed, name) > 0, name
        assert {i.stack for i in governed if i.item == name} == {"Governance"}
    # Another trail already recording the account's management events makes this one a paid copy.
    assert line(governed, "CloudTrail management events") == 0
    copied = estimate(adopted.documents, "us-east-1", TrafficAssumptions(first_trail=False))
    assert line(copied, "CloudTrail management events") == pytest.approx(
        TrafficAssumptions().management_events_per_month / 1e5 * PRICES["us-east-1"].cloudtrail_copy_100k_events
    )
    measured = estimate(
        adopted.documents, "us-east-1", TrafficAssumptions(config_items_per_month=5000, security_hub_checks_per_month=0)
    )
    assert line(measured, "Security Hub checks") == 0
    (config,) = [i for i in measured if i.item == "AWS Config"]
    assert config.basis.startswith("5,000 configuration items")
    trail_logs = [i for i in governed if i.item == "CloudWatch Logs" and i.stack == "Governance"]
    assert trail_logs
    assert trail_logs[0].monthly_usd > 0
    assert not {"AWS Config", "Security Hub checks", "GuardDuty"} & {
        i.item for i in estimate(dev.documents, "us-east-1")
    }


def variants(every_profile: dict[str, Synthesized]) -> list[dict[str, Any]]:
    return [s.every_document for s in every_profile.values()]


def test_every_resource_type_is_priced_or_excluded_with_a_reason(every_profile: dict[str, Synthesized]) -> None:
    """Every profile (the adopter's has the egress firewall, mutual TLS and `governance: create`)."""
    assert not PRICED & set(EXCLUDED)
    assert all(reason.strip() for reason in EXCLUDED.values())
    for documents in variants(every_profile):
        assert unpriced_types(documents) == set(), "price it in ops/cost.py or add it to EXCLUDED with a reason"
    seen = {
        r["Type"] for documents in variants(every_profile) for d in documents.values() for r in d["Resources"].values()
    }
    # A new type is caught, not priced at zero.
    assert unpriced_types({"New": {"Resources": {"Q": {"Type": "AWS::RDS::DBInstance"}}}}) == {"AWS::RDS::DBInstance"}
    assert PRICED - seen <= {"AWS::ElasticLoadBalancingV2::ListenerRule"}, "priced types no profile declares"


def test_the_json_report_validates_against_the_schema_and_adds_up(app_profiles: dict[str, Synthesized]) -> None:
    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    for synthesized in filter(priced, app_profiles.values()):
        document = to_json(report(synthesized))
        jsonschema.Draft202012Validator(schema).validate(document)
        items = document["line_items"]
        assert document["total_usd"] == pytest.approx(sum(i["monthly_usd"] for i in items), abs=0.01 * len(items))
        subtotals = document["subtotals"]
        assert subtotals["fixed_usd"] + subtotals["variable_usd"] == pytest.approx(document["total_usd"], abs=0.02)
        assert sum(r["monthly_usd"] for r in subtotals["regions"]) == pytest.approx(document["total_usd"], abs=0.02)
        assert document["budget"]["monthly_usd"] == synthesized.config.alerting.monthly_budget_usd
    broken = to_json(report(next(filter(priced, app_profiles.values())))) | {"total_usd": "a lot"}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)


def test_csv_and_table_carry_the_same_lines_and_the_subtotals(dev: Synthesized) -> None:
    estimated = report(dev)
    rows = list(csv.DictReader(io.StringIO(render_csv(estimated))))
    assert [(r["stack"], r["item"], float(r["monthly_usd"])) for r in rows] == [
        (i.stack, i.item, round(i.monthly_usd, 2)) for i in estimated.items
    ]
    table = render_table(estimated)
    for stack in {i.stack for i in estimated.items}:
        assert any(lines.split()[1:2] == [stack] for lines in table.splitlines() if lines.startswith("  us-"))
    kinds = estimated.by_kind()
    assert f"{kinds[Kind.FIXED]:.2f}" in table
    assert f"{kinds[Kind.VARIABLE]:.2f}" in table
    headroom = estimated.headroom()
    assert headroom is not None
    assert f"headroom {headroom:,.2f} USD" in table
    assert f"list prices: us-east-1 reviewed {PRICES['us-east-1'].reviewed}" in table


def test_reports_compare_profiles_and_name_the_unpriced(every_profile: dict[str, Synthesized]) -> None:
    trial = {name: regions(s) for name, s in every_profile.items()}
    trial["elsewhere"] = [("eu-central-2", next(iter(every_profile.values())).documents)]
    estimates, unpriced = estimate_profiles(trial)
    assert set(estimates) | set(unpriced) == set(trial)
    assert unpriced["elsewhere"].startswith("no price table for region 'eu-central-2'")
    reports = {name: report(s) for name, s in every_profile.items() if priced(s)}
    table = render_markdown(reports, unpriced)
    assert "- `elsewhere` is not estimated: no price table for region 'eu-central-2'" in table
    assert "| **Total** | " + " | ".join(f"**{r.total:.2f}**" for r in reports.values()) + " |" in table


def test_the_standby_region_s_prices_name_what_was_not_checked_for_it() -> None:
    fields = {f.name for f in dataclasses.fields(PriceTable)}
    for table in PRICES.values():
        assert set(table.assumed) <= fields
        assert bool(table.assumed) == bool(table.assumed_from)
        assert table.assumed_from in ("", *PRICES)
    assert "logs_ingest_gb" in PRICES["us-west-2"].assumed


@pytest.mark.parametrize("zones", [2, 3])
def test_the_egress_firewall_costs_its_endpoint_hours_and_the_traffic_through_it(dev: Synthesized, zones: int) -> None:
    firewalls = {
        f"Firewall{n}": {"Type": "AWS::NetworkFirewall::Firewall", "Properties": {"SubnetMappings": [{"SubnetId": n}]}}
        for n in range(zones)
    }
    plain = estimate(dev.documents, "us-east-1")
    firewalled = estimate({**dev.documents, "Egress": {"Resources": firewalls}}, "us-east-1")
    prices, traffic = PRICES["us-east-1"], TrafficAssumptions()
    hours = zones * HOURS_PER_MONTH * prices.network_firewall_endpoint_hour
    data = traffic.nat_gb_per_month * prices.network_firewall_gb
    assert line(firewalled, "Network Firewall (egress allow-list)") == pytest.approx(hours)
    assert line(firewalled, "Network Firewall data") == pytest.approx(data)
    assert total(firewalled) - total(plain) == pytest.approx(hours + data)
    # The README's figure for profiles that set processor_hosts.
    assert f"{hours + data:,.2f}" in " ".join((ROOT / "README.md").read_text().split())


@pytest.fixture(scope="module")
def modes() -> dict[str, Report]:
    """prod's estimate with each disaster-recovery mode, each synthesized as that mode (about 1 s each)."""
    return mode_reports(DR_PROFILE, TrafficAssumptions())


def test_readme_cost_tables_are_current(app_profiles: dict[str, Synthesized], modes: dict[str, Report]) -> None:
    readme = (ROOT / "README.md").read_text()
    reports = {name: report(s) for name, s in app_profiles.items() if priced(s)}
    unpriced = {name: "" for name, s in app_profiles.items() if not priced(s)}
    stale = "run `make cost-table` and commit README.md"
    assert not unpriced, "an app profile outside the priced regions: the README's tables would name it"
    assert block(readme, "cost") == render_markdown(reports, {}), stale
    assert block(readme, STACKS_NAME) == render_stacks_markdown(reports), stale
    assert block(readme, DR_NAME) == render_modes(DR_PROFILE, modes), stale


# ---- the command: formats, options, budget, overrides --------------------------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        (["--requests-per-month", "-1"], "--requests-per-month: '-1' is not a whole number from 0 to"),
        (["--requests-per-month", "1.5"], "--requests-per-month: '1.5' is not a whole number"),
        (["--requests-per-month", "lots"], "--requests-per-month: 'lots' is not a whole number"),
        (["--requests-per-month", "1e13"], "--requests-per-month: '1e13' is not a whole number"),
        (["--requests-per-month", "10000000000000"], "--requests-per-month: '10000000000000' is not a whole number"),
        (["--nat-gb", "nan"], "--nat-gb: 'nan' is not a number from 0 to 10,000,000"),
        (["--endpoint-gb", "inf"], "--endpoint-gb: 'inf' is not a number"),
        (["--flow-log-gb", "-0.5"], "--flow-log-gb: '-0.5' is not a number"),
        (["--bytes-per-request", "0"], "--bytes-per-request: '0' is not a whole number from 1 to"),
        (["--requests-per-connection", "0"], "--requests-per-connection: '0' is not a whole number from 1"),
        (["--management-events", ""], "--management-events: '' is not a whole number"),
        (["--months", "0"], "--months: '0' is not a whole number from 1 to 120"),
        (["--months", "121"], "--months: '121' is not a whole number from 1 to 120"),
        # ASCII digits only: int() and float() would take these.
        (["--requests-per-month", "10_000"], "--requests-per-month: '10_000' is not a whole number"),
        (["--requests-per-month", "\uff15"], "--requests-per-month: '\uff15' is not a whole number"),
        (["--requests-per-month", "+5"], "--requests-per-month: '+5' is not a whole number"),
        (["--nat-gb", " 5"], "--nat-gb: ' 5' is not a number"),
        (["--nat-gb", "1e3"], "--nat-gb: '1e3' is not a number"),
        (["--config-items", "-1"], "--config-items: '-1' is not a whole number from 0 to"),
    ],
)
def test_bad_cost_options_exit_2_naming_the_option_before_any_synth(
    arguments: list[str], error: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["cost", "--env", "dev", *arguments]) == 2
    captured = capsys.readouterr()
    assert f"error: {error}" in captured.err
    assert len(captured.err.splitlines()) == 1
    assert captured.out == ""


@pytest.mark.parametrize("arguments", [["--format", "xml"], ["--at", "min"]])
def test_a_format_or_scenario_not_offered_is_a_usage_mistake(
    arguments: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["cost", "--env", "dev", *arguments])
    assert exited.value.code == 2
    assert f"invalid choice: '{arguments[1]}'" in capsys.readouterr().err


def test_json_output_honours_overrides_and_options_and_exits_1_over_budget(capsys: pytest.CaptureFixture[str]) -> None:
    """An override changes the estimate as it changes the deployment: here, the budget it is compared with."""
    arguments = ["--format", "json", "--requests-per-month", "20000000", "-c", "config.monthly_budget_usd=10"]
    assert main(["cost", "--env", "dev", *arguments]) == 1
    captured = capsys.readouterr()
    document = json.loads(captured.out)
    jsonschema.validate(document, json.loads(SCHEMA.read_text()))
    waf = [i for i in document["line_items"] if i["item"] == "AWS WAF requests"]
    assert waf[0]["monthly_usd"] == pytest.approx(20 * PRICES["us-east-1"].waf_million_requests)
    assert document["budget"]["monthly_usd"] == 10
    assert document["budget"]["headroom_usd"] < 0
    assert "tagged" in document["budget_scope"]
    assert "error: dev: the estimate exceeds monthly_budget_usd (10 USD)" in captured.err


def test_the_estimate_follows_an_override_of_the_deployment(dev: Synthesized) -> None:
    base = report(dev)
    bigger = cost_report("dev", TrafficAssumptions(), {"config.task_cpu": "1024", "config.task_memory_mib": "2048"})
    assert line(list(bigger.items), "Fargate on-demand") > line(list(base.items), "Fargate on-demand")
    assert bigger.total - base.total == pytest.approx(
        line(list(bigger.items), "Fargate on-demand") - line(list(base.items), "Fargate on-demand")
    )


# Figures worked out by hand from ops/prices.py's us-east-1 table and the profiles, at the default traffic: what the
# formulas above must keep giving (an independent check of them, not their arithmetic again).
BY_HAND = {
    "dev": {
        "NAT gateways": 65.70,  # 2 x 730 h x 0.045
        "Interface endpoints": 58.40,  # 4 endpoints x 2 zones x 730 h x 0.01
        "Fargate on-demand": 36.04,  # 2 tasks x (0.5 x 0.04048 + 1 x 0.004445) x 730 h
        "ALB capacity units": 0.89,  # 10 M / 2,628,000 s / 25 new connections = 0.152 LCU x 730 h x 0.008
        "CloudWatch Logs": 12.95,  # 22 GB x 0.50 in + (22 GB x 90 d / 30.42 d) x 0.03 kept
        "DynamoDB ledger writes": 25.00,  # 10 M payments x 4 write units x 0.625 per million
        "Container Insights (enhanced)": 65.10,  # 217 metrics (2 tasks, 2 containers) x 0.30
    },
    "prod": {
        "Interface endpoints": 87.60,  # 4 endpoints x 3 zones x 730 h x 0.01
        "Fargate on-demand": 54.06,  # 3 tasks
        "S3 cross-region replication": 1.33,  # 38 GB x (0.02 + 0.015)
        "S3 replication metrics": 4.80,  # 4 rules x 4 metrics x 0.30
        "Container Insights (enhanced)": 83.70,  # 279 metrics (3 tasks, 2 containers) x 0.30
    },
}


@pytest.mark.parametrize("name", list(BY_HAND))
def test_the_estimate_matches_figures_worked_out_by_hand(name: str, app_profiles: dict[str, Synthesized]) -> None:
    items = estimate(app_profiles[name].documents, "us-east-1")
    for item, usd in BY_HAND[name].items():
        assert round(line(items, item), 2) == usd, item
