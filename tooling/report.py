"""Summarise cdk.out/validation-report.json after `cdk synth`; fail unless CDK's CloudFormation validation ran clean.

cdk-nag packs with nothing to report, not even an acknowledged finding, are absent from the report;
synth itself fails on any unacknowledged finding, so this only has to prove the built-in validation ran.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

BUILTIN_VALIDATION = "CloudFormation Validate"


def main(path: str) -> int:
    report = json.loads(Path(path).read_text())
    plugins = {plugin["pluginName"]: plugin for plugin in report.get("pluginReports", [])}
    for name, plugin in sorted(plugins.items()):
        print(
            f"  {name}: {plugin['conclusion']}, {len(plugin['violations'])} violations, "
            f"{len(plugin.get('suppressedViolations', []))} acknowledged"
        )
    failed = [name for name, plugin in plugins.items() if plugin["conclusion"] != "success"]
    if BUILTIN_VALIDATION not in plugins:
        print(
            f"error: {path} has no '{BUILTIN_VALIDATION}' report; was synth run with validation off?", file=sys.stderr
        )
        return 1
    if failed:
        print(f"error: validation failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "cdk.out/validation-report.json"))
