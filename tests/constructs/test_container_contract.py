"""The container contract: an image runs as Fargate runs the synthesized task definition.

Everything comes from the synthesized template (user, read-only root, mounts, environment, secret names,
health check, stop timeout) and the image's Dockerfile; `tests/support/container/fargate.py` rebuilds the
container's view with Linux namespaces. Proven for the reference service and for a second image that
shares nothing with it but the contract (`tests/support/container/images/minimal`).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from payments_service.tls import self_signed_context

from components.container_contract import (
    BUSINESS_METRICS,
    CONTRACT,
    LEDGER_KEY_ACTIONS,
    LEDGER_TABLE_ACTIONS,
    PROCESSOR_SECRET_VARIABLE,
)
from settings.naming import SERVICE_CONTAINER
from settings.sections import ComputeSettings
from tests.support.adoption import HEALTH_CHECK
from tests.support.bare import bare_stack, one, template
from tests.support.builders import load_balanced_service
from tests.support.container import dockerfile
from tests.support.container.fargate import BuildContext, ContractError, FargateTask, TaskContainer, signal_name
from tests.support.synthesized import ROOT, Synthesized

SERVICE = ROOT / "service"
SERVICE_PACKAGES = ROOT / ".build" / "service-site-packages"
MINIMAL = ROOT / "tests" / "support" / "container" / "images" / "minimal"
STARTUP_SECONDS = 10


def task_container(synthesized: Synthesized) -> TaskContainer:
    (task,) = synthesized.properties("Compute", "AWS::ECS::TaskDefinition")
    return TaskContainer.from_task_definition(task, SERVICE_CONTAINER)


@pytest.fixture(scope="module")
def reference() -> TaskContainer:
    """The service container of a task that runs the reference image (no `container_image`), as the app's
    Fargate service construct defines it; whatever image the profiles run."""
    stack = bare_stack()
    load_balanced_service(stack, ComputeSettings())
    return TaskContainer.from_task_definition(one(template(stack), "AWS::ECS::TaskDefinition"), SERVICE_CONTAINER)


def reference_build() -> BuildContext:
    if not (SERVICE_PACKAGES / ".installed").exists():
        pytest.fail(
            f"{SERVICE_PACKAGES} is missing: run `make deps` (the image's packages, as its build stage makes them)"
        )
    return BuildContext(SERVICE, {("build", "/build/site-packages"): SERVICE_PACKAGES})


def minimal_build(directory: Path) -> BuildContext:
    """The minimal image's context, with the certificate its Dockerfile copies made now (none is committed)."""
    shutil.copytree(MINIMAL, directory)
    self_signed_context(directory / "tls")
    (directory / "tls").chmod(0o755)
    (directory / "tls" / "server.key").chmod(0o644)  # COPY keeps this mode: the task user must read it
    return BuildContext(directory, {})


@contextmanager
def running(
    container: TaskContainer,
    image_text: str,
    build: BuildContext,
    workspace: Path,
    dynamodb_tables: tuple[str, ...] = (),
) -> Iterator[FargateTask]:
    task = FargateTask(
        container, dockerfile.read(image_text), build, workspace, region="us-east-1", dynamodb_tables=dynamodb_tables
    )
    task.start()
    try:
        yield task
    finally:
        task.close()


def capabilities(pid: int) -> dict[str, int]:
    """The capability sets of a process, from the kernel's view of it."""
    lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    return {key: int(value, 16) for key, value in (line.split(":\t") for line in lines if line.startswith("Cap"))}


def assert_meets_the_contract(task: FargateTask) -> None:
    status = task.wait_until_serving(CONTRACT.health_path, STARTUP_SECONDS)
    assert status == "200", f"GET {CONTRACT.health_path} over HTTPS answered {status!r}:\n{task.output()}"
    # Every capability dropped: not even one that a setuid binary in the image could regain.
    assert capabilities(task.pid) == dict.fromkeys(("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"), 0)
    check = task.run_health_check()
    assert check.returncode == 0, f"health check {task.container.health_check} failed: {check}\n{task.output()}"
    code, seconds = task.stop()
    assert code == 0, f"after SIGTERM: {signal_name(code)} after {seconds:.1f} s:\n{task.output()}"
    assert seconds < task.container.stop_timeout


