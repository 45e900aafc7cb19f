"""Run an image's files the way Fargate runs the synthesized task definition, without Docker.

The container's view is rebuilt from the template and the Dockerfile: a private mount namespace whose root
holds the host's OS trees read-only (standing in for the base image), the interpreter at `/usr/local/bin`
as in the official Python images, the Dockerfile's COPY sources where it puts them, each task mount as an
empty tmpfs that is root-owned 0755 unless the image declares it with VOLUME (then it has the image's owner
and mode), the root remounted read-only when the task says so, its own network namespace (awsvpc) with the
task's address beside loopback, where the ALB's and Route 53's requests arrive, an init that forwards
SIGTERM when the task enables one, the task's user through setpriv, and the task's environment and secret
names.

What it does not prove: the base image's own userland and interpreter. The command runs on this machine's
Python (3.11) with packages built for it (`.build/service-site-packages`, installed from the same
requirements file as the image's build stage), while the image runs python:3.12-slim; a version-specific
failure shows only in a real build. Nor the contents a declared VOLUME would copy up.

Needs root (or passwordless sudo) for the namespaces, `unshare`, `nsenter` and `setpriv` from util-linux.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from tests.support.container.dockerfile import Image

LAUNCHER = Path(__file__).with_name("launch.py")
# Trees the host lends the container as its base image's OS (Debian keeps /bin, /lib, /sbin as links into /usr).
HOST_TREES = ("usr", "etc", "bin", "sbin", "lib", "lib32", "lib64", "libx32")
# The task's private address on its ENI: the ALB and Route 53 connect to it, not to loopback.
TASK_ADDRESS = "10.0.0.10"
# What ECS itself sets in every Fargate container.
ECS_VARIABLES = {
    "AWS_EXECUTION_ENV": "AWS_ECS_FARGATE",
    "ECS_CONTAINER_METADATA_URI_V4": "http://169.254.170.2/v4/contract-test",
    "HOSTNAME": "ip-10-0-0-10.ec2.internal",
}
PROBE = textwrap.dedent(
    """
    import http.client, json, ssl, sys
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    connection = http.client.HTTPSConnection(sys.argv[1], int(sys.argv[3]), timeout=5, context=context)
    method, body, headers = (sys.argv[4], sys.argv[5].encode(), json.loads(sys.argv[6])) if len(sys.argv) > 4 else (
        "GET", None, {})
    try:
        connection.request(method, sys.argv[2], body=body, headers=headers)
        response = connection.getresponse()
        print(json.dumps({"status": response.status, "headers": dict(response.getheaders()),
                          "body": response.read().decode()}) if len(sys.argv) > 4 else response.status)
    except OSError as error:
        print(f"error: {error}")
    """
)
# Where the region's DynamoDB answers inside the task's network namespace (a moto server the launcher starts).
DYNAMODB_ENDPOINT = "http://127.0.0.1:4566"


class ContractError(AssertionError):
    """The task definition and the image cannot run together as Fargate would run them."""


def privileged(command: list[str]) -> list[str]:
    """`command` as root: directly when this process is root, else through passwordless sudo."""
    return command if os.geteuid() == 0 else ["sudo", "-n", *command]


@dataclass(frozen=True)
class TaskContainer:
    """One container of a synthesized task definition, as ECS reads it."""

    name: str
    user: str | None
    read_only_root: bool
    mounts: tuple[str, ...]
    environment: Mapping[str, str]
    secrets: tuple[str, ...]
    health_check: tuple[str, ...] | None
    stop_timeout: int
    port: int
    init: bool
    # Linux capabilities the task definition drops (`ALL`, or names such as `NET_RAW`).
    dropped_capabilities: tuple[str, ...] = ()

    @property
    def capability_arguments(self) -> list[str]:
        """setpriv's arguments that drop the same capabilities from every process of the container, as the
        container runtime does before it starts the command."""
        if not self.dropped_capabilities:
            return []
        names = ",".join("-" + name.lower().removeprefix("cap_") for name in self.dropped_capabilities)
        return [f"--bounding-set={names}", f"--inh-caps={names}"]

    @classmethod
    def from_task_definition(cls, properties: Mapping[str, Any], name: str | None = None) -> TaskContainer:
        definitions = properties["ContainerDefinitions"]
        chosen = [d for d in definitions if (d["Name"] == name if name else d.get("Essential", True))]
        if len(chosen) != 1:
            raise ContractError(f"no single container {name or '(essential)'} in {[d['Name'] for d in definitions]}")
        (definition,) = chosen
        volumes = {volume["Name"]: volume for volume in properties.get("Volumes", [])}
        mounts = []
        for mount in definition.get("MountPoints", []):
            volume = volumes[mount["SourceVolume"]]
            if set(volume) != {"Name"}:
                raise ContractError(f"volume {volume['Name']} is not a Fargate bind mount: {volume}")
            mounts.append(mount["ContainerPath"])
        check = definition.get("HealthCheck", {}).get("Command")
        return cls(
            name=definition["Name"],
            user=definition.get("User"),
            read_only_root=bool(definition.get("ReadonlyRootFilesystem", False)),
            mounts=tuple(mounts),
            environment={item["Name"]: str(item["Value"]) for item in definition.get("Environment", [])},
            secrets=tuple(item["Name"] for item in definition.get("Secrets", [])),
            health_check=tuple(check) if check else None,
            stop_timeout=int(definition.get("StopTimeout", 30)),
            port=int(definition["PortMappings"][0]["ContainerPort"]),
            init=bool(definition.get("LinuxParameters", {}).get("InitProcessEnabled", False)),
            dropped_capabilities=tuple(definition.get("LinuxParameters", {}).get("Capabilities", {}).get("Drop", [])),
        )


@dataclass(frozen=True)
class BuildContext:
    """Where an image's files come from: its build context, and a host folder for each path COPY takes
    from another stage (the equivalent of that stage's output)."""

    directory: Path
    stages: Mapping[tuple[str, str], Path]

    def source(self, stage: str | None, path: str) -> Path:
        if stage is None:
            return self.directory / path
        found = self.stages.get((stage, path))
        if found is None:
            raise ContractError(f"COPY --from={stage} {path}: no host folder stands in for it")
        return found


def numeric_user(user: str, image: Image) -> tuple[int, int]:
    name, _, group = user.partition(":")
    if name.isdigit():
        return int(name), int(group) if group.isdigit() else int(name)
    if name in image.users:
        return image.users[name]
    raise ContractError(f"user {user!r} is neither numeric nor created by the Dockerfile")


class FargateTask:
    """One task of one container, started with `start()`, stopped with `stop()` (SIGTERM, as ECS does)."""

    def __init__(
        self,
        container: TaskContainer,
        image: Image,
        build: BuildContext,
        workspace: Path,
        *,
        region: str,
        secret_value: str = "contract-test-secret",
        dynamodb_tables: tuple[str, ...] = (),
    ) -> None:
        self.container = container
        self.image = image
        self.build = build
        self.workspace = workspace
        self.uid, self.gid = numeric_user(container.user or image.user, image)
        self.environment = {
            **image.environment,
            **ECS_VARIABLES,
            "HOME": "/",
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
            **container.environment,
            **dict.fromkeys(container.secrets, secret_value),
        }
        self.dynamodb_tables = dynamodb_tables
        if dynamodb_tables:
            # What ECS provides through the task role's credentials endpoint, and the region's DynamoDB endpoint.
            self.environment |= {"AWS_ENDPOINT_URL_DYNAMODB": DYNAMODB_ENDPOINT, "AWS_ACCESS_KEY_ID": "task-role",
                                 "AWS_SECRET_ACCESS_KEY": "task-role"}  # fmt: skip
        self.process: subprocess.Popen[bytes] | None = None
        self.log = workspace / "container.log"
        self.pid_file = workspace / "container.pid"

    def layout(self) -> list[dict[str, Any]]:
        entries: list[dict[str, Any]] = []
        for name in HOST_TREES:
            host = Path("/") / name
            if host.is_symlink():
                entries.append({"kind": "symlink", "path": f"/{name}", "target": os.readlink(host)})
            elif host.is_dir():
                entries.append({"kind": "bind", "path": f"/{name}", "source": str(host), "read_only": True})
        entries += [{"kind": "dir", "path": path} for path in ("/var", "/run", "/home", "/srv", "/opt")]
        entries += [
            {"kind": "bind", "path": "/dev", "source": "/dev", "recursive": True},
            {"kind": "proc", "path": "/proc"},
        ]
        entries += self._accounts()
        entries += self._python()
        entries += self._copies()
        entries += self._mounts()
        return entries

    def _accounts(self) -> list[dict[str, Any]]:
        """/etc/passwd and /etc/group with the users and groups the Dockerfile creates."""
        passwd = Path("/etc/passwd").read_text() + "".join(
            f"{name}:x:{uid}:{gid}::/nonexistent:/usr/sbin/nologin\n" for name, (uid, gid) in self.image.users.items()
        )
        group = Path("/etc/group").read_text() + "".join(
            f"{name}:x:{gid}:\n" for name, gid in self.image.groups.items()
        )
        entries = []
        for name, text in (("passwd", passwd), ("group", group)):
            path = self.workspace / name
            path.write_text(text)
            path.chmod(0o644)
            entries.append({"kind": "bind", "path": f"/etc/{name}", "source": str(path), "read_only": True})
        return entries

    def _python(self) -> list[dict[str, Any]]:
        """This interpreter where the official Python images keep theirs, without its installed packages."""
        prefix = Path(sys.base_prefix)
        version = f"python{sys.version_info.major}.{sys.version_info.minor}"
        executable = prefix / "bin" / version
        links = {f"/bin/{name}": str(executable) for name in ("python", "python3", version)}
        entries: list[dict[str, Any]] = [
            {
                "kind": "tmpfs",
                "path": "/usr/local",
                "uid": 0,
                "gid": 0,
                "mode": "0755",
                "links": links,
                "read_only": True,
            }
        ]
        if not prefix.is_relative_to("/usr"):
            entries.append({"kind": "dir", "path": str(prefix)})
            entries.append({"kind": "bind", "path": str(prefix), "source": str(prefix), "read_only": True})
        packages = prefix / "lib" / version / "site-packages"
        if packages.is_dir():
            entries.append(
                {"kind": "tmpfs", "path": str(packages), "uid": 0, "gid": 0, "mode": "0755", "read_only": True}
            )
        return entries

    def _copies(self) -> list[dict[str, Any]]:
        entries: list[dict[str, Any]] = []
        for copy in self.image.copies:
            into_directory = copy.destination.endswith("/") or len(copy.sources) > 1
            for source in copy.sources:
                host = self.build.source(copy.stage, source)
                if not host.exists():
                    raise ContractError(f"COPY source {host} does not exist")
                destination = (
                    PurePosixPath(copy.destination) / host.name if into_directory else PurePosixPath(copy.destination)
                )
                entries.append({"kind": "dir", "path": str(destination.parent)})
                entries.append({"kind": "bind", "path": str(destination), "source": str(host), "read_only": True})
        return entries

    def _mounts(self) -> list[dict[str, Any]]:
        """Each task mount as Fargate creates it: root 0755, or the image's declared VOLUME directory."""
        entries = []
        for path in self.container.mounts:
            uid, gid, mode = 0, 0, 0o755
            if path in self.image.volumes:
                declared = self.image.volumes[path]
                if declared is None or not declared.complete:
                    raise ContractError(
                        f"VOLUME {path}: the Dockerfile declares it but does not state its owner and mode "
                        f"before the VOLUME line ({declared or 'nothing'}); Fargate copies whatever the image has"
                    )
                uid, gid, mode = declared.uid, declared.gid, declared.mode  # type: ignore[assignment]
            entries.append({"kind": "tmpfs", "path": path, "uid": uid, "gid": gid, "mode": f"{mode:04o}"})
        return entries

    def start(self) -> None:
        root = self.workspace / "root"
        root.mkdir()
        spec = {
            "root": str(root),
            "layout": self.layout(),
            "read_only_root": self.container.read_only_root,
            "workdir": self.image.workdir,
            "uid": self.uid,
            "gid": self.gid,
            "environment": self.environment,
            "argv": self.image.argv,
            "init": self.container.init,
            "capabilities": self.container.capability_arguments,
            "task_address": TASK_ADDRESS,
            "pid_file": str(self.pid_file),
            "dynamodb": {
                "python": sys.executable,
                "endpoint": DYNAMODB_ENDPOINT,
                "tables": list(self.dynamodb_tables),
                "pid_file": str(self.workspace / "dynamodb.pid"),
                "region": self.environment["AWS_REGION"],
            }
            if self.dynamodb_tables
            else None,
        }
        spec_path = self.workspace / "spec.json"
        spec_path.write_text(json.dumps(spec))
        with self.log.open("wb") as output:
            self.process = subprocess.Popen(
                privileged(["unshare", "--mount", "--net", "--", sys.executable, str(LAUNCHER), str(spec_path)]),
                stdout=output,
                stderr=subprocess.STDOUT,
            )

    @property
    def pid(self) -> int:
        """The container command's PID (under the init, when the task has one)."""
        assert self.process is not None, "start() first"
        deadline = time.monotonic() + 10
        while not self.pid_file.exists() or not self.pid_file.read_text():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise ContractError(f"container did not start: exit {self.process.poll()}:\n{self.output()}")
            time.sleep(0.02)
        return int(self.pid_file.read_text())

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def https_status(self, path: str, address: str = TASK_ADDRESS) -> str:
        """GET https://ADDRESS:PORT{path} as the ALB does, from the task's network to its address: the status
        code, or the error."""
        probe = [sys.executable, "-c", PROBE, address, path, str(self.container.port)]
        result = subprocess.run(
            privileged(["nsenter", f"--target={self.pid}", "--net", "--", *probe]),
            capture_output=True,
            text=True,
            timeout=10,
        )
        return result.stdout.strip() or result.stderr.strip()

    def post_json(self, path: str, body: str, headers: Mapping[str, str]) -> dict[str, Any]:
        """POST `body` to https://TASK_ADDRESS:PORT{path} from the task's network, as the ALB forwards it."""
        probe = [sys.executable, "-c", PROBE, TASK_ADDRESS, path, str(self.container.port), "POST", body,
                 json.dumps({"Content-Type": "application/json", **headers})]  # fmt: skip
        result = subprocess.run(
            privileged(["nsenter", f"--target={self.pid}", "--net", "--", *probe]),
            capture_output=True,
            text=True,
            timeout=15,
        )
        answer = result.stdout.strip()
        if not answer.startswith("{"):
            raise ContractError(f"POST {path}: {answer or result.stderr.strip()}\n{self.output()}")
        reply: dict[str, Any] = json.loads(answer)
        return reply

    def wait_until_serving(self, path: str, timeout: float, address: str = TASK_ADDRESS) -> str:
        """Poll `path` at `address` until it answers or the container exits; the last answer."""
        deadline = time.monotonic() + timeout
        answer = ""
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise ContractError(f"container exited with {self.process.returncode}:\n{self.output()}")
            answer = self.https_status(path, address)
            if answer.isdigit():
                return answer
            time.sleep(0.05)
        return answer

    def run_health_check(self) -> subprocess.CompletedProcess[str]:
        """The container health check, run inside the container as ECS runs it (CMD exec form or CMD-SHELL)."""
        command = self.container.health_check
        if not command:
            raise ContractError("the task definition has no container health check")
        kind, *arguments = command
        return self.exec(arguments if kind == "CMD" else ["/bin/sh", "-c", *arguments])

    def exec(self, argv: list[str]) -> subprocess.CompletedProcess[str]:
        """Run `argv` inside the running container, as its user, with its environment."""
        enter = ["nsenter", f"--target={self.pid}", "--mount", "--net", "--root", "--wd"]
        variables = [f"{key}={value}" for key, value in self.environment.items()]
        drop = ["/usr/bin/setpriv", f"--reuid={self.uid}", f"--regid={self.gid}", "--clear-groups",
                *self.container.capability_arguments, "--"]  # fmt: skip
        return subprocess.run(
            privileged([*enter, "--", "/usr/bin/env", "-i", *variables, *drop, *argv]),
            capture_output=True,
            text=True,
            timeout=30,
        )

    def stop(self) -> tuple[int | None, float]:
        """SIGTERM to the container's first process, as ECS sends it, then wait up to the stop timeout:
        (exit code or None if still running, seconds taken)."""
        assert self.process is not None
        started = time.monotonic()
        subprocess.run(privileged(["kill", "-TERM", str(self.process.pid)]), check=True)
        try:
            code = self.process.wait(timeout=self.container.stop_timeout)
        except subprocess.TimeoutExpired:
            code = None
        return code, time.monotonic() - started

    def kill(self) -> None:
        dynamodb = self.workspace / "dynamodb.pid"
        if dynamodb.exists() and dynamodb.read_text():
            subprocess.run(privileged(["kill", "-KILL", dynamodb.read_text()]), check=False)
            dynamodb.unlink()
        if self.process is not None and self.process.poll() is None:
            if self.pid_file.exists() and self.pid_file.read_text():
                subprocess.run(privileged(["kill", "-KILL", self.pid_file.read_text()]), check=False)
            subprocess.run(privileged(["kill", "-KILL", str(self.process.pid)]), check=False)
            self.process.wait(10)

    def close(self) -> None:
        self.kill()
        shutil.rmtree(self.workspace / "root", ignore_errors=True)


def signal_name(code: int | None) -> str:
    if code is None:
        return "still running"
    return f"killed by {signal.Signals(-code).name}" if code < 0 else f"exit {code}"
