"""Runs as root inside fresh mount and network namespaces: lays out the container's filesystem as Fargate
would, gives the namespace a task address beside loopback (the awsvpc ENI the ALB connects to), then becomes
the task's user and executes the container's command. Started by `fargate.FargateTask` as
`unshare --mount --net -- python launch.py SPEC.json`.

With `init` (the task's InitProcessEnabled), this process stays as the container's init, as ECS's tini does:
it forwards SIGTERM and SIGINT to the command and exits with its status. The command's PID is written to
`pid_file` either way, for `nsenter`.
"""

from __future__ import annotations

import fcntl
import json
import os
import signal
import socket
import struct
import subprocess
import sys
from typing import Any

SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1


def mount(*arguments: str) -> None:
    subprocess.run(["mount", *arguments], check=True)


def loopback_up() -> None:
    """awsvpc gives the task its own network namespace; its loopback is up."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("16sh", b"lo", 0)
        flags = struct.unpack("16sh", fcntl.ioctl(sock, SIOCGIFFLAGS, request))[1]
        fcntl.ioctl(sock, SIOCSIFFLAGS, struct.pack("16sh", b"lo", flags | IFF_UP))


def task_address(address: str) -> None:
    """The task's private address, where the ALB connects (the awsvpc ENI's). Added to the namespace's only
    interface, loopback: a server bound to 127.0.0.1 still does not accept connections to it, as on Fargate."""
    subprocess.run(["ip", "addr", "add", f"{address}/32", "dev", "lo"], check=True)


def start_dynamodb(spec: dict[str, Any]) -> None:
    """The region's DynamoDB, as the task reaches it: a moto server on the namespace's loopback, with the
    tables the task's stacks would have created."""
    port = spec["endpoint"].rsplit(":", 1)[1]
    server = subprocess.Popen(
        [spec["python"], "-m", "moto.server", "-H", "127.0.0.1", "-p", port],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    with open(spec["pid_file"], "w") as file:
        file.write(str(server.pid))
    create = (
        "import boto3, sys, time\n"
        "client = boto3.client('dynamodb', endpoint_url=sys.argv[1], region_name=sys.argv[2],"
        " aws_access_key_id='x', aws_secret_access_key='x')\n"
        "for attempt in range(100):\n"
        "    try:\n"
        "        client.list_tables(); break\n"
        "    except Exception:\n"
        "        time.sleep(0.05)\n"
        "for table in sys.argv[3:]:\n"
        "    client.create_table(TableName=table, KeySchema=[{'AttributeName': 'pk', 'KeyType': 'HASH'}],"
        " AttributeDefinitions=[{'AttributeName': 'pk', 'AttributeType': 'S'}], BillingMode='PAY_PER_REQUEST')\n"
    )
    subprocess.run([spec["python"], "-c", create, spec["endpoint"], spec["region"], *spec["tables"]], check=True)


def lay_out(root: str, entry: dict[str, Any]) -> None:
    target = root + entry["path"]
    kind = entry["kind"]
    if kind == "dir":
        os.makedirs(target, mode=0o755, exist_ok=True)
    elif kind == "symlink":
        os.symlink(entry["target"], target)
    elif kind == "bind":
        if os.path.isdir(entry["source"]):
            os.makedirs(target, exist_ok=True)
        elif not os.path.exists(target):
            open(target, "w").close()  # a file mount point
        mount("--rbind" if entry.get("recursive") else "--bind", entry["source"], target)
        if entry.get("read_only"):
            mount("-o", "remount,bind,ro", target)
    elif kind == "tmpfs":
        os.makedirs(target, exist_ok=True)
        mount(
            "-t", "tmpfs", "-o", f"mode={entry['mode']},uid={entry['uid']},gid={entry['gid']},size=64m", "tmpfs", target
        )
        for name, link in entry.get("links", {}).items():
            os.makedirs(os.path.dirname(target + name), exist_ok=True)
            os.symlink(link, target + name)
        if entry.get("read_only"):
            mount("-o", "remount,ro", target)
    elif kind == "proc":
        os.makedirs(target, exist_ok=True)
        mount("-t", "proc", "proc", target)
    else:
        raise ValueError(f"unknown layout entry {kind!r}")


def main(spec_path: str) -> None:
    with open(spec_path) as file:
        spec = json.load(file)
    root = spec["root"]
    mount("-t", "tmpfs", "-o", "mode=0755,size=16m", "tmpfs", root)
    for entry in spec["layout"]:
        lay_out(root, entry)
    if spec["read_only_root"]:
        mount("-o", "remount,ro", root)
    loopback_up()
    task_address(spec["task_address"])
    if spec.get("dynamodb"):
        start_dynamodb(spec["dynamodb"])
    user = [f"--reuid={spec['uid']}", f"--regid={spec['gid']}", "--clear-groups", *spec["capabilities"]]
    command = ["setpriv", *user, "--", *spec["argv"]]
    if not spec["init"]:
        with open(spec["pid_file"], "w") as file:
            file.write(str(os.getpid()))
        enter(root, spec, command)
    children: list[int] = []

    def forward(number: int, _frame: object) -> None:
        for pid in children:
            os.kill(pid, number)

    for forwarded in (signal.SIGTERM, signal.SIGINT):
        # Installed before the fork; exec resets them in the child.
        signal.signal(forwarded, forward)
    child = os.fork()
    if child == 0:
        enter(root, spec, command)
    children.append(child)
    with open(spec["pid_file"], "w") as file:
        file.write(str(child))
    _, status = os.waitpid(child, 0)
    code = os.waitstatus_to_exitcode(status)
    sys.exit(code if code >= 0 else 128 - code)


def enter(root: str, spec: dict[str, Any], command: list[str]) -> None:
    """Become the container's command: its root, working directory, user and environment."""
    os.chroot(root)
    os.chdir(spec["workdir"])
    os.execve("/usr/bin/setpriv", command, spec["environment"])


if __name__ == "__main__":
    main(sys.argv[1])
