"""Every setting by its flat name (`task_cpu`, `tls.domain_name`): where it lives, its type, what it does.

One list serves `-c config.NAME=VALUE` overrides (`settings/resolve.py`) and the generated settings table of
the README (`tooling/settings_table.py`), so a new field of a section is settable and documented at once.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from settings.environment import EnvironmentConfig


@dataclass(frozen=True)
class Setting:
    name: str
    # The EnvironmentConfig attribute of the section holding it; None for the environment's own fields.
    section: str | None
    # The dataclass that declares it.
    owner: type
    field: str
    hint: Any
    help: str
    allowed: str
    cli: bool


def catalog() -> list[Setting]:
    """Every setting, the environment's own first, then section by section."""
    top_hints = typing.get_type_hints(EnvironmentConfig)
    found: list[Setting] = []
    sections: list[tuple[str, Any]] = []
    for field in dataclasses.fields(EnvironmentConfig):
        hint = top_hints[field.name]
        if "help" in field.metadata and field.name != "tls":
            found.append(_setting(field.name, None, EnvironmentConfig, field, hint))
        elif dataclasses.is_dataclass(hint) or field.name == "tls":
            sections.append((field.name, hint))
    for attribute, section_type in sections:
        hints = typing.get_type_hints(section_type)
        for field in dataclasses.fields(section_type):
            name = f"tls.{field.name}" if attribute == "tls" else field.name
            found.append(_setting(name, attribute, section_type, field, hints[field.name]))
    return found


def _setting(name: str, section: str | None, owner: type, field: dataclasses.Field[Any], hint: Any) -> Setting:
    return Setting(
        name=name,
        section=section,
        owner=owner,
        field=field.name,
        hint=hint,
        help=field.metadata["help"],
        allowed=field.metadata["allowed"],
        cli=field.metadata["cli"],
    )


def by_name() -> dict[str, Setting]:
    return {setting.name: setting for setting in catalog()}


def value_of(config: EnvironmentConfig, setting: Setting) -> Any:
    holder = config if setting.section is None else getattr(config, setting.section)
    return getattr(holder, setting.field)


def default_of(setting: Setting) -> Any:
    """The default value, or dataclasses.MISSING where the profile must give one."""
    return {f.name: f for f in dataclasses.fields(setting.owner)}[setting.field].default


def with_values(config: EnvironmentConfig, values: Mapping[str, Any]) -> EnvironmentConfig:
    """`config` with the settings named in `values` replaced."""
    settings = by_name()
    top: dict[str, Any] = {}
    per_section: dict[str, dict[str, Any]] = {}
    for name, value in values.items():
        setting = settings[name]
        if setting.section is None:
            top[setting.field] = value
        else:
            per_section.setdefault(setting.section, {})[setting.field] = value
    for attribute, changes in per_section.items():
        top[attribute] = dataclasses.replace(getattr(config, attribute), **changes)
    return dataclasses.replace(config, **top)


def values(config: EnvironmentConfig) -> Iterator[tuple[Setting, Any]]:
    for setting in catalog():
        yield setting, value_of(config, setting)
