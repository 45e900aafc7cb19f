"""The Dockerfile's promises: pinned base, non-root user, no build tools, health check, exec-form entrypoint."""

from __future__ import annotations

import re

from .conftest import SERVICE_ROOT

DOCKERFILE = (SERVICE_ROOT / "Dockerfile").read_text()
STAGES = re.split(r"(?m)^FROM ", DOCKERFILE)[1:]


def test_base_image_is_pinned_by_digest() -> None:
    (base,) = re.findall(r"(?m)^ARG BASE_IMAGE=(\S+)$", DOCKERFILE)
    assert re.fullmatch(r"python:3\.12-slim@sha256:[0-9a-f]{64}", base)
    assert all(stage.startswith("${BASE_IMAGE}") for stage in STAGES)


def test_final_stage_runs_as_a_numeric_non_root_user() -> None:
    final = STAGES[-1]
    (user,) = re.findall(r"(?m)^USER (\S+)$", final)
    uid, gid = user.split(":")
    assert int(uid) >= 10000
    assert int(gid) >= 10000


def test_final_stage_installs_no_build_tools_and_drops_pip() -> None:
    final = STAGES[-1]
    assert "apt-get" not in final
    assert not re.search(r"\b(gcc|g\+\+|make|build-essential)\b", final)
    assert "site-packages/pip" in final


def test_dependencies_are_installed_from_wheels_only() -> None:
    assert "--only-binary=:all:" in STAGES[0]


def test_health_check_and_entrypoint_use_the_service_module() -> None:
    assert 'CMD ["python", "-m", "payments_service.healthcheck"]' in DOCKERFILE
    assert 'ENTRYPOINT ["python", "-m", "payments_service"]' in DOCKERFILE


def test_tests_stay_out_of_the_image() -> None:
    ignored = (SERVICE_ROOT / ".dockerignore").read_text().split()
    assert "service_tests/" in ignored
