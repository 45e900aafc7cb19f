"""`ops cost`'s options: the output format, the scenario and the traffic assumptions, each checked.

A bad value is a configuration mistake (exit 2) named in one line: the option, the value, what is allowed.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import re
from dataclasses import dataclass

from ops.cost import Scale, TrafficAssumptions
from ops.cost_report import FORMATS
from settings import ConfigError


@dataclass(frozen=True)
class Option:
    flag: str
    field: str
    whole: bool
    low: float
    high: float
    help: str


DEFAULTS = TrafficAssumptions()
OPTIONS = (
    Option("--requests-per-month", "requests_per_month", True, 0, 1e12, "requests the service serves a month"),
    Option("--bytes-per-request", "bytes_per_request", True, 1, 1e8, "request and response bytes, headers included"),
    Option(
        "--requests-per-connection", "requests_per_connection", True, 1, 1e6, "requests a client sends per connection"
    ),
    Option("--nat-gb", "nat_gb_per_month", False, 0, 1e7, "GB a month through the NAT gateways"),
    Option("--endpoint-gb", "endpoint_gb_per_month", False, 0, 1e7, "GB a month through the interface endpoints"),
    Option("--flow-log-gb", "flow_log_gb_per_month", False, 0, 1e7, "GB of VPC flow logs a month"),
    Option("--management-events", "management_events_per_month", True, 0, 1e11, "CloudTrail management events a month"),
    Option("--months", "months_in_service", True, 1, 120, "months in service: how much storage and rotation to price"),
    Option(
        "--config-items", "config_items_per_month", True, 0, 1e9, "AWS Config items a month (default: one per resource)"
    ),
    Option(
        "--security-hub-checks",
        "security_hub_checks_per_month",
        True,
        0,
        1e10,
        "Security Hub checks a month (default: 30 per resource)",
    ),
)
# ASCII digits only (int() and float() would take '1_000', full-width and other scripts' digits).
WHOLE = re.compile(r"[0-9]+\Z")
DECIMAL = re.compile(r"[0-9]+(\.[0-9]+)?\Z")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=FORMATS, default="table", help="table (default), json or csv")
    parser.add_argument(
        "--at",
        choices=[scale.value for scale in Scale],
        default=Scale.DESIRED.value,
        help="tasks the serving region runs all month: desired_tasks (default) or max_tasks",
    )
    for option in OPTIONS:
        default = getattr(DEFAULTS, option.field)
        shown = "" if default is None else f" (default {default:,})"
        parser.add_argument(option.flag, dest=option.field, metavar="N", help=f"{option.help}{shown}", default=None)
    parser.add_argument(
        "--other-trail",
        action="store_true",
        help="another trail (the organization's) already records management events: this one is a paid copy",
    )


def _allowed(option: Option) -> str:
    kind = "a whole number" if option.whole else "a number"
    return f"{kind} from {option.low:,.0f} to {option.high:,.0f}"


def _parse(option: Option, text: str) -> float | int:
    problem = f"{option.flag}: {text!r} is not {_allowed(option)}"
    if not (WHOLE if option.whole else DECIMAL).match(text):
        raise ConfigError([problem])
    value: float | int = int(text) if option.whole else float(text)
    if not math.isfinite(value) or not option.low <= value <= option.high:
        raise ConfigError([problem])
    return value


def traffic_from(arguments: argparse.Namespace) -> TrafficAssumptions:
    """The assumptions the options give, the defaults for the rest; ConfigError names every bad value."""
    given: dict[str, float | int] = {}
    problems: list[str] = []
    for option in OPTIONS:
        text = getattr(arguments, option.field, None)
        if text is None:
            continue
        try:
            given[option.field] = _parse(option, text)
        except ConfigError as error:
            problems += error.problems
    if problems:
        raise ConfigError(problems)
    first_trail = not getattr(arguments, "other_trail", False)
    return dataclasses.replace(DEFAULTS, scale=Scale(arguments.at), first_trail=first_trail, **given)  # type: ignore[arg-type]