def test_reference_image_serves_passes_its_health_check_and_drains_on_sigterm(
    reference: TaskContainer, tmp_path: Path
) -> None:
    container = reference
    with running(container, (SERVICE / "Dockerfile").read_text(), reference_build(), tmp_path) as task:
        assert_meets_the_contract(task)


def test_the_reference_image_records_a_payment_in_its_table_and_answers_a_retry_with_it(
    reference: TaskContainer, tmp_path: Path
) -> None:
    """The whole path inside the task: a payment, as the ALB forwards it after verifying the client, reaches the
    ledger table the task definition names, and a retry gets the first answer back from the table."""
    table = reference.environment["LEDGER"].removeprefix("dynamodb:")
    with running(reference, (SERVICE / "Dockerfile").read_text(), reference_build(), tmp_path, (table,)) as task:
        assert task.wait_until_serving(CONTRACT.health_path, STARTUP_SECONDS) == "200", task.output()
        body = json.dumps({"amount": "12.34", "currency": "EUR", "idempotency_key": "contract-test-1"})
        client = {"X-Amzn-Mtls-Clientcert-Subject": "CN=contract-test,O=Example"}
        first = task.post_json("/payments", body, client)
        again = task.post_json("/payments", body, client)
        code, _ = task.stop()
    assert first["status"] == 201, first
    assert (again["status"], {k.lower(): v for k, v in again["headers"].items()}.get("idempotent-replay")) == (
        201,
        "true",
    )
    assert json.loads(again["body"])["payment_id"] == json.loads(first["body"])["payment_id"]
    assert code == 0


def test_an_adopters_image_with_its_own_health_check_runs_under_its_profiles_task_definition(
    adopted: Synthesized, tmp_path: Path
) -> None:
    container = task_container(adopted)
    assert container.health_check == HEALTH_CHECK
    build = minimal_build(tmp_path / "context")
    with running(container, (MINIMAL / "Dockerfile").read_text(), build, tmp_path) as task:
        assert_meets_the_contract(task)


def test_scratch_mount_is_root_owned_0755_unless_the_image_declares_it(
    reference: TaskContainer, tmp_path: Path
) -> None:
    """Fargate's default for a bind mount; an image that does not declare its scratch path cannot start."""
    undeclared = (SERVICE / "Dockerfile").read_text().replace(f'VOLUME ["{CONTRACT.scratch_path}"]', "")
    assert dockerfile.read(undeclared).volumes == {}
    with running(reference, undeclared, reference_build(), tmp_path) as task:
        with pytest.raises(ContractError, match="container exited"):
            task.wait_until_serving(CONTRACT.health_path, STARTUP_SECONDS)
        assert "PermissionError" in task.output()


def test_a_declared_scratch_path_of_another_user_is_not_writable(adopted: Synthesized, tmp_path: Path) -> None:
    other_user = (MINIMAL / "Dockerfile").read_text().replace("chown 10001:10001", "chown 4242:4242")
    build = minimal_build(tmp_path / "context")
    with running(task_container(adopted), other_user, build, tmp_path) as task:
        with pytest.raises(ContractError, match="container exited"):
            task.wait_until_serving(CONTRACT.health_path, STARTUP_SECONDS)
        assert "Permission denied" in task.output()


def test_the_root_filesystem_is_read_only_for_the_task(reference: TaskContainer, tmp_path: Path) -> None:
    container = reference
    with running(container, (SERVICE / "Dockerfile").read_text(), reference_build(), tmp_path) as task:
        assert task.wait_until_serving(CONTRACT.health_path, STARTUP_SECONDS) == "200"
        result = task.exec(["/bin/sh", "-c", "touch /app/x || touch /tmp/x && echo ok"])
        assert "Read-only file system" in result.stderr
        assert result.stdout.strip() == "ok"


