"""The cost estimate reads its counts from the synthesized templates."""

from __future__ import annotations

from typing import Any

import pytest

from components.endpoints import INTERFACE_ENDPOINTS
from ops.commands import mode_estimates
from ops.cost import (
    CostError,
    LineItem,
    TrafficAssumptions,
    estimate,
    estimate_profiles,
    estimate_regions,
    render_comparison,
    render_markdown,
    render_modes,
    render_profile,
    total,
)
from ops.cost_table import DR_NAME, DR_PROFILE
from ops.prices import HOURS_PER_MONTH, PRICES
from settings.sections import CpuArchitecture
from tests.support.synthesized import ROOT, Synthesized, synthesize
from tooling.blocks import block


def line(items: list[LineItem], name: str) -> float:
    (item,) = [i for i in items if i.item == name]
    return float(item.monthly_usd)


def priced(synthesized: Synthesized) -> bool:
    """Whether ops/prices.py has a table for every region the profile deploys to."""
    return {synthesized.config.region, synthesized.config.standby_region or synthesized.config.region} <= set(PRICES)


def task_hour(synthesized: Synthesized) -> float:
    """What one task of the profile's size and architecture costs an hour on demand."""
    compute, prices = synthesized.config.compute, PRICES[synthesized.config.region]
    if compute.cpu_architecture is CpuArchitecture.ARM64:
        vcpu, gb = prices.fargate_vcpu_hour_arm, prices.fargate_gb_hour_arm
    else:
        vcpu, gb = prices.fargate_vcpu_hour_x86, prices.fargate_gb_hour_x86
    return compute.task_cpu / 1024 * vcpu + compute.task_memory_mib / 1024 * gb


def test_nat_gateways_and_endpoints_scale_with_the_zones(app_profiles: dict[str, Synthesized]) -> None:
    traffic = TrafficAssumptions(nat_gb_per_month=0, endpoint_gb_per_month=0)
    for synthesized in filter(priced, app_profiles.values()):
        prices = PRICES[synthesized.config.region]
        items = estimate(synthesized.documents, synthesized.config.region, traffic)
        zones = synthesized.config.network.az_count
        assert line(items, "NAT gateways") == pytest.approx(zones * HOURS_PER_MONTH * prices.nat_gateway_hour)
        assert line(items, "Interface endpoints") == pytest.approx(
            len(INTERFACE_ENDPOINTS) * zones * HOURS_PER_MONTH * prices.interface_endpoint_az_hour
        )


def fargate_lines(synthesized: Synthesized) -> tuple[float, float]:
    """(on-demand, Spot) monthly cost the profile's capacity strategy should give: `min_tasks` on demand,
    the tasks above it split by on_demand_weight:spot_weight."""
    compute = synthesized.config.compute
    above = compute.desired_tasks - compute.min_tasks
    weights = compute.on_demand_weight + compute.spot_weight
    month = task_hour(synthesized) * HOURS_PER_MONTH
    spot_discount = PRICES[synthesized.config.region].fargate_spot_discount
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
    items = estimate(dev.documents, next(iter(PRICES)))
    (alarms,) = [i for i in items if i.item == "CloudWatch alarms"]
    # The log volume's anomaly alarm counts as three (its metric and the two bounds of its band).
    assert alarms.basis == "18 alarms reading 35 metrics, 1 composite"


def test_estimate_without_a_price_table_for_the_region_is_refused(dev: Synthesized) -> None:
    unpriced = next(region for region in ("eu-central-2", "ap-south-2", "me-central-1") if region not in PRICES)
    with pytest.raises(CostError, match=f"no price table for region {unpriced!r}"):
        estimate(dev.documents, unpriced)


def regions(synthesized: Synthesized) -> list[tuple[str, dict[str, Any]]]:
    found: list[tuple[str, dict[str, Any]]] = [(synthesized.config.region, synthesized.documents)]
    if synthesized.config.standby_region:
        found.append((synthesized.config.standby_region, synthesized.standby_documents))
    return found


def test_reports_state_prices_date_assumptions_and_compare_profiles(app_profiles: dict[str, Synthesized]) -> None:
    estimates, unpriced = estimate_profiles({name: regions(s) for name, s in app_profiles.items()})
    assert set(unpriced) == {name for name, s in app_profiles.items() if not priced(s)}
    first = next(s for s in app_profiles.values() if priced(s))
    report = render_profile(first.name, first.config.region, estimates[first.name], TrafficAssumptions())
    assert f"list prices reviewed {PRICES[first.config.region].reviewed}" in report
    assert "10,000,000 requests a month" in report
    comparison = render_comparison(estimates)
    assert comparison.splitlines()[0].split()[-len(estimates) :] == list(estimates)
    assert " ".join(f"{total(items):.2f}" for items in estimates.values()) in " ".join(comparison.split())


