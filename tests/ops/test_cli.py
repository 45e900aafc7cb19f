"""`python -m ops`: one line and exit 2 for a usage mistake, never a traceback."""

from __future__ import annotations

import pytest

from ops.__main__ import main


def test_drill_refuses_prod_unless_told(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["drill", "--env", "prod"]) == 2
    assert "--allow-prod" in capsys.readouterr().err


def test_cli_reports_a_bad_profile_without_a_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cost", "--env", "qa"]) == 2
    assert capsys.readouterr().err.startswith("error: environment: 'qa' is not a profile")


def test_preflight_reports_a_region_mismatch_as_a_failed_check(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    assert main(["preflight", "--env", "dev"]) == 1
    output = capsys.readouterr().out
    assert "configuration  FAIL    AWS_REGION='eu-west-1' disagrees with region 'us-east-1'" in output