def test_the_image_declares_the_scratch_path_for_the_task_user() -> None:
    image = dockerfile.read((SERVICE / "Dockerfile").read_text())
    declared = image.volumes[CONTRACT.scratch_path]
    assert declared is not None
    assert (declared.uid, declared.gid) == (CONTRACT.uid, CONTRACT.gid)


def test_drain_ends_before_ecs_kills_the_task(each_profile: Synthesized) -> None:
    container = task_container(each_profile)
    assert int(container.environment["DRAIN_SECONDS"]) < container.stop_timeout == CONTRACT.stop_timeout.to_seconds()


def test_readme_states_the_contract_the_code_uses() -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## The container contract", 1)[1].split("\n## ", 1)[0]
    environment = CONTRACT.environment(
        service_name="s",
        environment="e",
        metrics_namespace="n",
        ledger_table="t",
        client_authentication="mutual-tls",
        idempotency_hours=24,
    )
    terms = [
        f"`{CONTRACT.port}`",
        f"`{CONTRACT.health_path}`",
        f"uid `{CONTRACT.uid}`, gid `{CONTRACT.gid}`",
        "the task drops `ALL`",
        f"`{CONTRACT.scratch_path}`",
        f"`DRAIN_SECONDS` ({CONTRACT.drain_seconds})",
        f"{CONTRACT.stop_timeout_seconds} s stop timeout",
        f"`REQUEST_TIMEOUT_SECONDS` ({CONTRACT.request_timeout_seconds})",
        f"`KEEP_ALIVE_SECONDS` ({CONTRACT.keep_alive_seconds})",
        f"idle timeout ({CONTRACT.load_balancer_idle_seconds} s)",
        f"`MAX_CONNECTIONS` ({CONTRACT.max_connections})",
        f"`MAX_IN_FLIGHT` ({CONTRACT.max_in_flight})",
        *(f"`{action}`" for action in (*LEDGER_TABLE_ACTIONS, *LEDGER_KEY_ACTIONS)),
        f"`{PROCESSOR_SECRET_VARIABLE}`",
        *(f"`{name}`" for name in environment),
        *(f"`{metric}`" for metric in BUSINESS_METRICS),
    ]
    assert [term for term in terms if term not in section] == []


def test_a_service_listening_on_loopback_only_is_unreachable_for_the_load_balancer(
    adopted: Synthesized, tmp_path: Path
) -> None:
    """The ALB connects to the task's address; a server bound to 127.0.0.1 passes its own health check only."""
    loopback = (MINIMAL / "serve.py").read_text().replace('("0.0.0.0",', '("127.0.0.1",')
    assert loopback != (MINIMAL / "serve.py").read_text()
    build = minimal_build(tmp_path / "context")
    (build.directory / "serve.py").write_text(loopback)
    with running(task_container(adopted), (MINIMAL / "Dockerfile").read_text(), build, tmp_path) as task:
        assert task.wait_until_serving(CONTRACT.health_path, STARTUP_SECONDS, address="127.0.0.1") == "200"
        assert task.run_health_check().returncode == 0
        status = task.https_status(CONTRACT.health_path)
        assert "Connection refused" in status, f"the load balancer reached it: {status}"


def test_ownership_changed_after_volume_is_refused() -> None:
    """BuildKit keeps a change made after VOLUME and the legacy builder drops it: the two builds would differ."""
    late = (SERVICE / "Dockerfile").read_text().replace('VOLUME ["/tmp"]', 'VOLUME ["/tmp"]\nRUN chmod 0755 /tmp')
    with pytest.raises(dockerfile.DockerfileError, match="changes after the VOLUME line"):
        dockerfile.read(late)
