"""Runs as root inside fresh mount and network namespaces: lays out the container's filesystem as Fargate
would, then becomes the task's user and executes the container's command. Started by `fargate.FargateTask`
as `unshare --mount --net -- python launch.py SPEC.json`; the process keeps its PID through every exec, so
the caller's PID is the container's.
"""

from __future__ import annotations

import fcntl
import json
import os
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
    os.chroot(root)
    os.chdir(spec["workdir"])
    command = ["setpriv", f"--reuid={spec['uid']}", f"--regid={spec['gid']}", "--clear-groups", "--", *spec["argv"]]
    os.execve("/usr/bin/setpriv", command, spec["environment"])


if __name__ == "__main__":
    main(sys.argv[1])
