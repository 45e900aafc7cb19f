"""The cost estimate reads its counts from the synthesized templates."""

from __future__ import annotations

from typing import Any

import pytest

from ops.cost import (
    CostError,
    LineItem,
    TrafficAssumptions,
    estimate,
    estimate_regions,
    render_comparison,
    render_profile,
    total,
)
from ops.prices import HOURS_PER_MONTH, PRICES
from tests.conftest import ROOT, Synthesized, synthesize

US_EAST_1 = PRICES["us-east-1"]


def line(items: list[LineItem], name: str) -> float:
    (item,) = [i for i in items if i.item == name]
    return float(item.monthly_usd)


def test_nat_gateways_and_endpoints_scale_with_the_zones(dev: Synthesized, prod: Synthesized) -> None:
    traffic = TrafficAssumptions(nat_gb_per_month=0, endpoint_gb_per_month=0)
    for synthesized in (dev, prod):
        items = estimate(synthesized.documents, "us-east-1", traffic)
        zones = synthesized.config.az_count
        assert line(items, "NAT gateways") == pytest.approx(zones * HOURS_PER_MONTH * US_EAST_1.nat_gateway_hour)
        assert line(items, "Interface endpoints") == pytest.approx(
            7 * zones * HOURS_PER_MONTH * US_EAST_1.interface_endpoint_az_hour
        )


def test_fargate_runs_desired_tasks_of_the_configured_size_on_demand_at_base(dev: Synthesized) -> None:
    items = estimate(dev.documents, "us-east-1")
    task_hour = 0.5 * US_EAST_1.fargate_vcpu_hour_x86 + 1 * US_EAST_1.fargate_gb_hour_x86
    assert line(items, "Fargate on-demand") == pytest.approx(dev.config.desired_tasks * task_hour * HOURS_PER_MONTH)
    assert "Fargate Spot" not in {item.item for item in items}


def test_tasks_above_the_base_split_by_capacity_weights() -> None:
    scaled = synthesize("dev", {"config.desired_tasks": "4"})
    items = estimate(scaled.documents, "us-east-1")
    task_hour = 0.5 * US_EAST_1.fargate_vcpu_hour_x86 + 1 * US_EAST_1.fargate_gb_hour_x86
    # Base 2 on-demand; the 2 above it split 1:3 (on_demand_weight:spot_weight).
    assert line(items, "Fargate on-demand") == pytest.approx(2.5 * task_hour * HOURS_PER_MONTH)
    spot_hour = task_hour * (1 - US_EAST_1.fargate_spot_discount)
    assert line(items, "Fargate Spot") == pytest.approx(1.5 * spot_hour * HOURS_PER_MONTH)


def test_alarms_are_billed_per_metric_they_read(dev: Synthesized) -> None:
    items = estimate(dev.documents, "us-east-1")
    (alarms,) = [i for i in items if i.item == "CloudWatch alarms"]
    assert alarms.basis == "11 alarms reading 15 metrics, 1 composite"


def test_estimate_without_a_price_table_for_the_region_is_refused(dev: Synthesized) -> None:
    with pytest.raises(CostError, match="no price table for region 'eu-west-1'"):
        estimate(dev.documents, "eu-west-1")


def test_reports_state_prices_date_assumptions_and_compare_profiles(
    dev: Synthesized, staging: Synthesized, prod: Synthesized
) -> None:
    estimates = {s.config.name: estimate(s.documents, "us-east-1") for s in (dev, staging, prod)}
    report = render_profile("dev", "us-east-1", estimates["dev"], TrafficAssumptions())
    assert "list prices reviewed 2026-11-29" in report
    assert "10,000,000 requests a month" in report
    comparison = render_comparison(estimates)
    assert comparison.splitlines()[0].split()[-3:] == ["dev", "staging", "prod"]
    assert f"{total(estimates['prod']):.2f}" in comparison.splitlines()[-1]
    assert total(estimates["prod"]) > total(estimates["dev"])


def regions(synthesized: Synthesized) -> list[tuple[str, dict[str, Any]]]:
    found: list[tuple[str, dict[str, Any]]] = [(synthesized.config.region, synthesized.documents)]
    if synthesized.config.standby_region:
        found.append((synthesized.config.standby_region, synthesized.standby_documents))
    return found


def test_standby_region_is_priced_and_marked(prod: Synthesized) -> None:
    items = estimate_regions(regions(prod))
    standby = [item for item in items if item.item.startswith("Standby us-west-2: ")]
    assert standby
    # Pilot-light: no task runs in the standby region until failover.
    (fargate,) = [item for item in standby if item.item.endswith("Fargate on-demand")]
    assert fargate.monthly_usd == 0


def test_readme_cost_table_matches_the_estimate(dev: Synthesized, staging: Synthesized, prod: Synthesized) -> None:
    totals = [f"{total(estimate_regions(regions(s))):.2f}" for s in (dev, staging, prod)]
    assert f"| Total | {' | '.join(totals)} |" in (ROOT / "README.md").read_text()
