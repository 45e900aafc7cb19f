"""How `ops cost` reports an estimate: a table for people, JSON (ops/cost.schema.json) and CSV for tools.

Subtotals per stack, per region and fixed-vs-variable, and the estimate against the profile's budget (the
`AWS::Budgets::Budget` the templates declare, so an override of `monthly_budget_usd` is what is compared).
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ops.cost import EXCLUDED, NOT_MODELLED, Kind, LineItem, TrafficAssumptions, resource_types, total
from ops.prices import PRICES

SCHEMA = Path(__file__).with_name("cost.schema.json")
SCHEMA_ID = "cost-estimate/1"
# What the templates' budget sees (components/cost_budget.py filters on the tags), so what it is compared with.
BUDGET_SCOPE = (
    "the budget counts spend tagged with the profile's Environment and Service; charges of no tagged resource in "
    "this estimate (for example custom metrics, AWS Config items, Security Hub checks, data transfer) reach the bill "
    "but not the budget, so the headroom shown is the smaller one"
)
FORMATS = ("table", "json", "csv")


@dataclass(frozen=True)
class Report:
    """One profile's estimate over its regions (the primary first), and what it is compared with."""

    profile: str
    regions: tuple[str, ...]
    items: tuple[LineItem, ...]
    traffic: TrafficAssumptions
    budget_usd: float | None
    # Resource types in the templates the estimate leaves out (each with its reason in ops.cost.EXCLUDED).
    excluded_types: tuple[str, ...]

    @property
    def total(self) -> float:
        return total(self.items)

    def by_stack(self) -> list[tuple[str, str, float]]:
        keys = list(dict.fromkeys((item.region, item.stack) for item in self.items))
        return [
            (region, stack, total([i for i in self.items if (i.region, i.stack) == (region, stack)]))
            for region, stack in keys
        ]

    def by_region(self) -> list[tuple[str, str, float]]:
        return [
            (region, "primary" if index == 0 else "standby", total([i for i in self.items if i.region == region]))
            for index, region in enumerate(self.regions)
        ]

    def by_kind(self) -> dict[Kind, float]:
        return {kind: total([i for i in self.items if i.kind is kind]) for kind in Kind}

    def headroom(self) -> float | None:
        return None if self.budget_usd is None else self.budget_usd - self.total

    def over_budget(self) -> bool:
        headroom = self.headroom()
        return headroom is not None and headroom < 0


def budget_of(documents: Mapping[str, Mapping[str, Any]]) -> float | None:
    """The monthly USD limit of the cost budgets the templates declare (None without one)."""
    limits = [
        float(resource["Properties"]["Budget"]["BudgetLimit"]["Amount"])
        for document in documents.values()
        for resource in document["Resources"].values()
        if resource["Type"] == "AWS::Budgets::Budget"
    ]
    return sum(limits) if limits else None


def excluded_types(regions: Sequence[tuple[str, Mapping[str, Mapping[str, Any]]]]) -> tuple[str, ...]:
    found = set().union(*(resource_types(documents) for _, documents in regions))
    return tuple(sorted(found & set(EXCLUDED)))


def _usd(value: float) -> float:
    return round(value, 2)


def to_json(report: Report) -> dict[str, Any]:
    """The estimate as the document ops/cost.schema.json describes."""
    headroom = report.headroom()
    assumptions = dataclasses.asdict(report.traffic) | {"scale": report.traffic.scale.value}
    return {
        "schema": SCHEMA_ID,
        "profile": report.profile,
        "currency": "USD",
        "scenario": f"{report.traffic.scale.value}_tasks",
        "prices": [
            {
                "region": region,
                "reviewed": PRICES[region].reviewed,
                "assumed_from": PRICES[region].assumed_from or None,
                "assumed": list(PRICES[region].assumed),
            }
            for region in report.regions
        ],
        "assumptions": assumptions,
        "line_items": [
            {
                "region": item.region,
                "stack": item.stack,
                "item": item.item,
                "kind": item.kind.value,
                "monthly_usd": _usd(item.monthly_usd),
                "basis": item.basis,
            }
            for item in report.items
        ],
        "subtotals": {
            "stacks": [
                {"region": region, "stack": stack, "monthly_usd": _usd(usd)} for region, stack, usd in report.by_stack()
            ],
            "regions": [
                {"region": region, "role": role, "monthly_usd": _usd(usd)} for region, role, usd in report.by_region()
            ],
            "fixed_usd": _usd(report.by_kind()[Kind.FIXED]),
            "variable_usd": _usd(report.by_kind()[Kind.VARIABLE]),
        },
        "total_usd": _usd(report.total),
        "budget": None
        if report.budget_usd is None or headroom is None
        else {
            "monthly_usd": _usd(report.budget_usd),
            "headroom_usd": _usd(headroom),
            "used_percent": round(100 * report.total / report.budget_usd, 1),
        },
        "budget_scope": BUDGET_SCOPE,
        "excluded": [{"resource_type": t, "reason": EXCLUDED[t]} for t in report.excluded_types],
        "not_modelled": NOT_MODELLED,
    }


