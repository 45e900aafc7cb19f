"""The sections of an environment's configuration, one concern each, each validating itself.

Every field is a setting: its name is the one `-c config.NAME=VALUE` and the README's generated settings
table use (unique across sections), and its metadata says what it does and what is allowed. A section's
`problems()` names the setting, the value and what is allowed; it never raises.
"""

from __future__ import annotations

import dataclasses
import functools
import ipaddress
import re
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, ClassVar

from settings.limits import (
    BUDGET_PERCENTAGE_RANGE,
    CAPACITY_WEIGHT_RANGE,
    CERTIFICATE_ARN_PATTERN,
    CLOUDWATCH_RETENTION_DAYS,
    CONTAINER_NAME_PATTERN,
    CONTAINERS_PER_TASK_DEFINITION,
    DOMAIN_PATTERN,
    EIP_ALLOCATION_PATTERN,
    EMAIL_PATTERN,
    FARGATE_SIZES,
    HOSTED_ZONE_ID_PATTERN,
    MAX_AUDIT_ARCHIVE_DAYS,
    MAX_BUDGET_ALERT_PERCENTAGES,
    MAX_CERTIFICATE_DOMAIN_LENGTH,
    MAX_PROCESSOR_CIDRS,
    MAX_SIDECARS,
    MAX_TASKS_CEILING,
    MIN_AUDIT_ARCHIVE_DAYS,
    MIN_LOG_RETENTION_DAYS,
    MIN_SERVICE_CONTAINER_MEMORY_MIB,
    MONTHLY_BUDGET_RANGE,
    NOTIFICATIONS_PER_BUDGET,
    OUTBOUND_RULES_PER_SECURITY_GROUP,
    REGION_PATTERN,
    REQUESTS_PER_TARGET_RANGE,
    SIDECAR_MEMORY_RANGE,
    TASK_GROUP_OTHER_EGRESS_RULES,
    WAF_RATE_LIMIT_RANGE,
    guardduty_agent_memory_mib,
    image_problems,
)
from settings.naming import SERVICE_CONTAINER, WAF_MANAGED_RULE_GROUPS
from settings.regions import PARTITION_OF, region_problems


class CpuArchitecture(StrEnum):
    X86_64 = "X86_64"
    ARM64 = "ARM64"


class StandbyMode(StrEnum):
    """What the standby region runs until failover (RTO, RPO and cost of each: README, disaster recovery).

    Pilot light: no task; failover is a command (`python -m ops failover`). Warm: one on-demand task per zone,
    so Route 53 fails over by itself. Hot (active-passive): the primary's capacity, ready for its traffic.
    """

    PILOT_LIGHT = "pilot-light"
    WARM = "warm"
    HOT = "hot"


class Role(StrEnum):
    """Which region of the environment a configuration describes."""

    PRIMARY = "primary"
    STANDBY = "standby"


class ClientAuthentication(StrEnum):
    # The load balancer verifies every client's certificate against `tls.client_ca_bundle` (mutual TLS).
    MUTUAL_TLS = "mutual-tls"
    # No client certificate: every caller is one anonymous client. Only where no card data is held.
    OFF = "off"


class GovernanceMode(StrEnum):
    VERIFY = "verify"
    CREATE = "create"


class DataClassification(StrEnum):
    INTERNAL = "internal"
    CONFIDENTIAL = "confidential"
    RESTRICTED = "restricted"


def setting(default: Any = dataclasses.MISSING, *, help: str, allowed: str, cli: bool = True) -> Any:
    """A field with what it does and what is allowed (the generated settings table shows both).

    `cli=False`: set in a profile only, not with `-c config.NAME=VALUE` (its value is not one text).
    """
    metadata = {"help": help, "allowed": allowed, "cli": cli}
    if isinstance(default, tuple | str | int | float | bool | StrEnum) or default is None:
        return dataclasses.field(default=default, metadata=metadata)
    if default is dataclasses.MISSING:
        return dataclasses.field(metadata=metadata)
    return dataclasses.field(default_factory=lambda: default, metadata=metadata)


def coerce_enums(instance: Any) -> None:
    """Turn a text value of an enum field into its member (`"pilot-light"` -> `StandbyMode.PILOT_LIGHT`), so that
    a profile may write either and the code's `is` comparisons hold; anything else is left for `type_problems`."""
    hints = typing.get_type_hints(type(instance))
    for field in dataclasses.fields(instance):
        hint, value = hints[field.name], getattr(instance, field.name)
        if (
            isinstance(hint, type)
            and issubclass(hint, StrEnum)
            and isinstance(value, str)
            and not isinstance(value, hint)
        ):
            member = next((m for m in hint if m.value == value), None)
            if member is not None:
                object.__setattr__(instance, field.name, member)


class Section:
    """Shared by every section: a type check of each field before the section's own rules run."""

    NAME: ClassVar[str]

    def __post_init__(self) -> None:
        coerce_enums(self)

    def type_problems(self) -> list[str]:
        return type_problems(self)


