"""Pick and check the environment profile from CDK context and process variables.

Only app.py calls this, handing in the context and the environment it read; everything below
app.py sees the resulting `EnvironmentConfig` and nothing else.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from settings import catalog
from settings.environment import EnvironmentConfig
from settings.errors import ConfigError
from settings.profiles import DEFAULT_PROFILE, PROFILES

ENV_CONTEXT_KEY = "env"
ENV_VARIABLE = "ENVIRONMENT_SUFFIX"
# The variables a user sets to choose a region. Not CDK_DEFAULT_REGION: the CDK CLI sets it itself (to us-east-1 on
# a machine without AWS configuration), and the stacks name their region explicitly, so it cannot redirect a deploy.
REGION_VARIABLES = ("AWS_REGION", "AWS_DEFAULT_REGION")
ACCOUNT_VARIABLE = "CDK_DEFAULT_ACCOUNT"
OVERRIDE_PREFIX = "config."
WHOLE_NUMBER = re.compile(r"[+-]?[0-9]+")
# Beyond any setting's range, and what a JSON number keeps exactly (a double holds whole numbers to 2**53): a value
# past it is refused as given, not printed back as hundreds of digits (nor, past 4300 digits, a Python traceback).
LARGEST_WHOLE_NUMBER = 2**53


@dataclass(frozen=True)
class Resolution:
    config: EnvironmentConfig
    notices: tuple[str, ...]


def availability_zone_context_key(account: str, region: str) -> str:
    """The key under which `cdk.context.json` records the zones of an account and region."""
    return f"availability-zones:account={account}:region={region}"


def resolve_config(
    context: Mapping[str, Any], environ: Mapping[str, str], profiles: Mapping[str, EnvironmentConfig] = PROFILES
) -> Resolution:
    """The validated configuration for this synth, or a ConfigError that says what to change."""
    notices: list[str] = []
    name = _profile_name(context, environ, notices, profiles)
    profile = profiles[name]
    if profile.name != name:
        raise ConfigError(
            [f"environment {name!r}: name: {profile.name!r} differs from its key in PROFILES; make them the same"]
        )
    overrides = _overrides(context)
    if "account" in overrides and overrides["account"] is None:
        # Cleared with `-c config.account=`: a mistake, not a request for CDK_DEFAULT_ACCOUNT (a profile asks for
        # that with account=None).
        raise ConfigError(
            [
                f"account: -c {OVERRIDE_PREFIX}account={context.get(OVERRIDE_PREFIX + 'account')!r} is not a 12-digit "
                f"AWS account id; give one, or drop the override to use the profile's ({profile.account!r})"
            ]
        )
    account = overrides.pop("account", profile.account) or environ.get(ACCOUNT_VARIABLE) or None
    if account is None:
        raise ConfigError(
            [
                f"account: profile {name!r} names no account and {ACCOUNT_VARIABLE} is not set; "
                "set the account in the profile or run with credentials for the target account"
            ]
        )
    if "standby_region" in overrides and overrides["standby_region"] is None and profile.standby_region is not None:
        notices.append(
            f"notice: -c config.standby_region= removes {name}'s standby region ({profile.standby_region}): no "
            "disaster recovery for this synth"
        )
        if "standby_mode" not in overrides:
            # Clearing the standby region clears the standby: the profile's mode for it is moot, not a mistake.
            overrides["standby_mode"] = catalog.default_of(catalog.by_name()["standby_mode"])
    config = catalog.with_values(profile, overrides | {"account": account}).validated()
    mismatched = [
        f"{variable}={environ[variable]!r} disagrees with region {config.region!r} of environment {name!r}"
        for variable in REGION_VARIABLES
        if environ.get(variable) and environ[variable] != config.region
    ]
    if mismatched:
        raise ConfigError(
            [
                *mismatched,
                f"unset those variables or set them to {config.region!r}, "
                "so that synth and deploy target the same region",
            ]
        )
    az_count = config.network.az_count
    zones = _zones(context, account, config.region, az_count)
    standby_zones = _zones(context, account, config.standby_region, az_count) if config.standby_region else ()
    resolved = dataclasses.replace(config, availability_zones=zones, standby_availability_zones=standby_zones)
    return Resolution(config=resolved.validated(), notices=tuple(notices))


def _profile_name(
    context: Mapping[str, Any], environ: Mapping[str, str], notices: list[str], profiles: Mapping[str, Any]
) -> str:
    from_context = context.get(ENV_CONTEXT_KEY)
    if from_context is not None and (not isinstance(from_context, str) or not from_context):
        raise ConfigError([f"environment: -c {ENV_CONTEXT_KEY}={from_context!r} is not a profile name; use one of "
                           f"{sorted(profiles)}"])  # fmt: skip
    from_environ = environ.get(ENV_VARIABLE) or None
    if from_context is not None and from_environ is not None and from_context != from_environ:
        raise ConfigError(
            [
                f"environment: -c {ENV_CONTEXT_KEY}={from_context!r} and {ENV_VARIABLE}={from_environ!r} disagree; "
                "give one, or make them equal"
            ]
        )
    name = from_context or from_environ
    if name is None:
        notices.append(
            f"notice: no -c {ENV_CONTEXT_KEY}=NAME or {ENV_VARIABLE} given; using environment {DEFAULT_PROFILE!r}"
        )
        return DEFAULT_PROFILE
    if name not in profiles:
        raise ConfigError([f"environment: {name!r} is not a profile; use one of {sorted(profiles)}"])
    return str(name)


def _zones(context: Mapping[str, Any], account: str, region: str, az_count: int) -> tuple[str, ...]:
    key = availability_zone_context_key(account, region)
    zones = context.get(key)
    if zones is None:
        raise ConfigError(
            [
                f"availability zones: cdk.context.json has no list under {key!r}; synth makes no AWS lookups, so "
                f"add that key with the zone names of {region} (aws ec2 describe-availability-zones)"
            ]
        )
    if not isinstance(zones, list):
        raise ConfigError(
            [f"availability zones: {key!r} in cdk.context.json holds {zones!r}, not a list of zone names"]
        )
    strangers = [zone for zone in zones if not isinstance(zone, str)]
    if strangers:
        raise ConfigError(
            [f"availability zones: {key!r} in cdk.context.json lists {strangers}, which are not zone names (text)"]
        )
    if len(set(zones)) != len(zones):
        raise ConfigError(
            [f"availability zones: {key!r} in cdk.context.json lists {zones}, which repeats a zone; list each once"]
        )
    if len(zones) < az_count:
        raise ConfigError(
            [f"az_count: {az_count} zones wanted but cdk.context.json lists only {zones} for {account}/{region}"]
        )
    return tuple(sorted(zones)[:az_count])


def meant_override(key: str) -> str | None:
    """The `config.NAME` a key that is not written as an override most likely meant (`CONFIG.task_cpu`,
    ` config.task_cpu`, `MIN_TASKS`), or None when it names neither the prefix nor a setting."""
    meant = key.strip().casefold()
    if meant in {name.casefold() for name in catalog.by_name()}:
        return OVERRIDE_PREFIX + meant
    return meant if meant.startswith(OVERRIDE_PREFIX) else None


def _overrides(context: Mapping[str, Any]) -> dict[str, Any]:
    """`-c config.NAME=VALUE` context entries, by setting name, converted to the setting's type."""
    settings = catalog.by_name()
    allowed = sorted(name for name, s in settings.items() if s.cli)
    overrides: dict[str, Any] = {}
    # CDK would ignore any key not written exactly as it reads it: `-c CONFIG.task_cpu=300`, `-c " config.task_cpu=300"`
    # and `-c "config.task_cpu =300"` (the key then ends in a space) are refused with the right spelling.
    folded = {name.casefold(): name for name in settings}
    for key, raw in sorted(context.items()):
        normal = key.strip().casefold()
        if not normal.startswith(OVERRIDE_PREFIX):
            if normal in folded:  # `-c min_tasks=3`: a setting without its prefix would otherwise be ignored
                raise ConfigError(
                    [f"{key}: a setting is given as -c {OVERRIDE_PREFIX}{folded[normal]}=VALUE (-c {key!r} is ignored)"]
                )
            continue
        name = normal.removeprefix(OVERRIDE_PREFIX).strip()
        if name in folded and key != OVERRIDE_PREFIX + folded[name]:
            raise ConfigError(
                [f"{key!r}: write it {OVERRIDE_PREFIX}{folded[name]}, exactly so (lower case, no spaces); CDK passes "
                 "the key as written, and any other spelling would be ignored"]
            )  # fmt: skip
        setting = settings.get(key.removeprefix(OVERRIDE_PREFIX))
        if setting is None:
            close = difflib.get_close_matches(name, allowed, n=1, cutoff=0.6)
            hint = (
                f"did you mean {OVERRIDE_PREFIX}{close[0]}?"
                if close
                else "see the README's settings table (make settings-table) for every setting"
            )
            raise ConfigError([f"{key}: no such setting; {hint}"])
        if not setting.cli:
            raise ConfigError([f"{key}: set in the profile (settings/profiles.py), not with -c"])
        overrides[setting.name] = _convert(key, _command_line(setting.name, raw), setting.hint)
    return overrides


