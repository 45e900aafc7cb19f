"""Reading alarms in templates."""

from __future__ import annotations

from typing import Any


def metric_stats(alarm: dict[str, Any]) -> list[dict[str, Any]]:
    """Every metric an alarm reads: the single metric, or each metric of its math expression."""
    if "MetricName" in alarm:
        return [{"Namespace": alarm["Namespace"], "MetricName": alarm["MetricName"], "Dimensions": alarm["Dimensions"]}]
    return [query["MetricStat"]["Metric"] for query in alarm["Metrics"] if "MetricStat" in query]


# -- evaluating alarms in a steady state -----------------------------------------------------------------
# A scenario: each metric (by name) -> the value of every datapoint, or None when the metric has none. An alarm
# whose every period sees the same datapoint is in ALARM exactly when that datapoint breaches, as CloudWatch
# evaluates it; math expressions are evaluated with CloudWatch's missing-data semantics.
Scenario = dict[str, float | None]


class _Missing:
    """A datapoint that is not there: arithmetic and comparisons with it are not there either."""

    def _absent(self, *_: object) -> _Missing:
        return self

    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __truediv__ = __rtruediv__ = _absent
    __gt__ = __lt__ = __ge__ = __le__ = __eq__ = __ne__ = _absent  # type: ignore[assignment]
    __hash__ = None  # type: ignore[assignment]

    def __bool__(self) -> bool:
        return False


MISSING = _Missing()


def _fill(value: Any, default: float) -> Any:
    return default if value is MISSING else value


def _if(condition: Any, then: Any, otherwise: Any) -> Any:
    return MISSING if condition is MISSING else (then if condition else otherwise)


def expression_value(expression: str, values: dict[str, float | None]) -> float | None:
    """CloudWatch metric math (the operators, FILL and IF this app uses) over one datapoint of each metric."""
    names = {name: MISSING if value is None else value for name, value in values.items()}
    python = expression.replace(" AND ", " and ").replace(" OR ", " or ")
    # The app's own expression text, with no builtins: a few operators and two functions, for which no maintained
    # evaluator of CloudWatch metric math exists.
    result = eval(python, {"__builtins__": {}, "FILL": _fill, "IF": _if}, names)
    return None if result is MISSING else float(result)


def datapoint(alarm: dict[str, Any], scenario: Scenario) -> float | None:
    if "MetricName" in alarm:
        return scenario[alarm["MetricName"]]
    queries = alarm["Metrics"]
    values = {q["Id"]: scenario[q["MetricStat"]["Metric"]["MetricName"]] for q in queries if "MetricStat" in q}
    (expression,) = [q["Expression"] for q in queries if "Expression" in q]
    return expression_value(expression, values)


BREACHES = {
    "GreaterThanThreshold": lambda value, threshold: value > threshold,
    "GreaterThanOrEqualToThreshold": lambda value, threshold: value >= threshold,
    "LessThanThreshold": lambda value, threshold: value < threshold,
    "LessThanOrEqualToThreshold": lambda value, threshold: value <= threshold,
}


def in_alarm(alarm: dict[str, Any], scenario: Scenario) -> bool:
    """Whether the alarm is in ALARM once every period of its window has seen the scenario's datapoints."""
    value = datapoint(alarm, scenario)
    if value is None:
        return bool(alarm.get("TreatMissingData") == "breaching")
    return bool(BREACHES[alarm["ComparisonOperator"]](value, alarm["Threshold"]))


def idle() -> Scenario:
    """No task asked for, none running, no target, no traffic: an idle pilot-light standby. Container Insights
    reports the service's counts (0); the load balancer reports no host counts without targets."""
    return {
        "DesiredTaskCount": 0, "RunningTaskCount": 0, "UnHealthyHostCount": None, "HealthyHostCount": None,
        "RequestCount": None, "HTTPCode_ELB_5XX_Count": None, "HTTPCode_Target_5XX_Count": None,
        "TargetResponseTime": None, "PaymentsAccepted": None, "PaymentsRejected": None, "CPUUtilization": None,
        "MemoryUtilization": None, "BlockedRequests": None,
    }  # fmt: skip


def serving(tasks: int) -> Scenario:
    """`tasks` running as asked, all healthy, traffic answered, payments accepted."""
    return idle() | {
        "DesiredTaskCount": tasks, "RunningTaskCount": tasks, "UnHealthyHostCount": 0, "HealthyHostCount": tasks,
        "RequestCount": 6000, "HTTPCode_ELB_5XX_Count": 0, "HTTPCode_Target_5XX_Count": 0,
        "TargetResponseTime": 0.04, "PaymentsAccepted": 900, "PaymentsRejected": 10, "CPUUtilization": 30,
        "MemoryUtilization": 40,
    }  # fmt: skip


def not_starting(tasks: int) -> Scenario:
    """`tasks` asked for and none starting (no image in the region, no capacity, an unreadable secret)."""
    return idle() | {"DesiredTaskCount": tasks, "RunningTaskCount": 0}