def type_problems(instance: Any, prefix: str = "") -> list[str]:
    """Settings of a dataclass whose value is not of the declared type (a typo in a profile, not only in `-c`),
    looking into the sections (and sidecars) it holds."""
    hints = typing.get_type_hints(type(instance))
    found: list[str] = []
    for field in dataclasses.fields(instance):
        value, hint = getattr(instance, field.name), hints[field.name]
        name = f"{prefix}{field.name}"
        if isinstance(hint, type) and issubclass(hint, Section):
            found += (
                type_problems(value, "tls." if hint.NAME == "tls" else "")
                if isinstance(value, hint)
                else [f"{name}: a {type(value).__name__} where a {hint.__name__} belongs"]
            )
            continue
        if typing.get_origin(hint) is tuple and isinstance(value, tuple):
            (item_hint,) = typing.get_args(hint)[:1]
            if isinstance(item_hint, type) and issubclass(item_hint, Section):
                for index, item in enumerate(value):
                    found += (
                        type_problems(item, f"{name}[{index}].")
                        if isinstance(item, item_hint)
                        else [f"{name}[{index}]: a {type(item).__name__} where a {item_hint.__name__} belongs"]
                    )
                continue
        if (expected := _type_mismatch(value, hint)) is not None:
            found.append(f"{name}: {value!r} {expected}")
    return found


def _type_mismatch(value: Any, hint: Any) -> str | None:
    """Why `value` is not a `hint`, or None."""
    origin, arguments = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in arguments:
            return None
        (hint,) = [argument for argument in arguments if argument is not type(None)]
        return _type_mismatch(value, hint)
    if origin is tuple:
        if not isinstance(value, tuple):
            return "is not a tuple: write (a, b) in a profile, a,b with -c"
        for item in value:
            if (mismatch := _type_mismatch(item, arguments[0])) is not None:
                return f"has {item!r}, which {mismatch}"
        return None
    if isinstance(hint, type) and issubclass(hint, StrEnum):
        return None if isinstance(value, hint) else f"is not one of {[member.value for member in hint]}"
    if hint is bool:
        return None if isinstance(value, bool) else "is not true or false"
    if hint is int:
        return None if isinstance(value, int) and not isinstance(value, bool) else "is not a whole number"
    if hint is str:
        return None if isinstance(value, str) else "is not a text value"
    raise TypeError(f"no type check for settings of type {hint!r}: add one to _type_mismatch")


# Where relative paths in settings (the client CA bundle) start.
REPOSITORY_ROOT = Path(__file__).resolve().parents[1]
PEM_BLOCK = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----")


@functools.cache
def _public_suffixes() -> Any:
    from publicsuffixlist import PublicSuffixList

    return PublicSuffixList()


def is_public_suffix(domain: str) -> bool:
    """Whether anyone can register names under `domain` (`co.uk`, `com.au`, `execute-api.us-east-1.amazonaws.com`),
    by the Public Suffix List the pinned `publicsuffixlist` ships (no lookup: synth stays offline)."""
    return bool(_public_suffixes().is_public(domain.lower()))


def ca_bundle_problems(given: str, bundle: bytes) -> list[str]:
    """Why a client CA bundle could not be the load balancer's trust store: every PEM block a CA certificate. It is
    uploaded as an asset for the trust store, so anything else in it (a private key) would be uploaded too."""
    from cryptography import x509

    labels = [label.decode() for label in PEM_BLOCK.findall(bundle)]
    others = sorted({label for label in labels if label != "CERTIFICATE"})
    if others:
        return [
            f"tls.client_ca_bundle: {given!r} holds a {others[0]} block; the bundle is uploaded for the load "
            "balancer's trust store: give CA certificates only"
        ]
    if not labels:
        return [f"tls.client_ca_bundle: {given!r} holds no PEM certificate"]
    try:
        certificates = x509.load_pem_x509_certificates(bundle)
    except ValueError:
        return [f"tls.client_ca_bundle: {given!r} holds a block that is not an X.509 certificate"]
    for number, certificate in enumerate(certificates, start=1):
        try:
            authority = certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
        except x509.ExtensionNotFound:
            authority = False
        if not authority:
            return [
                f"tls.client_ca_bundle: {given!r}: certificate {number} ({certificate.subject.rfc4514_string()}) is "
                "not a CA certificate (basic constraints CA:TRUE); give the CAs that issue client certificates"
            ]
    return []


# Network Firewall domain-list syntax: a DNS name of two labels or more, or one with a leading dot for the name
# and all its subdomains. Case does not matter to DNS; the rule group gets lower case.
PROCESSOR_HOST_PATTERN = re.compile(
    r"\.?(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]", re.IGNORECASE | re.ASCII
)
MAX_HOST_LENGTH = 253
# Each name becomes a stateful rule (TLS SNI); the rule group's fixed capacity holds this many, with room.
MAX_PROCESSOR_HOSTS = 25
RFC_1918 = tuple(ipaddress.IPv4Network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))
# Where no payment processor is: every block of IANA's IPv4 Special-Purpose Address Registry (RFC 6890) but the
# documentation ranges, and multicast. The anycast services there (AS112, AMT, the deprecated 6to4 relay) are
# reachable, but they are protocol infrastructure, not a processor's own addresses.
NOT_A_PROCESSOR: dict[ipaddress.IPv4Network, str] = {
    ipaddress.IPv4Network(network): what
    for network, what in (
        ("0.0.0.0/8", '"this network", RFC 791'),
        ("10.0.0.0/8", "private, RFC 1918"),
        ("100.64.0.0/10", "shared address space, RFC 6598"),
        ("127.0.0.0/8", "loopback, RFC 1122"),
        ("169.254.0.0/16", "link-local, RFC 3927"),
        ("172.16.0.0/12", "private, RFC 1918"),
        ("192.0.0.0/24", "IETF protocol assignments, RFC 6890"),
        ("192.31.196.0/24", "AS112 DNS service, RFC 7535"),
        ("192.52.193.0/24", "AMT relay anycast, RFC 7450"),
        ("192.88.99.0/24", "6to4 relay anycast, deprecated, RFC 7526"),
        ("192.168.0.0/16", "private, RFC 1918"),
        ("192.175.48.0/24", "AS112 direct delegation, RFC 7534"),
        ("198.18.0.0/15", "benchmarking, RFC 2544"),
        ("224.0.0.0/4", "multicast, RFC 5771"),
        ("240.0.0.0/4", "reserved, RFC 1112"),
    )
}
# Also special-purpose (RFC 5737), but the examples and tests of this app use them, so they are accepted.
DOCUMENTATION_RANGES = ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24")


