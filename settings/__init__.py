"""Configuration: the environment profiles, their sections, their validation, and how app.py picks one.

The bottom layer: imports nothing of the rest of the app, and nothing of the CDK.
"""

from settings.environment import EnvironmentConfig
from settings.errors import ConfigError
from settings.profiles import PROFILES
from settings.resolve import resolve_config
from settings.sections import (
    AlertingSettings,
    ComputeSettings,
    CpuArchitecture,
    DataClassification,
    DisasterRecoverySettings,
    EdgeSettings,
    NetworkSettings,
    RetentionSettings,
    Role,
    Sidecar,
    StandbyMode,
    TlsSettings,
)

__all__ = [
    "PROFILES",
    "AlertingSettings",
    "ComputeSettings",
    "ConfigError",
    "CpuArchitecture",
    "DataClassification",
    "DisasterRecoverySettings",
    "EdgeSettings",
    "EnvironmentConfig",
    "NetworkSettings",
    "RetentionSettings",
    "Role",
    "Sidecar",
    "StandbyMode",
    "TlsSettings",
    "resolve_config",
]
