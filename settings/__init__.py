"""Configuration: the environment profiles, their sections, their validation, and how app.py picks one.

The bottom layer: imports nothing of the rest of the app, and nothing of the CDK.
"""

from settings.environment import EnvironmentConfig
from settings.errors import ConfigError
from settings.profiles import PROFILES
from settings.resolve import resolve_config
from settings.sections import (
    AlertingSettings,
    AuditLockMode,
    ClientAuthentication,
    ComputeSettings,
    CpuArchitecture,
    DataClassification,
    DisasterRecoverySettings,
    EdgeSettings,
    GovernanceMode,
    LedgerSettings,
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
    "AuditLockMode",
    "ClientAuthentication",
    "ComputeSettings",
    "ConfigError",
    "CpuArchitecture",
    "DataClassification",
    "DisasterRecoverySettings",
    "EdgeSettings",
    "EnvironmentConfig",
    "GovernanceMode",
    "LedgerSettings",
    "NetworkSettings",
    "RetentionSettings",
    "Role",
    "Sidecar",
    "StandbyMode",
    "TlsSettings",
    "resolve_config",
]
