"""One frozen dataclass describes an environment; validation lives with it."""

from __future__ import annotations

import dataclasses
import ipaddress
import re
from dataclasses import dataclass, field

from settings.errors import ConfigError
from settings.naming import REPLICATED_BUCKETS, PhysicalNames

# Fargate's accepted task sizes: CPU units -> memory (MiB) allowed with it.
# https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-tasks-services.html#fargate-tasks-size
FARGATE_SIZES: dict[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4096 + 1, 1024)),
    1024: tuple(range(2048, 8192 + 1, 1024)),
    2048: tuple(range(4096, 16384 + 1, 1024)),
    4096: tuple(range(8192, 30720 + 1, 1024)),
    8192: tuple(range(16384, 61440 + 1, 4096)),
    16384: tuple(range(32768, 122880 + 1, 8192)),
}

# Values CloudWatch Logs accepts for retentionInDays.
CLOUDWATCH_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
    1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip
MIN_LOG_RETENTION_DAYS = 90
# PCI DSS 10.5.1: audit trail kept at least twelve months.
MIN_AUDIT_ARCHIVE_DAYS = 365

DATA_CLASSIFICATIONS = ("internal", "confidential", "restricted")
CPU_ARCHITECTURES = ("X86_64", "ARM64")

# AWS WAF rate-based rules accept limits from 10 to 2,000,000,000 requests per evaluation window.
WAF_RATE_LIMIT_RANGE = (10, 2_000_000_000)
MAX_TASKS_CEILING = 100

