"""`make synth` fails unless CDK's built-in CloudFormation validation ran and every plugin succeeded."""

from __future__ import annotations

import json
from pathlib import Path

from tooling.report import BUILTIN_VALIDATION, main


def write(tmp_path: Path, plugins: list[tuple[str, str]]) -> str:
    path = tmp_path / "validation-report.json"
    path.write_text(
        json.dumps({"pluginReports": [{"pluginName": n, "conclusion": c, "violations": []} for n, c in plugins]})
    )
    return str(path)


def test_clean_report_passes(tmp_path: Path) -> None:
    assert main(write(tmp_path, [(BUILTIN_VALIDATION, "success"), ("AwsSolutions", "success")])) == 0


def test_report_without_the_builtin_validation_fails(tmp_path: Path) -> None:
    assert main(write(tmp_path, [("AwsSolutions", "success")])) == 1


def test_report_with_a_failed_plugin_fails(tmp_path: Path) -> None:
    assert main(write(tmp_path, [(BUILTIN_VALIDATION, "success"), ("PCI.DSS.401", "failure")])) == 1
