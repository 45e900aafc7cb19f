"""The Makefile's and `.ci/run`'s view of the profiles, so that neither keeps its own list of profiles or regions.

`python -m tooling.profiles names` prints every profile, `default` the default one, `region NAME [CDK_ARGS...]` its
region (as `-c config.region=` overrides it), and `check NAME [CDK_ARGS...]` validates what `make synth|diff|deploy`
is about to run before anything is deleted or called: the profile with its overrides (exit 2 and one line per
mistake, as synth would say it), overrides given once each, and no second way to choose the profile.
"""

from __future__ import annotations

import os
import re
import shlex
import sys
from collections.abc import Mapping, Sequence

from settings import PROFILES, ConfigError, resolve_config
from settings.profiles import DEFAULT_PROFILE
from settings.resolve import meant_override

# The make variables check reads from the environment (never from a command line they were pasted into).
APPROVALS = ("never", "any-change", "broadening")
# What lets a shell run something else when make pastes the words into a command line.
SHELL_CONTROL = re.compile(r"[;&|`$<>()\n\\]")
# Construct IDs (Compute, Standby*), as the CDK CLI selects stacks.
STACK_WORD = re.compile(r"(--all|[A-Za-z*][A-Za-z0-9*-]*)\Z")
# CDK CLI options that would choose the profile, the app or the output behind the check's back, or repeat what make
# gives (APPROVAL).
CLI_OVERRIDES = ("-c", "--context", "-o", "--output", "-a", "--app", "--require-approval")
# The make variables each kind of target pastes into a command line (checked only where used).
USES = {
    "synth": ("CDK_CLI_ARGS",),
    "deploy": ("STACKS", "APPROVAL", "CDK_CLI_ARGS"),
    "change": ("STACKS", "CDK_CLI_ARGS"),
}
USAGE = (
    "usage: python -m tooling.profiles names | default | region NAME [CDK_ARGS...] | "
    "check [--for=synth|deploy|change|ops|preflight] NAME [CDK_ARGS...]"
)
SUFFIX_VARIABLE = "ENVIRONMENT_SUFFIX"


def overrides(arguments: Sequence[str]) -> dict[str, str]:
    """The `-c KEY=VALUE` (or `--context`) pairs of CDK_ARGS; ConfigError for anything else or a key given twice."""
    found: dict[str, str] = {}
    problems: list[str] = []
    items = iter(arguments)
    for token in items:
        if token in ("-c", "--context"):
            pair = next(items, None)
        elif token.startswith("--context="):
            pair = token.removeprefix("--context=")
        else:
            # The first only: what follows an option is its value, not a mistake of its own.
            raise ConfigError(
                [*problems, f"CDK_ARGS: {token!r} is not a -c KEY=VALUE override; CDK CLI options go in CDK_CLI_ARGS"]
            )
        if pair is None or "=" not in pair:
            problems.append(f"CDK_ARGS: {token} {pair or ''!s} is not -c KEY=VALUE".replace("  ", " "))
            continue
        key, _, value = pair.partition("=")
        if key in found:
            problems.append(f"CDK_ARGS: -c {key} is given twice ({found[key]!r}, {value!r}); give it once")
            continue
        found[key] = value
    if problems:
        raise ConfigError(problems)
    return found