ENV_NAME_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")
ACCOUNT_PATTERN = re.compile(r"^\d{12}$")
REGION_PATTERN = re.compile(r"^[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d$")
EIP_ALLOCATION_PATTERN = re.compile(r"^eipalloc-[0-9a-f]{8,17}$")
HOSTED_ZONE_ID_PATTERN = re.compile(r"^Z[A-Z0-9]{1,32}$")
DOMAIN_PATTERN = re.compile(r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$")
TAG_VALUE_PATTERN = re.compile(r"^[\w .:/=+\-@]{1,256}$")
ECR_IMAGE_PATTERN = re.compile(
    r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com/"
    r"(?P<repository>[a-z0-9][a-z0-9._/-]{1,255})@(?P<digest>sha256:[0-9a-f]{64})$"
)
CAPACITY_WEIGHT_RANGE = (0, 1000)
ROLES = ("primary", "standby")
STANDBY_MODES = ("warm", "pilot-light")
REQUESTS_PER_TARGET_RANGE = (10, 100_000)
CERTIFICATE_ARN_PATTERN = re.compile(
    r"^arn:aws[a-z-]*:acm:(?P<region>[a-z0-9-]+):\d{12}:certificate/[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}$"
)


@dataclass(frozen=True)
class TlsSettings:
    """Where the HTTPS listener's certificate comes from: an imported ARN, or a DNS-validated domain."""

    certificate_arn: str | None = None
    domain_name: str | None = None
    hosted_zone_id: str | None = None
    hosted_zone_name: str | None = None

    def problems(self, region: str) -> list[str]:
        """Every reason these settings cannot give the ALB a certificate in `region`."""
        domain, zone_id, zone_name = self.domain_name, self.hosted_zone_id, self.hosted_zone_name
        if self.certificate_arn is not None:
            if (domain, zone_id, zone_name) != (None, None, None):
                return [
                    "tls: give either tls.certificate_arn or tls.domain_name with tls.hosted_zone_id and "
                    "tls.hosted_zone_name, not both"
                ]
            match = CERTIFICATE_ARN_PATTERN.match(self.certificate_arn)
            if match is None:
                return [
                    f"tls.certificate_arn: {self.certificate_arn!r} is not an ACM certificate ARN "
                    "(arn:aws:acm:REGION:ACCOUNT:certificate/UUID)"
                ]
            if match["region"] != region:
                return [
                    f"tls.certificate_arn: certificate is in {match['region']!r} but the ALB is in {region!r}; "
                    "an ALB can only use a certificate from its own region"
                ]
            return []
        if domain is None or zone_id is None or zone_name is None:
            return [
                "tls: set tls.certificate_arn, or all of tls.domain_name, tls.hosted_zone_id and "
                f"tls.hosted_zone_name (got domain_name={domain!r}, hosted_zone_id={zone_id!r}, "
                f"hosted_zone_name={zone_name!r})"
            ]
        found: list[str] = []
        if not DOMAIN_PATTERN.match(domain):
            found.append(f"tls.domain_name: {domain!r} is not a lower-case DNS name")
        if not HOSTED_ZONE_ID_PATTERN.match(zone_id):
            found.append(f"tls.hosted_zone_id: {zone_id!r} is not a Route 53 hosted zone id (Z...)")
        zone = zone_name.rstrip(".")
        if not DOMAIN_PATTERN.match(zone):
            found.append(f"tls.hosted_zone_name: {zone_name!r} is not a lower-case DNS name")
        elif domain != zone and not domain.endswith("." + zone):
            found.append(
                f"tls.domain_name: {domain!r} is not inside hosted zone {zone!r}, "
                "so DNS validation records cannot be written there"
            )
        return found


@dataclass(frozen=True)
class EnvironmentConfig:
    """Everything that differs between environments. Built once in app.py, validated on construction."""

    name: str
    region: str
    account: str | None
    tls: TlsSettings
    cost_center: str
    data_classification: str = "restricted"
    service_name: str = "payments"
    az_count: int = 3
    vpc_cidr: str = "10.0.0.0/16"
    nat_eip_allocation_ids: tuple[str, ...] = ()
    task_cpu: int = 512
    task_memory_mib: int = 1024
    cpu_architecture: str = "X86_64"
    container_image: str | None = None
    # Exec form, as ECS takes it: ("CMD", program, args...) or ("CMD-SHELL", "command line"). Unset: the
    # reference service's check when the app builds it, none (the ALB's /health check only) for your own image.
    health_check_command: tuple[str, ...] | None = None
    on_demand_weight: int = 1
    spot_weight: int = 1
    requests_per_target: int = 1000
    min_tasks: int = 3
    desired_tasks: int = 3
    max_tasks: int = 10
    log_retention_days: int = 90
    audit_archive_days: int = 400
    waf_rate_limit: int = 2000
    termination_protection: bool = False
    paging_emails: tuple[str, ...] = ()
    warning_emails: tuple[str, ...] = ()
    monthly_budget_usd: int = 1000
    budget_alert_percentages: tuple[int, ...] = (50, 80, 100)
    standby_region: str | None = None
    # The image the standby region's tasks run; unset: `container_image`'s repository and digest in the standby
    # region's registry, where ECR cross-region replication puts it.
    standby_container_image: str | None = None
    standby_mode: str = "warm"
    availability_zones: tuple[str, ...] = field(default=())
    standby_availability_zones: tuple[str, ...] = field(default=())
    # "primary", or "standby" for the configuration derived for the standby region (see `standby`).
    role: str = "primary"

    def __post_init__(self) -> None:
        problems = self.problems()
        if problems:
            raise ConfigError([f"environment {self.name!r}: {problem}" for problem in problems])

    @property
    def names(self) -> PhysicalNames:
        return PhysicalNames(service=self.service_name, environment=self.name)

    @property
    def tags(self) -> dict[str, str]:
        return {
            "Environment": self.name,
            "Service": self.service_name,
            "DataClassification": self.data_classification,
            "CostCenter": self.cost_center,
        }

    def problems(self) -> list[str]:
        """Every setting that is wrong, each with its value and what is allowed."""
        found: list[str] = []
        found += self._identity_problems()
        found += self._network_problems()
        found += self._compute_problems()
        if self.log_retention_days not in CLOUDWATCH_RETENTION_DAYS or self.log_retention_days < MIN_LOG_RETENTION_DAYS:
            allowed = [d for d in CLOUDWATCH_RETENTION_DAYS if d >= MIN_LOG_RETENTION_DAYS]
            found.append(f"log_retention_days: {self.log_retention_days} is not allowed; use one of {allowed}")
        if self.audit_archive_days < MIN_AUDIT_ARCHIVE_DAYS:
            found.append(
                f"audit_archive_days: {self.audit_archive_days} is too short; audit logs are kept at least "
                f"{MIN_AUDIT_ARCHIVE_DAYS} days"
            )
        low, high = WAF_RATE_LIMIT_RANGE
        if not low <= self.waf_rate_limit <= high:
            found.append(f"waf_rate_limit: {self.waf_rate_limit} is outside {low}..{high} requests per 5 minutes")
        found += self.tls.problems(self.region)
        found += self._alerting_problems()
        found += self._standby_problems()
        if not found and self.role == "primary" and self.standby_region is not None:
            # What the standby region's derived configuration would refuse, reported here and not as a traceback.
            try:
                self.standby()
            except ConfigError as error:
                prefix = f"environment {self.name!r}: "
                found += [f"in standby region {self.standby_region}: {p.removeprefix(prefix)}" for p in error.problems]
        return found

    def _standby_problems(self) -> list[str]:
        found: list[str] = []
        if self.role not in ROLES:
            found.append(f"role: {self.role!r} is not one of {list(ROLES)}")
        if self.standby_mode not in STANDBY_MODES:
            found.append(f"standby_mode: {self.standby_mode!r} is not one of {list(STANDBY_MODES)}")
        if self.standby_region is None:
            if self.standby_container_image is not None:
                found.append("standby_container_image: set, but there is no standby_region to run it")
            return found
        if not REGION_PATTERN.match(self.standby_region):
            found.append(f"standby_region: {self.standby_region!r} is not an AWS region name such as 'us-west-2'")
            return found
        if self.standby_region == self.region:
            found.append(f"standby_region: {self.standby_region!r} is the primary region; name another region")
        if self.standby_container_image is not None and self.container_image is None:
            found.append(
                "standby_container_image: set, but container_image is not; without container_image both regions "
                "build the reference service themselves"
            )
        else:
            found += _image_problems("standby_container_image", self.standby_image, self.standby_region)
        for kind in REPLICATED_BUCKETS:
            name = self.names.replica_bucket(kind, self.account or "0" * 12, self.standby_region)
            if len(name) > 63:
                found.append(f"name: {self.name!r} makes the replica bucket name {name!r} longer than 63 characters")
        if self.tls.domain_name is None:
            found.append(
                "standby_region: DNS failover needs a Route 53 zone, so set tls.domain_name, tls.hosted_zone_id "
                "and tls.hosted_zone_name (each region then issues its own certificate for that name)"
            )
        return found

    @property
    def standby_image(self) -> str | None:
        """The image the standby region runs: set, or the primary's replicated into the standby's registry."""
        if self.standby_container_image is not None or self.container_image is None or self.standby_region is None:
            return self.standby_container_image
        match = ECR_IMAGE_PATTERN.match(self.container_image)
        if match is None:
            return None
        return self.container_image.replace(f".dkr.ecr.{match['region']}.", f".dkr.ecr.{self.standby_region}.", 1)

    def standby(self) -> EnvironmentConfig:
        """The configuration of the standby region: same service, its own zones, keys, WAF, certificate and image.

        Pilot-light runs no task until failover (operators scale it up); warm keeps the primary's minimum.
        """
        if self.standby_region is None:
            raise ValueError(f"environment {self.name!r} has no standby region")
        tasks = 0 if self.standby_mode == "pilot-light" else self.min_tasks
        return dataclasses.replace(
            self,
            role="standby",
            region=self.standby_region,
            container_image=self.standby_image,
            standby_container_image=None,
            availability_zones=self.standby_availability_zones,
            standby_region=None,
            standby_availability_zones=(),
            nat_eip_allocation_ids=(),
            min_tasks=tasks,
            desired_tasks=tasks,
        )

    def _alerting_problems(self) -> list[str]:
        found: list[str] = []
        for setting, emails in (("paging_emails", self.paging_emails), ("warning_emails", self.warning_emails)):
            bad = [email for email in emails if not EMAIL_PATTERN.match(email)]
            if bad:
                found.append(f"{setting}: {bad} are not e-mail addresses")
        if not 1 <= self.monthly_budget_usd <= 1_000_000:
            found.append(f"monthly_budget_usd: {self.monthly_budget_usd} is outside 1..1000000")
        percentages = self.budget_alert_percentages
        if not percentages or not all(1 <= p <= 1000 for p in percentages) or len(set(percentages)) != len(percentages):
            found.append(
                f"budget_alert_percentages: {list(percentages)} must be 1 to 1000 distinct percentages of the budget"
            )
        return found

    def _identity_problems(self) -> list[str]:
        found: list[str] = []
        if not ENV_NAME_PATTERN.match(self.name):
            found.append(
                f"name: {self.name!r} must use only lower-case letters, digits and '-', "
                "and start and end with a letter or digit"
            )
        else:
            found += self.names.problems()
        if not ENV_NAME_PATTERN.match(self.service_name):
            found.append(f"service_name: {self.service_name!r} must use only lower-case letters, digits and '-'")
        if not REGION_PATTERN.match(self.region):
            found.append(f"region: {self.region!r} is not an AWS region name such as 'us-east-1'")
        if self.account is not None and not ACCOUNT_PATTERN.match(self.account):
            found.append(f"account: {self.account!r} must be a 12-digit AWS account id")
        if self.data_classification not in DATA_CLASSIFICATIONS:
            found.append(
                f"data_classification: {self.data_classification!r} is not one of {list(DATA_CLASSIFICATIONS)}"
            )
        if not TAG_VALUE_PATTERN.match(self.cost_center):
            found.append(
                f"cost_center: {self.cost_center!r} must be 1-256 characters of letters, digits, spaces and _.:/=+-@"
            )
        return found

    def _network_problems(self) -> list[str]:
        found: list[str] = []
        if self.az_count not in (2, 3):
            found.append(f"az_count: {self.az_count} is not allowed; use 2 or 3")
        elif self.availability_zones:
            if len(self.availability_zones) != self.az_count:
                found.append(
                    f"availability_zones: {list(self.availability_zones)} has {len(self.availability_zones)} zones "
                    f"but az_count is {self.az_count}"
                )
            strangers = [az for az in self.availability_zones if not az.startswith(self.region)]
            if strangers:
                found.append(f"availability_zones: {strangers} are not in region {self.region!r}")
        try:
            network = ipaddress.IPv4Network(self.vpc_cidr)
        except ValueError:
            found.append(f"vpc_cidr: {self.vpc_cidr!r} is not an IPv4 network such as '10.0.0.0/16'")
        else:
            if not 16 <= network.prefixlen <= 18:
                found.append(
                    f"vpc_cidr: {self.vpc_cidr!r} has prefix /{network.prefixlen}; use /16 to /18 so that a /22 "
                    "private subnet and /24 public and isolated subnets fit in every zone"
                )
            if not network.is_private:
                found.append(f"vpc_cidr: {self.vpc_cidr!r} is not a private (RFC 1918) range")
        if self.nat_eip_allocation_ids:
            if len(self.nat_eip_allocation_ids) != self.az_count:
                found.append(
                    f"nat_eip_allocation_ids: {len(self.nat_eip_allocation_ids)} given but there is one NAT gateway "
                    f"per zone, so give exactly az_count ({self.az_count}) or none"
                )
            bad = [a for a in self.nat_eip_allocation_ids if not EIP_ALLOCATION_PATTERN.match(a)]
            if bad:
                found.append(f"nat_eip_allocation_ids: {bad} are not Elastic IP allocation ids (eipalloc-...)")
            if len(set(self.nat_eip_allocation_ids)) != len(self.nat_eip_allocation_ids):
                found.append(f"nat_eip_allocation_ids: {list(self.nat_eip_allocation_ids)} repeats an allocation")
        return found

    def _compute_problems(self) -> list[str]:
        found: list[str] = []
        memories = FARGATE_SIZES.get(self.task_cpu)
        if memories is None:
            found.append(f"task_cpu: {self.task_cpu} is not a Fargate CPU size; use one of {list(FARGATE_SIZES)}")
        elif self.task_memory_mib not in memories:
            found.append(
                f"task_memory_mib: {self.task_memory_mib} is not allowed with task_cpu {self.task_cpu}; "
                f"Fargate accepts {memories[0]}..{memories[-1]} in steps of "
                f"{memories[1] - memories[0] if len(memories) > 1 else memories[0]}"
            )
        found += _image_problems("container_image", self.container_image, self.region)
        found += _health_check_problems(self.health_check_command)
        low, high = CAPACITY_WEIGHT_RANGE
        for setting, weight in (("on_demand_weight", self.on_demand_weight), ("spot_weight", self.spot_weight)):
            if not low <= weight <= high:
                found.append(f"{setting}: {weight} is outside {low}..{high}")
        if self.on_demand_weight == 0 and self.spot_weight == 0:
            found.append("on_demand_weight/spot_weight: both are 0; at least one capacity provider needs weight")
        low, high = REQUESTS_PER_TARGET_RANGE
        if not low <= self.requests_per_target <= high:
            found.append(f"requests_per_target: {self.requests_per_target} is outside {low}..{high} per minute")
        if self.cpu_architecture not in CPU_ARCHITECTURES:
            found.append(f"cpu_architecture: {self.cpu_architecture!r} is not one of {list(CPU_ARCHITECTURES)}")
        lowest = 0 if self.role == "standby" and self.standby_mode == "pilot-light" else 1
        if not lowest <= self.min_tasks <= self.desired_tasks <= self.max_tasks <= MAX_TASKS_CEILING:
            found.append(
                f"min_tasks/desired_tasks/max_tasks: {self.min_tasks}/{self.desired_tasks}/{self.max_tasks} must "
                f"satisfy 1 <= min <= desired <= max <= {MAX_TASKS_CEILING}"
            )
        if self.min_tasks < self.az_count and not (self.role == "standby" and self.standby_mode == "pilot-light"):
            found.append(
                f"min_tasks: {self.min_tasks} is fewer than az_count ({self.az_count}); keep at least one task per zone"
            )
        return found


def _health_check_problems(command: tuple[str, ...] | None) -> list[str]:
    if command is None:
        return []
    kind, arguments = (command[0], command[1:]) if command else ("", ())
    if kind == "CMD" and arguments:
        return []
    if kind == "CMD-SHELL" and len(arguments) == 1:
        return []
    return [
        f"health_check_command: {list(command)} must be CMD followed by the program and its arguments, "
        "or CMD-SHELL followed by one command line (for example CMD,python,-m,my_service.healthcheck)"
    ]


def _image_problems(setting: str, image: str | None, region: str) -> list[str]:
    """Why `image` cannot be pulled by tasks in `region`."""
    if image is None:
        return []
    match = ECR_IMAGE_PATTERN.match(image)
    if match is None:
        return [
            f"{setting}: {image!r} must be an ECR image pinned by digest, "
            "ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPOSITORY@sha256:DIGEST (or unset to build the bundled "
            "reference service)"
        ]
    if match["region"] != region:
        return [
            f"{setting}: repository is in {match['region']!r}; tasks in {region!r} pull from their own region's "
            "ECR (replicate the image there, or name that region's copy)"
        ]
    return []
