"""What a Dockerfile's final stage tells about the container Fargate will run, without building it.

Read: ARG defaults, ENV, USER, WORKDIR, VOLUME, COPY (from the context or another stage), ENTRYPOINT and
CMD, and the ownership and mode RUN gives directories (`install -d`, `mkdir`, `chown`, `chmod`, and the
ids `groupadd`/`useradd` assign). Anything else in RUN changes no path this reading needs. A path whose
ownership the Dockerfile does not state is unknown, not guessed.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from pathlib import PurePosixPath

# Docker's own defaults for a base image that sets neither (python:*-slim sets PATH like this).
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


class DockerfileError(ValueError):
    """The Dockerfile uses a form this reader does not understand; the message names the line."""


@dataclass(frozen=True)
class Ownership:
    """Owner and mode of a directory; None where the Dockerfile does not state it."""

    uid: int | None = None
    gid: int | None = None
    mode: int | None = None

    @property
    def complete(self) -> bool:
        return None not in (self.uid, self.gid, self.mode)

    def __str__(self) -> str:
        mode = "????" if self.mode is None else f"{self.mode:04o}"
        return f"{self.uid if self.uid is not None else '?'}:{self.gid if self.gid is not None else '?'} {mode}"


@dataclass(frozen=True)
class Copy:
    """`COPY [--from=STAGE] SOURCE... DESTINATION` of the final stage."""

    sources: tuple[str, ...]
    destination: str
    stage: str | None


@dataclass
class Image:
    """The final stage as the container sees it."""

    environment: dict[str, str] = field(default_factory=lambda: {"PATH": DEFAULT_PATH})
    user: str = "0"
    workdir: str = "/"
    # VOLUME path -> the ownership the directory had when it was declared (None: not stated).
    volumes: dict[str, Ownership | None] = field(default_factory=dict)
    copies: list[Copy] = field(default_factory=list)
    entrypoint: list[str] = field(default_factory=list)
    command: list[str] = field(default_factory=list)
    # Users and groups the Dockerfile creates, by name, for /etc/passwd and for chown by name.
    users: dict[str, tuple[int, int]] = field(default_factory=dict)
    groups: dict[str, int] = field(default_factory=dict)
    directories: dict[str, Ownership] = field(default_factory=dict)

    @property
    def argv(self) -> list[str]:
        return self.entrypoint + self.command


def instructions(text: str) -> list[tuple[int, str, str]]:
    """(line number, INSTRUCTION, arguments), with continuation lines joined and comments dropped."""
    found: list[tuple[int, str, str]] = []
    pending, start = "", 0
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if pending and stripped.startswith("#"):
            continue
        if not pending:
            start = number
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        whole = pending + stripped
        pending = ""
        keyword, _, arguments = whole.partition(" ")
        found.append((start, keyword.upper(), arguments.strip()))
    return found


def _exec_form(arguments: str, where: str) -> list[str]:
    if arguments.startswith("["):
        value = json.loads(arguments)
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise DockerfileError(f"{where}: exec form must be a JSON list of strings")
        return value
    return ["/bin/sh", "-c", arguments]


def _substitute(value: str, variables: dict[str, str]) -> str:
    return re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: variables.get(m[1] or m[2], ""), value)


def read(text: str) -> Image:
    """The final stage of `text`."""
    arguments: dict[str, str] = {}
    image = Image()
    for number, keyword, rest in instructions(text):
        where = f"Dockerfile line {number} ({keyword})"
        if keyword == "ARG":
            name, _, default = rest.partition("=")
            arguments[name] = default
        elif keyword == "FROM":
            image = Image()  # a new stage; only the last one runs
        elif keyword == "ENV":
            image.environment.update(_environment(rest, image.environment | arguments, where))
        elif keyword == "USER":
            image.user = rest
        elif keyword == "WORKDIR":
            image.workdir = str(PurePosixPath(image.workdir) / rest)
        elif keyword == "VOLUME":
            paths = json.loads(rest) if rest.startswith("[") else rest.split()
            for path in map(_normal, paths):
                image.volumes[path] = image.directories.get(path)
        elif keyword == "COPY":
            image.copies.append(_copy(rest, where))
        elif keyword == "RUN":
            for command in _commands(rest):
                _apply(command, image, where)
        elif keyword == "ENTRYPOINT":
            image.entrypoint = _exec_form(rest, where)
            image.command = []
        elif keyword == "CMD":
            image.command = _exec_form(rest, where)
    for path, declared in image.volumes.items():
        if image.directories.get(path) != declared:
            raise DockerfileError(
                f"VOLUME {path}: its owner or mode changes after the VOLUME line ({declared} -> "
                f"{image.directories.get(path)}); BuildKit keeps such changes and the legacy builder discards them, "
                "so set them before the VOLUME line"
            )
    return image


def _environment(rest: str, variables: dict[str, str], where: str) -> dict[str, str]:
    words = shlex.split(rest)
    if words and "=" not in words[0]:
        if len(words) < 2:
            raise DockerfileError(f"{where}: ENV needs a value")
        return {words[0]: _substitute(" ".join(words[1:]), variables)}
    pairs: dict[str, str] = {}
    for word in words:
        key, _, value = word.partition("=")
        pairs[key] = _substitute(value, variables | pairs)
    return pairs


def _copy(rest: str, where: str) -> Copy:
    words = shlex.split(rest)
    stage = None
    while words and words[0].startswith("--"):
        flag = words.pop(0)
        if flag.startswith("--from="):
            stage = flag.removeprefix("--from=")
        elif flag.startswith(("--chown=", "--chmod=")):
            raise DockerfileError(f"{where}: {flag.split('=')[0]} is not read here; set ownership with RUN chown")
    if len(words) < 2:
        raise DockerfileError(f"{where}: COPY needs a source and a destination")
    return Copy(sources=tuple(words[:-1]), destination=words[-1], stage=stage)


def _commands(script: str) -> list[list[str]]:
    """The simple commands of a shell-form RUN, split at `&&`, `||` and `;`."""
    if script.startswith("["):
        return [json.loads(script)]
    lexer = shlex.shlex(script, posix=True, punctuation_chars=";&|")
    lexer.whitespace_split = True
    commands: list[list[str]] = [[]]
    for token in lexer:
        if token in ("&&", "||", ";", "|"):
            commands.append([])
        else:
            commands[-1].append(token)
    return [command for command in commands if command]


# Options that take a value, per command.
_VALUED = {
    "install": {"-o", "-g", "-m", "--owner", "--group", "--mode"},
    "mkdir": {"-m", "--mode"},
    "groupadd": {"-g", "--gid", "-K"},
    "useradd": {"-u", "-g", "-d", "-s", "-c", "-G", "-K", "--uid", "--gid", "--home-dir", "--shell", "--comment"},
}


def _options(program: str, words: list[str]) -> tuple[dict[str, str], list[str]]:
    valued = _VALUED.get(program, set())
    options: dict[str, str] = {}
    operands: list[str] = []
    iterator = iter(words)
    for word in iterator:
        if word.startswith("--") and "=" in word:
            key, _, value = word.partition("=")
            options[key] = value
        elif word.startswith("-") and word != "-":
            options[word] = next(iterator, "") if word in valued else ""
        else:
            operands.append(word)
    return options, operands


def _apply(command: list[str], image: Image, where: str) -> None:
    program, *words = command
    options, operands = _options(program, words)
    if program == "groupadd":
        if "--gid" in options or "-g" in options:
            image.groups[operands[-1]] = int(options.get("--gid") or options["-g"])
    elif program == "useradd":
        uid_text = options.get("--uid") or options.get("-u")
        group_text = options.get("--gid") or options.get("-g")
        if uid_text is not None and operands:
            default_gid = int(group_text) if group_text and group_text.isdigit() else int(uid_text)
            image.users[operands[-1]] = (int(uid_text), image.groups.get(group_text or "", default_gid))
    elif program == "install" and ("-d" in options or "--directory" in options):
        owner = options.get("-o") or options.get("--owner") or "0"
        uid, gid = _owner(owner, options.get("-g") or options.get("--group"), image, where)
        mode = _mode(options.get("-m") or options.get("--mode") or "755", where)
        for path in operands:
            image.directories[_normal(path)] = Ownership(uid, gid, mode)
    elif program == "mkdir":
        mode = _mode(options.get("-m") or options.get("--mode") or "755", where)
        for path in operands:
            image.directories.setdefault(_normal(path), Ownership(0, 0, mode))
    elif program == "chown":
        owner, *paths = operands
        user, _, group = owner.partition(":")
        uid, gid = _owner(user, group or None, image, where)
        for path in map(_normal, paths):
            image.directories[path] = Ownership(uid, gid, image.directories.get(path, Ownership()).mode)
    elif program == "chmod":
        mode_text, *paths = operands
        mode = _mode(mode_text, where)
        for path in map(_normal, paths):
            previous = image.directories.get(path, Ownership())
            image.directories[path] = Ownership(previous.uid, previous.gid, mode)


def _normal(path: str) -> str:
    return str(PurePosixPath(path))


def _mode(text: str, where: str) -> int:
    if not re.fullmatch(r"[0-7]{3,4}", text):
        raise DockerfileError(f"{where}: mode {text!r} is not read here; use an octal mode such as 0700")
    return int(text, 8)


def _owner(user: str, group: str | None, image: Image, where: str) -> tuple[int, int]:
    if user.isdigit():
        uid, default_gid = int(user), int(user)
    elif user in image.users:
        uid, default_gid = image.users[user]
    elif user == "root":
        uid, default_gid = 0, 0
    else:
        raise DockerfileError(f"{where}: user {user!r} is neither numeric nor created in this Dockerfile")
    if group is None:
        return uid, default_gid
    if group.isdigit():
        return uid, int(group)
    if group in image.groups:
        return uid, image.groups[group]
    raise DockerfileError(f"{where}: group {group!r} is neither numeric nor created in this Dockerfile")
