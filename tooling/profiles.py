"""The Makefile's and `.ci/run`'s view of the profiles, so that neither keeps its own list of profiles or regions.

`python -m tooling.profiles names` prints every profile, `default` the default one, `region NAME [CDK_ARGS...]` its
region (as `-c config.region=` overrides it), and `check NAME [CDK_ARGS...]` validates what `make synth|diff|deploy`
is about to run before anything is deleted or called: the profile with its overrides (exit 2 and one line per
mistake, as synth would say it), overrides given once each, and no second way to choose the profile.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence

from settings import PROFILES, ConfigError, resolve_config
from settings.profiles import DEFAULT_PROFILE
from tooling.synthesis import cdk_context

USAGE = "usage: python -m tooling.profiles names | default | region NAME [CDK_ARGS...] | check NAME [CDK_ARGS...]"
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


def check(name: str, arguments: Sequence[str], environ: Mapping[str, str]) -> list[str]:
    """What is wrong with `make … ENV=name CDK_ARGS=arguments`, one line each (nothing: go ahead)."""
    if name not in PROFILES:
        return [f"ENV={name!r} is not a profile; give one of {', '.join(PROFILES)}"]
    try:
        given = overrides(arguments)
    except ConfigError as error:
        return error.problems
    if given.get("env", name) != name:
        return [f"CDK_ARGS: -c env={given['env']} conflicts with ENV={name}; choose the profile with ENV alone"]
    given.pop("env", None)
    suffix = environ.get(SUFFIX_VARIABLE)
    if suffix and suffix != name:
        return [f"ENV={name} and {SUFFIX_VARIABLE}={suffix} disagree; give one of them"]
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


def main(arguments: list[str]) -> int:
    match arguments:
        case ["names"]:
            print(" ".join(PROFILES))
        case ["default"]:
            print(DEFAULT_PROFILE)
        case ["region", name, *rest]:
            print(region(name, rest))
        case ["check", name, *rest]:
            problems = check(name, rest, os.environ)
            for problem in problems:
                print(f"error: {problem}", file=sys.stderr)
            return 2 if problems else 0
        case _:
            print(USAGE, file=sys.stderr)
            return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