@dataclass(frozen=True)
class NetworkSettings(Section):
    """The VPC: its zones, address range and NAT gateways."""

    NAME = "network"

    az_count: int = setting(3, help="availability zones used", allowed="2 or 3")
    vpc_cidr: str = setting("10.0.0.0/16", help="the VPC's address range", allowed="private IPv4 range, `/16` to `/18`")
    nat_eip_allocation_ids: tuple[str, ...] = setting(
        (),
        help="existing Elastic IPs for the NAT gateways (accounts at their EIP quota)",
        allowed="none, or exactly `az_count` distinct `eipalloc-…` ids",
    )
    processor_cidrs: tuple[str, ...] = setting(
        (),
        help="where tasks may reach the payment processor (HTTPS, through the NAT gateways); nothing else on the "
        "internet is reachable",
        allowed=f"up to {MAX_PROCESSOR_CIDRS} public IPv4 networks written `a.b.c.d/N`, of `/16` or narrower (not "
        "private, shared, link-local, loopback, benchmarking, multicast, reserved or other IANA special-purpose space; "
        "the documentation ranges 192.0.2.0/24, 198.51.100.0/24 and 203.0.113.0/24 are accepted, for examples and "
        "tests), none overlapping another; none (the default) means no internet egress at all",
    )
    processor_hosts: tuple[str, ...] = setting(
        (),
        help="the payment processor's host names (HTTPS), enforced by an AWS Network Firewall allow-list of TLS "
        "server names between the private subnets and the NAT gateways; built only when set, and costs money "
        "(`make cost`)",
        allowed=f"up to {MAX_PROCESSOR_HOSTS} DNS names such as `api.processor.example`, or `.processor.example` "
        "for the name and all its subdomains (no name under another's leading dot, and no public suffix such as "
        "`.co.uk`), not with `processor_cidrs`; none "
        "(the default) builds no firewall",
    )

    def problems(self, region: str, zones: tuple[str, ...]) -> list[str]:
        found: list[str] = self._processor_problems()
        if self.az_count not in (2, 3):
            found.append(f"az_count: {self.az_count} is not allowed; use 2 or 3")
        elif zones:
            if len(zones) != self.az_count:
                found.append(
                    f"availability_zones: {list(zones)} has {len(zones)} zones but az_count is {self.az_count}"
                )
            strangers = [az for az in zones if not re.fullmatch(rf"{re.escape(region)}[a-z]", az)]
            if strangers:
                found.append(f"availability_zones: {strangers} are not in region {region!r}")
        network = _network(self.vpc_cidr)
        if network is None:
            written = _written_as(self.vpc_cidr, "10.0.0.0/16", _fits_a_vpc)
            found.append(f"vpc_cidr: {self.vpc_cidr!r} is not an IPv4 network{written}")
        else:
            if not 16 <= network.prefixlen <= 18:
                found.append(
                    f"vpc_cidr: {self.vpc_cidr!r} has prefix /{network.prefixlen}; use /16 to /18 so that a /22 "
                    "private subnet and /24 public and isolated subnets fit in every zone"
                )
            if not any(network.subnet_of(private) for private in RFC_1918):
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

    def _processor_problems(self) -> list[str]:
        found: list[str] = []
        if len(self.processor_hosts) > MAX_PROCESSOR_HOSTS:
            found.append(
                f"processor_hosts: {len(self.processor_hosts)} names given; at most {MAX_PROCESSOR_HOSTS} fit the "
                "firewall rule group's capacity"
            )
        for host in self.processor_hosts:
            if not PROCESSOR_HOST_PATTERN.fullmatch(host) or len(host) > MAX_HOST_LENGTH:
                found.append(
                    f"processor_hosts: {host!r} is not a DNS name such as 'api.processor.example' (or "
                    "'.processor.example' for all its subdomains); no wildcards, addresses, ports or schemes"
                )
        if self.processor_hosts and self.processor_cidrs:
            found.append(
                "processor_cidrs and processor_hosts: both set; give the processor's networks or its host names, not "
                "both (with host names every HTTPS destination crosses the egress firewall, which passes only those "
                "names)"
            )
        found += [
            f"processor_hosts: {host!r} would allow every name under {host[1:].lower()!r}, a public suffix (the Public "
            "Suffix List: names anyone can register under it); give the processor's own domain"
            for host in self.processor_hosts
            if host.startswith(".") and PROCESSOR_HOST_PATTERN.fullmatch(host) and is_public_suffix(host[1:])
        ]
        lowered = [host.lower() for host in self.processor_hosts]
        if len(set(lowered)) != len(lowered):
            found.append(f"processor_hosts: {list(self.processor_hosts)} repeats a name")
        found += [
            f"processor_hosts: {host!r} is already allowed by {domain!r} (a leading dot allows the name and all its "
            "subdomains); give one of them"
            for host in self.processor_hosts
            for domain in self.processor_hosts
            if domain.startswith(".") and host.lower() != domain.lower()
            and (host.lower() == domain[1:].lower() or host.lower().endswith(domain.lower()))
        ]  # fmt: skip
        if len(self.processor_cidrs) > MAX_PROCESSOR_CIDRS:
            found.append(
                f"processor_cidrs: {len(self.processor_cidrs)} networks given; at most {MAX_PROCESSOR_CIDRS} fit: each "
                f"is an egress rule of the task security group, which has {TASK_GROUP_OTHER_EGRESS_RULES} others, and "
                f"the VPC quota is {OUTBOUND_RULES_PER_SECURITY_GROUP} outbound rules per security group"
            )
        networks = []
        for cidr in self.processor_cidrs:
            network = _network(cidr)
            if network is None:
                written = _written_as(cidr, "203.0.113.0/24", lambda n: _not_internet(n) is None)
                found.append(f"processor_cidrs: {cidr!r} is not an IPv4 network{written}")
                continue
            networks.append((cidr, network))
            reason = _not_internet(network)
            if reason is not None:
                found.append(
                    f"processor_cidrs: {cidr!r} is not a public network of /16 or narrower{reason}; name the "
                    "processor's own addresses, not the internet"
                )
        if len(set(self.processor_cidrs)) != len(self.processor_cidrs):
            found.append(f"processor_cidrs: {list(self.processor_cidrs)} repeats a network")
        found += [
            f"processor_cidrs: {cidr!r} overlaps {other!r}; give each address once"
            for index, (cidr, network) in enumerate(networks)
            for other, wider in networks[index + 1 :]
            if cidr != other and network.overlaps(wider)
        ]
        return found