def test_a_profile_in_a_region_without_prices_is_reported_not_fatal(every_profile: dict[str, Synthesized]) -> None:
    trial = {name: regions(s) for name, s in every_profile.items()}
    trial["elsewhere"] = [("eu-central-2", next(iter(every_profile.values())).documents)]
    estimates, unpriced = estimate_profiles(trial)
    assert set(estimates) | set(unpriced) == set(trial)
    assert unpriced["elsewhere"].startswith("no price table for region 'eu-central-2'")
    table = render_markdown(estimates, unpriced)
    assert "- `elsewhere` is not estimated: no price table for region 'eu-central-2'" in table


def test_standby_region_is_priced_and_marked(every_profile: dict[str, Synthesized]) -> None:
    for synthesized in every_profile.values():
        standby = synthesized.config.standby_region
        items = estimate_regions(regions(synthesized)) if priced(synthesized) else []
        marked = [item for item in items if item.item.startswith(f"Standby {standby}: ")]
        assert bool(marked) == (standby is not None and bool(items))
        if marked and synthesized.config.standby().runs_idle:
            # Pilot-light: no task runs in the standby region until failover.
            (fargate,) = [item for item in marked if item.item.endswith("Fargate on-demand")]
            assert fargate.monthly_usd == 0


def test_readme_cost_table_is_current(app_profiles: dict[str, Synthesized]) -> None:
    table = render_markdown(*estimate_profiles({name: regions(s) for name, s in app_profiles.items()}))
    assert block((ROOT / "README.md").read_text(), "cost") == table, "run `make cost-table` and commit README.md"


@pytest.mark.parametrize("zones", [2, 3])
def test_the_egress_firewall_costs_its_endpoint_hours_and_the_traffic_through_it(dev: Synthesized, zones: int) -> None:
    firewalls = {
        f"Firewall{n}": {"Type": "AWS::NetworkFirewall::Firewall", "Properties": {"SubnetMappings": [{"SubnetId": n}]}}
        for n in range(zones)
    }
    plain = estimate(dev.documents, "us-east-1")
    firewalled = estimate({**dev.documents, "Egress": {"Resources": firewalls}}, "us-east-1")
    prices, traffic = PRICES["us-east-1"], TrafficAssumptions()
    expected = zones * HOURS_PER_MONTH * prices.network_firewall_endpoint_hour + (
        traffic.nat_gb_per_month * prices.network_firewall_gb
    )
    assert line(firewalled, "Network Firewall (egress allow-list)") == pytest.approx(expected)
    assert total(firewalled) - total(plain) == pytest.approx(expected)
    assert "Network Firewall (egress allow-list)" not in [item.item for item in plain]
    # The README's figure for profiles that set processor_hosts.
    assert f"{expected:,.2f}" in " ".join((ROOT / "README.md").read_text().split())


@pytest.fixture(scope="module")
def modes() -> dict[str, list[LineItem]]:
    """prod's line items with each disaster-recovery mode, each synthesized as that mode (about 1 s each)."""
    return mode_estimates(DR_PROFILE, TrafficAssumptions())


def test_readme_dr_cost_table_is_current(
    app_profiles: dict[str, Synthesized], modes: dict[str, list[LineItem]]
) -> None:
    config = app_profiles[DR_PROFILE].config
    where = {"primary": config.region, "standby": str(config.standby_region)}
    table = render_modes(DR_PROFILE, where, modes)
    assert block((ROOT / "README.md").read_text(), DR_NAME) == table, "run `make cost-table` and commit README.md"


def test_the_standby_costs_more_as_it_runs_more(modes: dict[str, list[LineItem]]) -> None:
    estimates = modes
    standby = {mode: total([i for i in items if i.item.startswith("Standby ")]) for mode, items in estimates.items()}
    fargate = {
        mode: sum(i.monthly_usd for i in items if i.item.startswith("Standby ") and "Fargate" in i.item)
        for mode, items in estimates.items()
    }
    assert fargate["pilot-light"] == 0 < fargate["warm"] <= fargate["hot"]
    assert standby["pilot-light"] < standby["warm"] <= standby["hot"]
