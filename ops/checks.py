"""Check results, their table, and a runner that turns an unexpected AWS error into a failed check."""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TextIO

from botocore.exceptions import BotoCoreError, ClientError

PASS, FAIL, WARN = "PASS", "FAIL", "WARN"


@dataclass(frozen=True)
class Check:
    name: str
    status: str
    reason: str

    @property
    def failed(self) -> bool:
        return self.status == FAIL


def passed(name: str, reason: str) -> Check:
    return Check(name, PASS, reason)


def failed(name: str, reason: str) -> Check:
    return Check(name, FAIL, reason)


def warned(name: str, reason: str) -> Check:
    return Check(name, WARN, reason)


def suffixed(checks: list[Check], suffix: str) -> list[Check]:
    """The same checks, each name ending `suffix` (" in us-west-2": the same probe in another region)."""
    return [dataclasses.replace(check, name=f"{check.name}{suffix}") for check in checks]


def run(name: str, probe: Callable[[], Check | list[Check]], progress: TextIO = sys.stderr) -> list[Check]:
    """Run one probe; an AWS error becomes a failed check that quotes it, never a traceback."""
    print(f"  checking {name} ...", file=progress, flush=True)
    try:
        result = probe()
    except ClientError as error:
        details = error.response.get("Error", {})
        return [failed(name, f"{details.get('Code', 'ClientError')}: {details.get('Message', error)}")]
    except BotoCoreError as error:
        return [failed(name, str(error))]
    return result if isinstance(result, list) else [result]


def table(checks: Iterable[Check]) -> str:
    rows = list(checks)
    width = max((len(check.name) for check in rows), default=5)
    lines = [f"  {'CHECK':<{width}}  RESULT  REASON"]
    lines += [f"  {check.name:<{width}}  {check.status:<6}  {check.reason}" for check in rows]
    failures = sum(check.failed for check in rows)
    lines.append(f"{len(rows) - failures} of {len(rows)} checks passed" + (f"; {failures} FAILED" if failures else ""))
    return "\n".join(lines)