def _network(cidr: str) -> ipaddress.IPv4Network | None:
    """`cidr` as a network, only when written the one way the VPC and security group rules take it:
    `a.b.c.d/N`, no host bits, no leading zeros (`203.0.113.5` without `/32` fails at synth)."""
    try:
        network = ipaddress.IPv4Network(cidr)
    except ValueError:
        return None
    return network if str(network) == cidr else None


def _not_internet(network: ipaddress.IPv4Network) -> str | None:
    """Why `network` is not a processor's public network (`: it overlaps …`), `""` when only too wide, or None."""
    for special, what in NOT_A_PROCESSOR.items():
        if network.overlaps(special):
            return f": it overlaps {special} ({what})"
    return "" if network.prefixlen < 16 else None


def _fits_a_vpc(network: ipaddress.IPv4Network) -> bool:
    return 16 <= network.prefixlen <= 18 and any(network.subnet_of(private) for private in RFC_1918)


def _written_as(cidr: str, example: str, acceptable: Callable[[ipaddress.IPv4Network], bool]) -> str:
    """How `cidr` should have been written, when it names a network the setting accepts; else an example."""
    try:
        network = ipaddress.IPv4Network(cidr)
    except ValueError:
        return f" such as {example!r}"
    return f"; write it {str(network)!r}" if acceptable(network) else f" such as {example!r}"


@dataclass(frozen=True)
class Sidecar(Section):
    """An extra container beside the service in every task: a log router, a metrics or tracing agent."""

    NAME = "sidecar"

    name: str
    # ECR image pinned by digest in the primary region; the standby region pulls its replicated copy.
    image: str
    # Reserved for this container and its hard limit: a sidecar never takes the service container's memory.
    memory_reservation_mib: int = 64
    # Whether the task stops when this container stops.
    essential: bool = False

    def problems(self, region: str) -> list[str]:
        setting_name = f"sidecars[{self.name}]"
        found = image_problems(f"{setting_name}.image", self.image, region)
        if not CONTAINER_NAME_PATTERN.match(self.name) or self.name == SERVICE_CONTAINER:
            found.append(
                f"sidecars: {self.name!r} is not a container name other than {SERVICE_CONTAINER!r} "
                "([A-Za-z][A-Za-z0-9_-]*)"
            )
        low, high = SIDECAR_MEMORY_RANGE
        if not low <= self.memory_reservation_mib <= high:
            found.append(
                f"{setting_name}.memory_reservation_mib: {self.memory_reservation_mib} is outside {low}..{high}"
            )
        return found