def _command_line(name: str, raw: Any) -> Any:
    """`CMD-SHELL,line` takes one command line, commas and all: from `-c`, everything after its first comma."""
    if name == "health_check_command" and isinstance(raw, str):
        kind, comma, line = raw.strip().partition(",")
        if kind.strip() == "CMD-SHELL" and comma and line.strip():
            return ["CMD-SHELL", line.strip()]
    return raw


def _convert(setting: str, raw: Any, hint: Any) -> Any:
    """A context value (a string from `-c`, or JSON from cdk.json) as the setting's Python type."""
    origin = typing.get_origin(hint)
    arguments = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType) and type(None) in arguments:
        if raw is None or raw == "":
            return None
        (hint,) = [argument for argument in arguments if argument is not type(None)]
        origin = typing.get_origin(hint)
    if origin is tuple:
        items = [item.strip() for item in raw.split(",")] if isinstance(raw, str) and raw.strip() else raw
        if isinstance(raw, str) and not raw.strip():
            items = []
        if isinstance(items, list) and any(isinstance(item, str) and not item for item in items):
            raise ConfigError([f"{setting}: {raw!r} has an empty item; separate items with single commas"])
        if not isinstance(items, list | tuple):
            raise ConfigError([f"{setting}: {raw!r} is not a comma-separated list"])
        item_type = typing.get_args(hint)[0]
        return tuple(_convert(setting, item, item_type) for item in items)
    if isinstance(hint, type) and issubclass(hint, StrEnum):
        allowed = [member.value for member in hint]
        if raw not in allowed:
            raise ConfigError([f"{setting}: {raw!r} is not one of {allowed}"])
        return hint(raw)
    if hint is bool:
        if isinstance(raw, bool):
            return raw
        if str(raw).lower() in ("true", "false"):
            return str(raw).lower() == "true"
        raise ConfigError([f"{setting}: {raw!r} is not true or false"])
    if hint is int:
        # ASCII digits only: int() would also take '1_000' and other scripts' digits (Arabic-Indic, full-width).
        if isinstance(raw, str) and WHOLE_NUMBER.fullmatch(raw.strip()):
            if len(raw.strip().lstrip("+-")) > len(str(LARGEST_WHOLE_NUMBER)):
                shown = (
                    raw.strip() if len(raw.strip()) <= 20 else f"{raw.strip()[:12]}… ({len(raw.strip())} characters)"
                )
                raise ConfigError([f"{setting}: {shown} is far beyond any setting's range"])
            return int(raw)
        if (
            isinstance(raw, int | float)
            and not isinstance(raw, bool)
            and not (isinstance(raw, float) and not raw.is_integer())
        ):
            if abs(raw) > LARGEST_WHOLE_NUMBER:
                shown = repr(raw) if isinstance(raw, float) else f"a number of {raw.bit_length()} bits"
                raise ConfigError([f"{setting}: {shown} is far beyond any setting's range"])
            return int(raw)
        if raw is None:
            # JSON null: also what a number too large for a double (1e400) becomes on its way through the CDK CLI.
            raise ConfigError([f"{setting}: null is not a whole number (a JSON number beyond 1.8e308 arrives as null)"])
        raise ConfigError([f"{setting}: {raw!r} is not a whole number"])
    # A JSON number is text only as a whole number (an account id written without quotes); true/false and
    # fractions are never the text a setting means.
    if isinstance(raw, str) or (isinstance(raw, int) and not isinstance(raw, bool)):
        return str(raw)
    raise ConfigError([f"{setting}: {raw!r} is not a text value"])