def render_json(report: Report) -> str:
    return json.dumps(to_json(report), indent=2)


def render_csv(report: Report) -> str:
    """One row per line item; subtotals are a pivot away."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["profile", "region", "stack", "item", "kind", "monthly_usd", "basis"])
    for item in report.items:
        writer.writerow(
            [report.profile, item.region, item.stack, item.item, item.kind.value, f"{item.monthly_usd:.2f}", item.basis]
        )
    return out.getvalue()


def _budget_line(report: Report) -> str:
    headroom = report.headroom()
    if report.budget_usd is None or headroom is None:
        return "  no cost budget in the templates"
    used = 100 * report.total / report.budget_usd
    verdict = "OVER BUDGET by" if headroom < 0 else "headroom"
    return (
        f"  Budget (monthly_budget_usd) {report.budget_usd:,.2f} USD: {verdict} {abs(headroom):,.2f} USD "
        f"({used:.0f} % used)"
    )


def render_table(report: Report) -> str:
    reviewed = ", ".join(f"{region} reviewed {PRICES[region].reviewed}" for region in report.regions)
    lines = [
        f"Monthly cost estimate: {report.profile}, tasks at {report.traffic.scale.value}_tasks "
        f"(list prices: {reviewed})",
        "",
    ]
    width = max(len(item.item) for item in report.items)
    stack_width = max(len(item.stack) for item in report.items)
    region_width = max(len(region) for region in report.regions)
    header = (
        f"  {'Region':<{region_width}}  {'Stack':<{stack_width}}  {'Item':<{width}}  {'USD/month':>10}  Kind      Basis"
    )
    lines.append(header)
    for item in report.items:
        lines.append(
            f"  {item.region:<{region_width}}  {item.stack:<{stack_width}}  {item.item:<{width}}  "
            f"{item.monthly_usd:>10.2f}  {item.kind.value:<8}  {item.basis}"
        )
    label = region_width + stack_width + width + 4
    lines += ["", "Subtotals:"]
    lines += [f"  {region + '  ' + stack:<{label}}  {usd:>10.2f}" for region, stack, usd in report.by_stack()]
    lines += [f"  {region + ' (' + role + ')':<{label}}  {usd:>10.2f}" for region, role, usd in report.by_region()]
    lines += [f"  {kind.value:<{label}}  {usd:>10.2f}" for kind, usd in report.by_kind().items()]
    lines += [f"  {'Total':<{label}}  {report.total:>10.2f}", _budget_line(report), f"  ({BUDGET_SCOPE})"]
    lines += ["", "Assumptions:"]
    lines += [f"  - {assumption}" for assumption in report.traffic.describe()]
    lines += ["", "Not priced:"]
    reasons: dict[str, list[str]] = {}
    for resource_type in report.excluded_types:
        reasons.setdefault(EXCLUDED[resource_type], []).append(resource_type)
    lines += [f"  - {', '.join(types)}: {reason}" for reason, types in reasons.items()]
    lines += [f"  - {reason}" for reason in NOT_MODELLED]
    for region in report.regions:
        if PRICES[region].assumed:
            lines.append(
                f"  - {region}: {len(PRICES[region].assumed)} prices are {PRICES[region].assumed_from}'s, not "
                f"checked for {region}: {', '.join(PRICES[region].assumed)}"
            )
    return "\n".join(lines)


def row_label(item: LineItem, primary: str) -> str:
    """A line's row in the side-by-side comparison: a standby region's lines are marked with the region."""
    return item.item if item.region == primary else f"Standby {item.region}: {item.item}"


def _rows(reports: Mapping[str, Report]) -> list[tuple[str, list[float | None]]]:
    labels: list[str] = []
    for report in reports.values():
        labels += [row_label(item, report.regions[0]) for item in report.items]
    labels = list(dict.fromkeys(labels))
    rows: list[tuple[str, list[float | None]]] = []
    for label in labels:
        cells: list[float | None] = []
        for report in reports.values():
            matching = [i.monthly_usd for i in report.items if row_label(i, report.regions[0]) == label]
            cells.append(sum(matching) if matching else None)
        rows.append((label, cells))
    return rows


def _summary_rows(reports: Mapping[str, Report]) -> list[tuple[str, list[float | None]]]:
    values = list(reports.values())
    return [
        ("Fixed", [r.by_kind()[Kind.FIXED] for r in values]),
        ("Variable", [r.by_kind()[Kind.VARIABLE] for r in values]),
        ("Primary region", [r.by_region()[0][2] for r in values]),
        ("Standby region", [r.by_region()[1][2] if len(r.regions) > 1 else None for r in values]),
        ("Total", [r.total for r in values]),
        ("Budget", [r.budget_usd for r in values]),
        ("Headroom", [r.headroom() for r in values]),
    ]


def render_comparison(reports: Mapping[str, Report]) -> str:
    names = list(reports)
    rows = _rows(reports) + _summary_rows(reports)
    width = max(len(label) for label, _ in rows)
    lines = [f"  {'USD per month':<{width}}" + "".join(f"  {name:>10}" for name in names)]
    for label, cells in rows:
        lines.append(
            f"  {label:<{width}}"
            + "".join(f"  {cell:>10.2f}" if cell is not None else f"  {'—':>10}" for cell in cells)
        )
    return "\n".join(lines)


def _cell(value: float | None, bold: bool = False) -> str:
    if value is None:
        return "—"
    return f"**{value:.2f}**" if bold else f"{value:.2f}"


def render_markdown(reports: Mapping[str, Report], unpriced: Mapping[str, str]) -> str:
    """The side-by-side comparison as Markdown (the README's generated cost block): each line, then the fixed
    and variable subtotals, each region, the total, the budget and the headroom."""
    names = list(reports)
    lines = ["| USD per month | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]
    for label, cells in _rows(reports):
        lines.append(f"| {label} | " + " | ".join(_cell(c) for c in cells) + " |")
    for label, cells in _summary_rows(reports):
        bold = label in ("Total", "Headroom")
        name = f"**{label}**" if bold else label
        lines.append(f"| {name} | " + " | ".join(_cell(c, bold) for c in cells) + " |")
    lines += ["", *(f"- `{name}` is not estimated: {reason}" for name, reason in unpriced.items())]
    return "\n".join(lines).rstrip()


def render_stacks_markdown(reports: Mapping[str, Report]) -> str:
    """Each profile's subtotal per stack (a standby region's stacks are named Standby…)."""
    names = list(reports)
    stacks = list(dict.fromkeys(stack for report in reports.values() for _, stack, _ in report.by_stack()))
    lines = ["| USD per month, by stack | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]
    for stack in stacks:
        cells = [next((usd for _, s, usd in report.by_stack() if s == stack), None) for report in reports.values()]
        lines.append(f"| {stack} | " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(lines)


def render_modes(name: str, modes: Mapping[str, Report]) -> str:
    """One profile's monthly cost under each disaster-recovery mode (the README's generated DR cost block)."""
    first = next(iter(modes.values()))
    primary, standby = first.regions[0], first.regions[1]
    regional = {mode: {region: usd for region, _, usd in report.by_region()} for mode, report in modes.items()}
    lines = [
        f"| {name}, USD per month | " + " | ".join(f"`{mode}`" for mode in modes) + " |",
        "|---|" + "---:|" * len(modes),
        f"| primary region ({primary}) | " + " | ".join(f"{regional[m][primary]:.2f}" for m in modes) + " |",
        f"| standby region ({standby}) | " + " | ".join(f"{regional[m][standby]:.2f}" for m in modes) + " |",
        "| **Total** | " + " | ".join(f"**{modes[m].total:.2f}**" for m in modes) + " |",
    ]
    return "\n".join(lines)