@dataclass(frozen=True)
class ComputeSettings(Section):
    """The Fargate service: task size, image, capacity and scaling."""

    NAME = "compute"

    task_cpu: int = setting(
        512, help="CPU units per task", allowed="a Fargate CPU size: 256, 512, 1024, 2048, 4096, 8192, 16384"
    )
    task_memory_mib: int = setting(
        1024, help="memory per task", allowed="a memory size Fargate accepts with `task_cpu`"
    )
    cpu_architecture: CpuArchitecture = setting(
        CpuArchitecture.X86_64, help="image and task platform", allowed="`X86_64`, `ARM64`"
    )
    container_image: str | None = setting(
        None,
        help="the service's image; unset, `cdk deploy` builds `service/`",
        allowed="an ECR image pinned by digest, `ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPO@sha256:…`, "
        "in the profile's region",
    )
    health_check_command: tuple[str, ...] | None = setting(
        None,
        help="the container health check; unset: the reference service's check when the app builds it, none (the ALB's "
        "`/health` check only) for your own image",
        allowed="ECS exec form: `CMD,program,arg,…` or `CMD-SHELL,command line`; exits 0 while the container can serve "
        "(see [the container contract](#the-container-contract)); with `-c` every comma after `CMD` starts an "
        "argument, so an argument holding a comma needs `CMD-SHELL` (its command line is all after the first comma) "
        "or the profile",
    )
    sidecars: tuple[Sidecar, ...] = setting(
        (),
        help="extra containers in every task (log router, metrics agent)",
        allowed=f"up to {MAX_SIDECARS} `Sidecar(name, image, memory_reservation_mib, essential)` in the profile; "
        "images pinned by digest",
        cli=False,
    )
    on_demand_weight: int = setting(
        1, help="FARGATE weight above the on-demand base of `min_tasks`", allowed="0 to 1000"
    )
    spot_weight: int = setting(1, help="FARGATE_SPOT weight", allowed="0 to 1000 (not both 0)")
    requests_per_target: int = setting(
        1000, help="ALB requests per task per minute (autoscaling target)", allowed="10 to 100,000"
    )
    min_tasks: int = setting(
        3, help="tasks always running, on on-demand capacity", allowed="at least `az_count` (one task per zone)"
    )
    desired_tasks: int = setting(3, help="tasks at deploy", allowed="`min_tasks` ≤ `desired_tasks` ≤ `max_tasks`")
    max_tasks: int = setting(10, help="autoscaling ceiling", allowed="at most 100")

    @property
    def service_container_memory_mib(self) -> int:
        """The service container's hard memory limit: the task's memory less every sidecar's and less what
        GuardDuty's runtime agent, the sidecar GuardDuty adds to every task, may take."""
        sidecars = sum(sidecar.memory_reservation_mib for sidecar in self.sidecars)
        return self.task_memory_mib - sidecars - guardduty_agent_memory_mib(self.task_cpu, self.task_memory_mib)

    def problems(self, *, region: str, az_count: int, idle: bool) -> list[str]:
        """`idle`: a pilot-light standby, which may run no task."""
        found: list[str] = []
        memories = FARGATE_SIZES.get(self.task_cpu)
        sized = memories is not None and self.task_memory_mib in memories
        if memories is None:
            found.append(f"task_cpu: {self.task_cpu} is not a Fargate CPU size; use one of {list(FARGATE_SIZES)}")
        elif not sized:
            found.append(
                f"task_memory_mib: {self.task_memory_mib} is not allowed with task_cpu {self.task_cpu}; "
                f"Fargate accepts {memories[0]}..{memories[-1]} in steps of "
                f"{memories[1] - memories[0] if len(memories) > 1 else memories[0]}"
            )
        found += image_problems("container_image", self.container_image, region)
        found += _health_check_problems(self.health_check_command)
        for sidecar in self.sidecars:
            found += sidecar.problems(region)
        if len({sidecar.name for sidecar in self.sidecars}) != len(self.sidecars):
            found.append(f"sidecars: {[s.name for s in self.sidecars]} repeats a name")
        if len(self.sidecars) > MAX_SIDECARS:
            found.append(
                f"sidecars: {len(self.sidecars)} given; at most {MAX_SIDECARS} fit beside the service container: ECS "
                f"takes {CONTAINERS_PER_TASK_DEFINITION} containers per task definition"
            )
        # Only for a task size Fargate has: what an impossible size leaves is not a second problem.
        if sized and self.service_container_memory_mib < MIN_SERVICE_CONTAINER_MEMORY_MIB:
            agent = guardduty_agent_memory_mib(self.task_cpu, self.task_memory_mib)
            sidecars = self.task_memory_mib - self.service_container_memory_mib - agent
            found.append(
                f"task_memory_mib: {self.task_memory_mib} leaves the service container "
                f"{self.service_container_memory_mib} MiB after the sidecars' {sidecars} MiB and GuardDuty's runtime "
                f"agent's {agent} MiB; it needs at least {MIN_SERVICE_CONTAINER_MEMORY_MIB}: a larger "
                "task_memory_mib, or smaller sidecars"
            )
        low, high = CAPACITY_WEIGHT_RANGE
        for name, weight in (("on_demand_weight", self.on_demand_weight), ("spot_weight", self.spot_weight)):
            if not low <= weight <= high:
                found.append(f"{name}: {weight} is outside {low}..{high}")
        if self.on_demand_weight == 0 and self.spot_weight == 0:
            found.append("on_demand_weight/spot_weight: both are 0; at least one capacity provider needs weight")
        low, high = REQUESTS_PER_TARGET_RANGE
        if not low <= self.requests_per_target <= high:
            found.append(f"requests_per_target: {self.requests_per_target} is outside {low}..{high} per minute")
        lowest = 0 if idle else 1
        if not lowest <= self.min_tasks <= self.desired_tasks <= self.max_tasks <= MAX_TASKS_CEILING:
            found.append(
                f"min_tasks/desired_tasks/max_tasks: {self.min_tasks}/{self.desired_tasks}/{self.max_tasks} must "
                f"satisfy {lowest} <= min <= desired <= max <= {MAX_TASKS_CEILING}"
            )
        if self.min_tasks < az_count and not idle:
            found.append(
                f"min_tasks: {self.min_tasks} is fewer than az_count ({az_count}); keep at least one task per zone"
            )
        return found


def _health_check_problems(command: tuple[str, ...] | None) -> list[str]:
    if command is None:
        return []
    kind, arguments = (command[0], command[1:]) if command else ("", ())
    if (kind == "CMD" and arguments) or (kind == "CMD-SHELL" and len(arguments) == 1):
        return []
    return [
        f"health_check_command: {list(command)} must be CMD followed by the program and its arguments, "
        "or CMD-SHELL followed by one command line (for example CMD,python,-m,my_service.healthcheck)"
    ]


class AuditLockMode(StrEnum):
    GOVERNANCE = "governance"
    COMPLIANCE = "compliance"


