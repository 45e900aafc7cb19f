"""An environment: who and where it is, and its configuration sections. Built in `settings/profiles.py`,
resolved and validated by `resolve_config` (the one gate: a mistake is a one-line error, never a traceback)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from settings.errors import ConfigError
from settings.limits import (
    ACCOUNT_PATTERN,
    ENV_NAME_PATTERN,
    REGION_PATTERN,
    S3_RESERVED_BUCKET_PREFIXES,
    TAG_VALUE_PATTERN,
    image_in_region,
    image_problems,
)
from settings.naming import REPLICATED_BUCKETS, PhysicalNames, too_long
from settings.regions import region_problems
from settings.sections import (
    AlertingSettings,
    ClientAuthentication,
    ComputeSettings,
    DataClassification,
    DisasterRecoverySettings,
    EdgeSettings,
    GovernanceMode,
    LedgerSettings,
    NetworkSettings,
    RetentionSettings,
    Role,
    StandbyMode,
    TlsSettings,
    coerce_enums,
    setting,
    type_problems,
)

MAX_BUCKET_NAME = 63  # S3


@dataclass(frozen=True)
class EnvironmentConfig:
    """Everything that differs between environments. A construct receives the section it needs."""

    name: str = setting(
        help="the environment",
        allowed="`[a-z0-9-]`, starting and ending with a letter or digit, short enough for every name it goes into "
        "(stack, web ACL, WAF metric and log group names)",
        cli=False,
    )
    region: str = setting(
        help="where the stacks deploy", allowed="an AWS region with its gateway prefix lists in `settings/regions.py`"
    )
    account: str | None = setting(help="the AWS account", allowed="12 digits, or `None` to take `CDK_DEFAULT_ACCOUNT`")
    cost_center: str = setting(help="`CostCenter` tag", allowed="1-256 tag-value characters")
    tls: TlsSettings = setting(help="the certificate", allowed="see `tls.*`", cli=False)
    service_name: str = setting("payments", help="prefix of every name", allowed="`[a-z0-9-]`")
    data_classification: DataClassification = setting(
        DataClassification.RESTRICTED,
        help="`DataClassification` tag",
        allowed="`internal`, `confidential`, `restricted`",
    )
    governance: GovernanceMode = setting(
        GovernanceMode.VERIFY,
        help="the account-level controls PCI DSS v4.0.1 asks for (a trail, AWS Config, Security Hub's PCI DSS "
        "standard, GuardDuty runtime monitoring, ECR scanning): `verify` when your organization runs them (make "
        "preflight checks each), `create` for an account without them (a Governance stack in each region)",
        allowed="`verify`, `create`",
    )
    termination_protection: bool = setting(
        False,
        help="Security stack termination protection and ALB deletion protection",
        allowed="`true`, `false`",
    )
    network: NetworkSettings = NetworkSettings()
    compute: ComputeSettings = ComputeSettings()
    retention: RetentionSettings = RetentionSettings()
    edge: EdgeSettings = EdgeSettings()
    alerting: AlertingSettings = AlertingSettings()
    disaster_recovery: DisasterRecoverySettings = DisasterRecoverySettings()
    ledger: LedgerSettings = LedgerSettings()
    # Resolved from cdk.context.json by `resolve_config`; never looked up.
    availability_zones: tuple[str, ...] = ()
    standby_availability_zones: tuple[str, ...] = ()
    # PRIMARY, or STANDBY for the configuration derived for the standby region (see `standby`).
    role: Role = Role.PRIMARY
    # A standby's: the primary's `min_tasks`, which it runs on demand once it serves (see `on_demand_base`).
    failover_min_tasks: int = 0

    @property
    def names(self) -> PhysicalNames:
        return PhysicalNames(service=self.service_name, environment=self.name)

    @property
    def tags(self) -> dict[str, str]:
        return {
            "Environment": self.name,
            "Service": self.service_name,
            "DataClassification": self.data_classification.value,
            "CostCenter": self.cost_center,
        }

    @property
    def standby_region(self) -> str | None:
        return self.disaster_recovery.standby_region

    @property
    def is_standby(self) -> bool:
        return self.role is Role.STANDBY

    @property
    def has_failover(self) -> bool:
        """Both regions answer for the service name through Route 53 failover records."""
        return self.standby_region is not None or self.is_standby

    @property
    def runs_idle(self) -> bool:
        """A pilot-light standby: no task until failover."""
        return self.is_standby and self.disaster_recovery.standby_mode is StandbyMode.PILOT_LIGHT

    @property
    def on_demand_base(self) -> int:
        """Tasks that run on Fargate on-demand before any goes to Spot: `min_tasks`, and in a standby the primary's
        minimum, so that after failover its first tasks never wait for Spot capacity."""
        return max(self.compute.min_tasks, self.failover_min_tasks)

    @property
    def standby_image(self) -> str | None:
        """The image the standby region runs: set, or the primary's replicated into the standby's registry."""
        recovery, image = self.disaster_recovery, self.compute.container_image
        if recovery.standby_container_image is not None or image is None or recovery.standby_region is None:
            return recovery.standby_container_image
        return image_in_region(image, recovery.standby_region)

    def standby(self) -> EnvironmentConfig:
        """The configuration of the standby region: same service, its own zones, keys, WAF, certificate and image.

        Pilot light runs no task until failover (`python -m ops failover` scales it up); warm runs one task per zone;
        hot runs the primary's minimum and desired count. Autoscaling keeps the primary's maximum.
        """
        standby_region = self.standby_region
        if standby_region is None:
            raise ValueError(f"environment {self.name!r} has no standby region")
        compute = self.compute
        mode = self.disaster_recovery.standby_mode
        zones = len(self.standby_availability_zones) or self.network.az_count
        minimum, desired = {
            StandbyMode.PILOT_LIGHT: (0, 0),
            StandbyMode.WARM: (zones, zones),
            StandbyMode.HOT: (compute.min_tasks, compute.desired_tasks),
        }[mode]
        sidecars = tuple(
            dataclasses.replace(sidecar, image=image_in_region(sidecar.image, standby_region) or sidecar.image)
            for sidecar in compute.sidecars
        )
        return dataclasses.replace(
            self,
            role=Role.STANDBY,
            region=standby_region,
            availability_zones=self.standby_availability_zones,
            standby_availability_zones=(),
            network=dataclasses.replace(self.network, nat_eip_allocation_ids=()),
            compute=dataclasses.replace(
                compute,
                container_image=self.standby_image,
                sidecars=sidecars,
                min_tasks=minimum,
                desired_tasks=desired,
            ),
            failover_min_tasks=compute.min_tasks,
            disaster_recovery=dataclasses.replace(
                self.disaster_recovery, standby_region=None, standby_container_image=None
            ),
        )

    def validated(self) -> EnvironmentConfig:
        """This configuration, or a ConfigError listing every problem, each naming the environment."""
        problems = self.problems()
        if problems:
            raise ConfigError([f"environment {self.name!r}: {problem}" for problem in problems])
        return self

    def __post_init__(self) -> None:
        coerce_enums(self)

    def problems(self) -> list[str]:
        """Every setting that is wrong, each with its value and what is allowed."""
        typed = type_problems(self)
        if typed:  # the rules below compare and format values; they need the declared types
            return typed
        found = self._identity_problems()
        found += self.network.problems(self.region, self.availability_zones)
        found += self.compute.problems(region=self.region, az_count=self.network.az_count, idle=self.runs_idle)
        found += self.retention.problems()
        found += self.edge.problems()
        found += self.tls.problems(self.region, self.account)
        found += self.tls.client_problems()
        found += self.ledger.problems()
        if (
            self.tls.client_authentication is ClientAuthentication.OFF
            and self.data_classification is DataClassification.RESTRICTED
        ):
            found.append(
                "tls.client_authentication: 'off' is not allowed with data_classification 'restricted': an "
                "environment that may hold card data authenticates its clients (mutual-tls)"
            )
        found += self.alerting.problems()
        found += self.disaster_recovery.problems(
            region=self.region, container_image=self.compute.container_image, role=self.role
        )
        found += self._standby_problems()
        if not found and self.standby_region is not None:
            # What the standby region's derived configuration would refuse, reported here, not as a traceback.
            found += [f"in standby region {self.standby_region}: {p}" for p in self.standby().problems()]
        return found

    def _identity_problems(self) -> list[str]:
        found: list[str] = []
        if not isinstance(self.name, str) or not ENV_NAME_PATTERN.match(self.name):
            found.append(
                f"name: {self.name!r} must use only lower-case letters, digits and '-', "
                "and start and end with a letter or digit"
            )
        elif isinstance(self.region, str) and REGION_PATTERN.match(self.region):
            regions = (self.region, self.standby_region)
            found += self.names.problems(regions=tuple(r for r in regions if r and REGION_PATTERN.match(r)))
        if not isinstance(self.service_name, str) or not ENV_NAME_PATTERN.match(self.service_name):
            found.append(f"service_name: {self.service_name!r} must use only lower-case letters, digits and '-'")
        elif not self.service_name[0].isalpha():
            found.append(
                f"service_name: {self.service_name!r} must start with a letter: it starts every stack name, and "
                "CloudFormation stack names start with a letter"
            )
        else:
            bucket_start = f"{self.names.prefix}-"
            found += [
                f"service_name: {self.service_name!r} starts bucket names with {bucket_start!r}, and S3 refuses bucket "
                f"names that start with {reserved!r} (reserved: {', '.join(S3_RESERVED_BUCKET_PREFIXES)})"
                for reserved in S3_RESERVED_BUCKET_PREFIXES
                if bucket_start.startswith(reserved)
            ]
        if not isinstance(self.region, str) or not REGION_PATTERN.match(self.region):
            found.append(f"region: {self.region!r} is not an AWS region name such as 'us-east-1'")
        else:
            found += region_problems("region", self.region)
            if self.governance is GovernanceMode.CREATE:
                for region in {self.region, self.standby_region} - {None}:
                    name = self.names.governance_bucket(self.account or "0" * 12, str(region))
                    if len(name) > MAX_BUCKET_NAME:
                        found.append(too_long(self.names, "governance bucket name", name, MAX_BUCKET_NAME))
        if self.account is not None and (not isinstance(self.account, str) or not ACCOUNT_PATTERN.match(self.account)):
            found.append(f"account: {self.account!r} must be a 12-digit AWS account id")
        if self.data_classification not in set(DataClassification):
            found.append(
                f"data_classification: {self.data_classification!r} is not one of "
                f"{[member.value for member in DataClassification]}"
            )
        found += _tag_value_problems("cost_center", self.cost_center)
        if not isinstance(self.termination_protection, bool):
            found.append(f"termination_protection: {self.termination_protection!r} is not true or false")
        return found

    def _standby_problems(self) -> list[str]:
        """What a standby region needs from the rest of the configuration."""
        standby_region = self.standby_region
        if standby_region is None or not REGION_PATTERN.match(standby_region):
            return []
        found: list[str] = []
        if self.disaster_recovery.standby_container_image is None or self.compute.container_image is not None:
            found += image_problems("standby_container_image", self.standby_image, standby_region)
        for kind in REPLICATED_BUCKETS:
            name = self.names.replica_bucket(kind, self.account or "0" * 12, standby_region)
            if len(name) > MAX_BUCKET_NAME:
                found.append(too_long(self.names, "replica bucket name", name, MAX_BUCKET_NAME))
        if self.tls.domain_name is None:
            found.append(
                "standby_region: DNS failover needs a Route 53 zone, so set tls.domain_name, tls.hosted_zone_id "
                "and tls.hosted_zone_name (each region then issues its own certificate for that name)"
            )
        return found


def _tag_value_problems(setting: str, value: object) -> list[str]:
    """A free-text tag value: what AWS takes, and nothing a person would not mean (edge or only whitespace, which
    cost reports show as a different or a blank value)."""
    if not isinstance(value, str) or not TAG_VALUE_PATTERN.match(value):
        return [f"{setting}: {value!r} must be 1-256 characters of letters, digits, spaces and _.:/=+-@"]
    if not value.strip():
        return [f"{setting}: {value!r} is only whitespace; give a value such as 'payments-dev'"]
    if value != value.strip():
        return [f"{setting}: {value!r} starts or ends with whitespace; write {value.strip()!r}"]
    return []
