"""Every setting is in one catalogue: overridable with `-c config.NAME=VALUE` and described in the README table."""

from __future__ import annotations

import dataclasses

import pytest

from settings import PROFILES, ComputeSettings, EnvironmentConfig
from settings.catalog import by_name, catalog, default_of, value_of, with_values
from settings.profiles import DEFAULT_PROFILE
from settings.sections import Section

DEV = PROFILES[DEFAULT_PROFILE]


def test_every_setting_says_what_it_does_and_what_is_allowed() -> None:
    for setting in catalog():
        assert setting.help, setting.name
        assert setting.allowed, setting.name


def test_setting_names_are_unique_and_sections_are_not_settings_themselves() -> None:
    names = [setting.name for setting in catalog()]
    assert len(names) == len(set(names))
    sections = {f.name for f in dataclasses.fields(EnvironmentConfig) if isinstance(getattr(DEV, f.name), Section)}
    assert sections >= {"network", "compute", "retention", "edge", "alerting", "disaster_recovery", "tls"}
    assert not sections & set(names)


@pytest.mark.parametrize("name", sorted(by_name()))
def test_each_setting_is_read_and_written_at_the_same_place(name: str) -> None:
    sentinel = object()
    changed = with_values(PROFILES[DEFAULT_PROFILE], {name: sentinel})
    assert value_of(changed, by_name()[name]) is sentinel


def test_with_values_changes_only_the_named_settings() -> None:
    dev = PROFILES[DEFAULT_PROFILE]
    changed = with_values(dev, {"task_cpu": 1024, "waf_rate_limit": 500, "tls.domain_name": "pay.dev.example.com"})
    assert (changed.compute.task_cpu, changed.edge.waf_rate_limit) == (1024, 500)
    assert changed.tls.domain_name == "pay.dev.example.com"
    assert dataclasses.replace(changed, compute=dev.compute, edge=dev.edge, tls=dev.tls) == dev


def test_defaults_are_the_sections_own() -> None:
    settings = by_name()
    assert default_of(settings["task_cpu"]) == ComputeSettings().task_cpu
    assert default_of(settings["tls.domain_name"]) is None
    assert default_of(settings["region"]) is dataclasses.MISSING