@dataclass(frozen=True)
class RetentionSettings(Section):
    """How long logs stay hot in CloudWatch and archived in S3."""

    NAME = "retention"

    log_retention_days: int = setting(
        90,
        help="days CloudWatch Logs keeps the app and WAF logs",
        allowed="a CloudWatch Logs retention value of at least 90",
    )
    audit_archive_days: int = setting(
        400,
        help="days the audit buckets keep every object",
        allowed=f"365 (PCI DSS 10.5.1: twelve months) to {MAX_AUDIT_ARCHIVE_DAYS} (ten years)",
    )
    audit_lock_mode: AuditLockMode = setting(
        AuditLockMode.GOVERNANCE,
        help="S3 Object Lock mode of the default retention (`audit_archive_days`) of the log archive and the standby "
        "region's audit replicas: `compliance` (nobody, the account root included, can delete or shorten) or "
        "`governance` (the break-glass role can, with `s3:BypassGovernanceRetention`)",
        allowed="`governance` or `compliance`",
    )

    def problems(self) -> list[str]:
        found: list[str] = []
        if self.log_retention_days not in CLOUDWATCH_RETENTION_DAYS or self.log_retention_days < MIN_LOG_RETENTION_DAYS:
            allowed = [d for d in CLOUDWATCH_RETENTION_DAYS if d >= MIN_LOG_RETENTION_DAYS]
            found.append(f"log_retention_days: {self.log_retention_days} is not allowed; use one of {allowed}")
        if self.audit_archive_days < MIN_AUDIT_ARCHIVE_DAYS:
            found.append(
                f"audit_archive_days: {self.audit_archive_days} is too short; audit logs are kept at least "
                f"{MIN_AUDIT_ARCHIVE_DAYS} days"
            )
        elif self.audit_archive_days > MAX_AUDIT_ARCHIVE_DAYS:
            found.append(
                f"audit_archive_days: {self.audit_archive_days} is outside {MIN_AUDIT_ARCHIVE_DAYS}.."
                f"{MAX_AUDIT_ARCHIVE_DAYS} days; Object Lock keeps every audit object that long (in compliance mode "
                "nobody can shorten it)"
            )
        return found


# The managed rule groups of the web ACL that have static versions (AWS's IP reputation lists have none).
VERSIONED_RULE_GROUPS = tuple(group for group in WAF_MANAGED_RULE_GROUPS.values() if "IpReputation" not in group)
# AWS names managed rule group versions Version_MAJOR.MINOR, without leading zeros.
RULE_GROUP_VERSION_PATTERN = re.compile(r"^Version_[1-9][0-9]{0,2}\.(0|[1-9][0-9]{0,2})\Z")


@dataclass(frozen=True)
class EdgeSettings(Section):
    """The public entry: the WAF in front of the load balancer."""

    NAME = "edge"

    waf_rate_limit: int = setting(
        2000, help="requests per IP per 5 minutes before WAF blocks", allowed="10 to 2,000,000,000"
    )
    waf_rule_versions: tuple[str, ...] = setting(
        (),
        help="static versions the AWS managed rule groups are pinned to, `GROUP=Version_N.N`; a group not listed "
        "follows AWS's default version (`make preflight` names it, and rejects a version WAF no longer offers)",
        allowed="one `GROUP=Version_N.N` per versioned group of the web ACL (the IP reputation list has no versions)",
    )
    waf_payment_rate_limit: int = setting(
        300,
        help="`POST /payments` per IP per 5 minutes before WAF blocks (card testing); raise it for a client that "
        "pays more from one address",
        allowed="10 to `waf_rate_limit`",
    )

    def problems(self) -> list[str]:
        found: list[str] = []
        low, high = WAF_RATE_LIMIT_RANGE
        if not low <= self.waf_rate_limit <= high:
            found.append(f"waf_rate_limit: {self.waf_rate_limit} is outside {low}..{high} requests per 5 minutes")
        # Bounded by waf_rate_limit only when that one is in range; else by the range itself.
        ceiling = self.waf_rate_limit if low <= self.waf_rate_limit <= high else high
        if not low <= self.waf_payment_rate_limit <= ceiling:
            bound = f"{ceiling} (waf_rate_limit)" if ceiling == self.waf_rate_limit else str(ceiling)
            found.append(
                f"waf_payment_rate_limit: {self.waf_payment_rate_limit} is outside {low}..{bound} payments per 5 "
                "minutes"
            )
        return found + self._version_problems()

    @property
    def pinned_versions(self) -> dict[str, str]:
        """Each pinned managed rule group's version, by group name."""
        return dict(entry.split("=", 1) for entry in self.waf_rule_versions if "=" in entry)

    def _version_problems(self) -> list[str]:
        groups = [entry.split("=", 1)[0] for entry in self.waf_rule_versions]
        found = [
            f"waf_rule_versions: {entry!r} is not GROUP=Version_N.N for a versioned group of the web ACL "
            f"({', '.join(VERSIONED_RULE_GROUPS)})"
            for entry in self.waf_rule_versions
            if entry.partition("=")[0] not in VERSIONED_RULE_GROUPS
            or not RULE_GROUP_VERSION_PATTERN.match(entry.partition("=")[2])
        ]
        if len(set(groups)) != len(groups):
            found.append(f"waf_rule_versions: {list(self.waf_rule_versions)} pins a group twice")
        return found


