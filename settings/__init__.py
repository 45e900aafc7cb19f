"""Environment profiles, their validation and how app.py picks one."""

from settings.errors import ConfigError
from settings.profile import EnvironmentConfig, TlsSettings
from settings.profiles import PROFILES
from settings.resolve import resolve_config

__all__ = ["PROFILES", "ConfigError", "EnvironmentConfig", "TlsSettings", "resolve_config"]