def make_variables(environ: Mapping[str, str], uses: Sequence[str]) -> list[str]:
    """What is wrong with the make variables a target uses (`uses`), as make put them in the environment."""
    found: list[str] = []
    stacks = environ.get("STACKS", "--all")
    if "STACKS" in uses and (not stacks.split() or not all(STACK_WORD.match(word) for word in stacks.split())):
        found.append(f"STACKS={stacks!r}: give --all or stack IDs (Compute, Standby*: letters, digits, '-', '*')")
    approval = environ.get("APPROVAL", "broadening")
    if "APPROVAL" in uses and approval not in APPROVALS:
        found.append(f"APPROVAL={approval!r} is not one of {', '.join(APPROVALS)}")
    options = environ.get("CDK_CLI_ARGS", "")
    if "CDK_CLI_ARGS" in uses and options.strip():
        if SHELL_CONTROL.search(options):
            return [*found, f"CDK_CLI_ARGS={options!r} holds a shell control character; give plain options"]
        try:
            words = shlex.split(options)
        except ValueError as error:
            return [*found, f"CDK_CLI_ARGS={options!r}: {error}"]
        for word in words:
            option = word.split("=", 1)[0]
            if option in CLI_OVERRIDES or (option.startswith("-c") and not option.startswith("--")):
                found.append(
                    f"CDK_CLI_ARGS: {word!r} would choose the profile, app, output or approval behind the check; "
                    "settings go in CDK_ARGS, the profile in ENV, the approval in APPROVAL"
                )
                break
    return found


def check(
    name: str, arguments: Sequence[str], environ: Mapping[str, str], uses: Sequence[str] = (), resolve: bool = True
) -> list[str]:
    """What is wrong with `make … ENV=name CDK_ARGS=arguments`, one line each (nothing: go ahead). `uses`: the make
    variables the target pastes into a command line; `resolve`: also the profile with its overrides (the ops
    commands resolve it themselves, and report its mistakes in one line each, or preflight in its table)."""
    if name not in PROFILES:
        return [f"ENV={name!r} is not a profile; give one of {', '.join(PROFILES)}"]
    variables = make_variables(environ, uses)
    if variables:
        return variables
    try:
        given = overrides(arguments)
    except ConfigError as error:
        return error.problems
    strays = [key for key in given if key != "env" and not key.startswith("config.")]
    if strays:
        key = strays[0]
        meant = meant_override(key)
        hint = f"; did you mean -c {meant}?" if meant else ""
        return [f"CDK_ARGS: -c {key!r} is not a setting; a setting is given as -c config.NAME=VALUE{hint}"]
    if given.get("env", name) != name:
        return [f"CDK_ARGS: -c env={given['env']} conflicts with ENV={name}; choose the profile with ENV alone"]
    given.pop("env", None)
    suffix = environ.get(SUFFIX_VARIABLE)
    if suffix and suffix != name:
        return [f"ENV={name} and {SUFFIX_VARIABLE}={suffix} disagree; give one of them"]
    if not resolve:
        return []
    from tooling.synthesis import cdk_context  # aws_cdk: only where the profile is resolved

    try:
        resolve_config(
            cdk_context() | given | {"env": name}, {k: v for k, v in environ.items() if k != SUFFIX_VARIABLE}
        )
    except ConfigError as error:
        return error.problems
    return []


def region(name: str, arguments: Sequence[str]) -> str:
    """The region `make` gives the CDK CLI: the override's, else the profile's, else none (check says why)."""
    try:
        given = overrides(arguments)
    except ConfigError:
        given = {}
    if "config.region" in given:
        return given["config.region"]
    return PROFILES[name].region if name in PROFILES else ""


def report(problems: list[str]) -> int:
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    return 2 if problems else 0


def main(arguments: list[str]) -> int:
    match arguments:
        case ["names"]:
            print(" ".join(PROFILES))
        case ["default"]:
            print(DEFAULT_PROFILE)
        case ["region", name, *rest]:
            print(region(name, rest))
        case ["check", first, *rest] if first.startswith("--for="):
            kind = first.removeprefix("--for=")
            if kind not in (*USES, "ops", "preflight") or not rest:
                print(USAGE, file=sys.stderr)
                return 2
            return report(check(rest[0], rest[1:], os.environ, uses=USES.get(kind, ()), resolve=kind in USES))
        case ["check", name, *rest]:
            return report(check(name, rest, os.environ))
        case _:
            print(USAGE, file=sys.stderr)
            return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