@dataclass(frozen=True)
class AlertingSettings(Section):
    """Who is told, and when spend is too high."""

    NAME = "alerting"

    paging_emails: tuple[str, ...] = setting(
        (), help="subscribed to the paging topic", allowed="distinct e-mail addresses"
    )
    warning_emails: tuple[str, ...] = setting(
        (), help="subscribed to the warning topic", allowed="distinct e-mail addresses"
    )
    monthly_budget_usd: int = setting(1000, help="monthly cost budget", allowed="1 to 1,000,000")
    budget_alert_percentages: tuple[int, ...] = setting(
        (50, 80, 100),
        help="budget thresholds that alert",
        allowed=f"1 to {MAX_BUDGET_ALERT_PERCENTAGES} distinct percentages of the budget, each 1 to 1000",
    )

    def problems(self) -> list[str]:
        found: list[str] = []
        for name, emails in (("paging_emails", self.paging_emails), ("warning_emails", self.warning_emails)):
            bad = [email for email in emails if not EMAIL_PATTERN.match(email)]
            if bad:
                found.append(f"{name}: {bad} are not e-mail addresses")
            lowered = [email.lower() for email in emails]
            if len(set(lowered)) != len(lowered):
                found.append(f"{name}: {list(emails)} repeats an address (case does not matter)")
        low, high = MONTHLY_BUDGET_RANGE
        if not low <= self.monthly_budget_usd <= high:
            found.append(f"monthly_budget_usd: {self.monthly_budget_usd} is outside {low}..{high}")
        percentages = self.budget_alert_percentages
        low, high = BUDGET_PERCENTAGE_RANGE
        if (
            not percentages
            or not all(low <= p <= high for p in percentages)
            or len(set(percentages)) != len(percentages)
        ):
            found.append(
                f"budget_alert_percentages: {list(percentages)} must be distinct percentages of the budget, each 1 to "
                "1000"
            )
        if len(percentages) > MAX_BUDGET_ALERT_PERCENTAGES:
            found.append(
                f"budget_alert_percentages: {len(percentages)} given; at most {MAX_BUDGET_ALERT_PERCENTAGES}: AWS "
                f"Budgets takes {NOTIFICATIONS_PER_BUDGET} notifications per budget, and the app adds one at 100 % "
                "forecast"
            )
        return found


@dataclass(frozen=True)
class DisasterRecoverySettings(Section):
    """A standby region: the same stacks there, DNS failover, audit buckets replicated to it."""

    NAME = "disaster_recovery"

    standby_region: str | None = setting(
        None,
        help="builds every stack there too, with DNS failover and audit replication (needs `tls.domain_name`)",
        allowed="an AWS region other than `region`, with its gateway prefix lists in `settings/regions.py`",
    )
    standby_mode: StandbyMode = setting(
        StandbyMode.WARM,
        help="what the standby runs until failover",
        allowed="`pilot-light` (no task until `ops failover`), `warm` (one on-demand task per zone; Route 53 fails "
        "over by itself), `hot` (the primary's `min_tasks` and `desired_tasks`)",
    )
    standby_container_image: str | None = setting(
        None,
        help="the image the standby runs; unset: `container_image`'s repository and digest in the standby region's "
        "registry, where ECR cross-region replication puts it",
        allowed="an ECR image pinned by digest in `standby_region`; only with `container_image` and `standby_region`",
    )

    def problems(self, *, region: str, container_image: str | None, role: Role = Role.PRIMARY) -> list[str]:
        """`role`: STANDBY for the standby region's derived settings, which keep the mode and drop the region."""
        found: list[str] = []
        if self.standby_region is None:
            if self.standby_container_image is not None:
                found.append("standby_container_image: set, but there is no standby_region to run it")
            default_mode = _default(DisasterRecoverySettings, "standby_mode")
            if role is Role.PRIMARY and self.standby_mode is not default_mode:
                found.append(
                    f"standby_mode: {self.standby_mode.value!r} has no effect without standby_region; set "
                    f"standby_region, or leave standby_mode at its default ({default_mode.value!r})"
                )
            return found
        if not REGION_PATTERN.match(self.standby_region):
            return [f"standby_region: {self.standby_region!r} is not an AWS region name such as 'us-west-2'"]
        found += region_problems("standby_region", self.standby_region)
        if self.standby_region == region:
            found.append(f"standby_region: {self.standby_region!r} is the primary region; name another region")
        if self.standby_container_image is not None and container_image is None:
            found.append(
                "standby_container_image: set, but container_image is not; without container_image both regions "
                "build the reference service themselves"
            )
        return found


@dataclass(frozen=True)
class LedgerSettings(Section):
    """The payment ledger: how long an idempotency key holds its first answer."""

    NAME = "ledger"

    idempotency_hours: int = setting(
        24,
        help="how long the same (client, idempotency key) gets the first answer again, across tasks and restarts",
        allowed="1 to 8760 (a year)",
    )

    def problems(self) -> list[str]:
        if not 1 <= self.idempotency_hours <= 8760:
            return [f"idempotency_hours: {self.idempotency_hours} is outside 1..8760"]
        return []


@dataclass(frozen=True)
class TlsSettings(Section):
    """Where the HTTPS listener's certificate comes from: an imported ARN, or a DNS-validated domain."""

    NAME = "tls"

    certificate_arn: str | None = setting(
        None,
        help="an imported certificate",
        allowed="an ACM certificate ARN of the profile's account, region and partition",
    )
    domain_name: str | None = setting(
        None, help="the service's DNS name", allowed="a DNS name inside `tls.hosted_zone_name`"
    )
    hosted_zone_id: str | None = setting(
        None, help="the Route 53 zone of `tls.domain_name`", allowed="a Route 53 zone id (`Z…`)"
    )
    hosted_zone_name: str | None = setting(None, help="that zone's name", allowed="the zone's DNS name")
    client_authentication: ClientAuthentication = setting(
        ClientAuthentication.MUTUAL_TLS,
        help="how the load balancer authenticates clients; the service scopes idempotency keys and logs by the "
        "verified client",
        allowed="`mutual-tls`; `off` only where `data_classification` is not `restricted`",
    )
    client_ca_bundle: str | None = setting(
        None,
        help="the CAs whose client certificates the load balancer accepts",
        allowed="a PEM file of CA certificates, relative to the repository root; required with `mutual-tls`",
    )

    @property
    def zone_name(self) -> str | None:
        return self.hosted_zone_name.rstrip(".") if self.hosted_zone_name else None

    def client_problems(self) -> list[str]:
        """Why clients could not be authenticated as configured."""
        if self.client_authentication is ClientAuthentication.OFF:
            if self.client_ca_bundle is None:
                return []
            return [
                f"tls.client_ca_bundle: {self.client_ca_bundle!r} has no effect with tls.client_authentication 'off'; "
                "set tls.client_authentication to 'mutual-tls', or unset tls.client_ca_bundle"
            ]
        if self.client_ca_bundle is None:
            return ["tls.client_ca_bundle: not set; mutual TLS needs the CA certificates clients present"]
        given = self.client_ca_bundle
        path = (REPOSITORY_ROOT / given).resolve()
        if Path(given).is_absolute() and path.is_relative_to(REPOSITORY_ROOT):
            return [
                f"tls.client_ca_bundle: {given!r}: give it relative to the repository root "
                f"({str(path.relative_to(REPOSITORY_ROOT))!r})"
            ]
        if Path(given).is_absolute() or not path.is_relative_to(REPOSITORY_ROOT):
            return [
                f"tls.client_ca_bundle: {given!r} is outside the repository; give a path relative to the repository "
                "root (the bundle is committed and reviewed with the code)"
            ]
        if not path.is_file():
            return [f"tls.client_ca_bundle: {given!r} is not a file in the repository"]
        return ca_bundle_problems(given, path.read_bytes())

    @property
    def client_ca_bundle_path(self) -> Path | None:
        return None if self.client_ca_bundle is None else REPOSITORY_ROOT / self.client_ca_bundle

    def problems(self, region: str, account: str | None = None) -> list[str]:
        """Every reason these settings cannot give the ALB a certificate in `region` of `account`."""
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
            partition = PARTITION_OF.get(region)
            if partition is not None and match["partition"] != partition:
                return [
                    f"tls.certificate_arn: partition {match['partition']!r} is not {partition!r}, the partition of "
                    f"region {region!r}"
                ]
            if match["region"] != region:
                return [
                    f"tls.certificate_arn: certificate is in {match['region']!r} but the ALB is in {region!r}; "
                    "an ALB can only use a certificate from its own region"
                ]
            if account is not None and match["account"] != account:
                return [
                    f"tls.certificate_arn: certificate belongs to account {match['account']!r} but the ALB is in "
                    f"{account!r}; an ALB can only use a certificate of its own account"
                ]
            return []
        if domain is None or zone_id is None or zone_name is None:
            return [
                "tls: set tls.certificate_arn, or all of tls.domain_name, tls.hosted_zone_id and "
                f"tls.hosted_zone_name (got domain_name={domain!r}, hosted_zone_id={zone_id!r}, "
                f"hosted_zone_name={zone_name!r})"
            ]
        found: list[str] = []
        if domain.endswith("."):
            return [f"tls.domain_name: {domain!r} ends with a dot; give it without ({domain.rstrip('.')!r})"]
        if not DOMAIN_PATTERN.match(domain):
            found.append(f"tls.domain_name: {domain!r} is not a lower-case DNS name{_dns_name_reason(domain)}")
        elif len(domain) > MAX_CERTIFICATE_DOMAIN_LENGTH:
            found.append(
                f"tls.domain_name: {domain!r} is {len(domain)} characters; an ACM certificate's domain name takes at "
                f"most {MAX_CERTIFICATE_DOMAIN_LENGTH}"
            )
        if not HOSTED_ZONE_ID_PATTERN.match(zone_id):
            found.append(f"tls.hosted_zone_id: {zone_id!r} is not a Route 53 hosted zone id (Z...)")
        zone = zone_name.rstrip(".")
        if zone and is_public_suffix(zone):
            found.append(
                f"tls.hosted_zone_name: {zone_name!r} is a public suffix (the Public Suffix List), no one's zone; give "
                "the zone your domain is registered in"
            )
        elif not DOMAIN_PATTERN.match(zone):
            found.append(f"tls.hosted_zone_name: {zone_name!r} is not a lower-case DNS name{_dns_name_reason(zone)}")
        elif domain != zone and not domain.endswith("." + zone):
            found.append(
                f"tls.domain_name: {domain!r} is not inside hosted zone {zone!r}, "
                "so DNS validation records cannot be written there"
            )
        return found


def _dns_name_reason(name: str) -> str:
    """Which DNS length limit `name` breaks, if it is one of those."""
    if len(name) > 253:
        return f" (it is {len(name)} characters; DNS allows 253)"
    longest = max(name.split("."), key=len)
    if len(longest) > 63:
        return f" (its label {longest[:20]!r}… is {len(longest)} characters; DNS allows 63)"
    return ""


def _default(owner: type, field: str) -> Any:
    return {f.name: f for f in dataclasses.fields(owner)}[field].default
