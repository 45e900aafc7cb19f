"""What AWS (and this app's policy) allows each setting to be: sizes, ranges, and the shapes of ids and names."""

from __future__ import annotations

import re

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


def guardduty_agent_memory_mib(task_cpu: int, task_memory_mib: int) -> int:
    """The most memory GuardDuty's Runtime Monitoring agent takes in a Fargate task of this size (GuardDuty User
    Guide, "Prerequisites for AWS Fargate (Amazon ECS only) support", CPU and memory limits). GuardDuty adds the
    agent to every task as a sidecar that shares the task's memory, so the containers' hard limits leave it room."""
    if task_cpu >= 16384:
        return 1024
    if task_cpu >= 8192:
        return 512 if task_memory_mib >= 32768 else 256
    return 128


# Values CloudWatch Logs accepts for retentionInDays.
CLOUDWATCH_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
    1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip
MIN_LOG_RETENTION_DAYS = 90
# PCI DSS 10.5.1: audit trail kept at least twelve months.
MIN_AUDIT_ARCHIVE_DAYS = 365
# Common sense, not an AWS limit: ten years (CloudWatch Logs' longest retention), beyond any audit rule here.
MAX_AUDIT_ARCHIVE_DAYS = 3653

# AWS WAF rate-based rules accept limits from 10 to 2,000,000,000 requests per evaluation window.
WAF_RATE_LIMIT_RANGE = (10, 2_000_000_000)
MAX_TASKS_CEILING = 100
CAPACITY_WEIGHT_RANGE = (0, 1000)
REQUESTS_PER_TARGET_RANGE = (10, 100_000)
MONTHLY_BUDGET_RANGE = (1, 1_000_000)
BUDGET_PERCENTAGE_RANGE = (1, 1000)
# AWS Budgets: "A budget can have up to ten notifications" (Budgets API reference, Notification). The budget has one
# ACTUAL notification per alert percentage and one FORECASTED at 100 % (components/cost_budget.py).
NOTIFICATIONS_PER_BUDGET = 10
MAX_BUDGET_ALERT_PERCENTAGES = NOTIFICATIONS_PER_BUDGET - 1
# ECS service quota "Containers per task definition": 10, not adjustable. The task definition holds the service
# container and the sidecars; GuardDuty adds its runtime agent to each task at launch, not to the definition.
CONTAINERS_PER_TASK_DEFINITION = 10
MAX_SIDECARS = CONTAINERS_PER_TASK_DEFINITION - 1
# VPC quota "Outbound rules per security group": 60 by default (adjustable, within 1,000 rules per network interface).
# The task security group has four egress rules besides one per processor network: the interface endpoints' group,
# the S3 and DynamoDB gateway prefix lists (each of weight 1, so one rule each) and the VPC's range
# (components/fargate_service.py; tests/constructs/test_fargate_service.py counts them in a synthesized template).
OUTBOUND_RULES_PER_SECURITY_GROUP = 60
TASK_GROUP_OTHER_EGRESS_RULES = 4
MAX_PROCESSOR_CIDRS = OUTBOUND_RULES_PER_SECURITY_GROUP - TASK_GROUP_OTHER_EGRESS_RULES
# An ACM certificate's domain name takes at most 64 characters (ACM RequestCertificate: the first domain name
# "cannot exceed 64 octets, including periods"; CDK's Certificate refuses a longer one at synth).
MAX_CERTIFICATE_DOMAIN_LENGTH = 64
# S3 bucket naming rules: names that start with these are refused. Bucket names here start with the service's
# prefix: the replica and governance buckets (settings/naming.py) and every CloudFormation-generated bucket name,
# which starts with its lower-cased stack name. None ends with service-derived text (they end in account-region or a
# generated suffix), so S3's reserved suffixes (-s3alias, --ol-s3, .mrap, --x-s3) cannot arise from it.
# ("sthree-configurator" starts with "sthree-".)
S3_RESERVED_BUCKET_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
# Fargate memory reservation of a sidecar container.
SIDECAR_MEMORY_RANGE = (6, 4096)
# What the service container keeps of the task's memory after the sidecars' limits: the reference service
# peaks near 200 MiB (`make bench-service`, 512 TLS connections); 512 MiB leaves it more than twice that.
MIN_SERVICE_CONTAINER_MEMORY_MIB = 512

# Every pattern matches the whole value (`\Z`: `$` would let a trailing newline through) and, but for tag values,
# ASCII only (`\d` and `\w` would take any script's digits and letters, which AWS ids never hold).
ENV_NAME_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\Z")
ACCOUNT_PATTERN = re.compile(r"^[0-9]{12}\Z")
REGION_PATTERN = re.compile(r"^[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-[0-9]\Z")
EIP_ALLOCATION_PATTERN = re.compile(r"^eipalloc-[0-9a-f]{8,17}\Z")
HOSTED_ZONE_ID_PATTERN = re.compile(r"^Z[A-Z0-9]{1,32}\Z")
DOMAIN_PATTERN = re.compile(r"^(?=.{1,253}\Z)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}\Z")
# An e-mail address: an RFC 5321 dot-atom local part (no leading, trailing or doubled dot) at a DNS name (an
# internationalized domain in its `xn--` form). Case does not matter.
EMAIL_PATTERN = re.compile(
    r"^(?!\.)(?!.*\.\.)[a-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}(?<!\.)"
    r"@(?=.{1,253}\Z)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]\Z",
    re.IGNORECASE | re.ASCII,
)
# AWS tag values: letters of any script, digits, spaces and _.:/=+-@.
TAG_VALUE_PATTERN = re.compile(r"^[\w .:/=+\-@]{1,256}\Z")
CONTAINER_NAME_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,254}\Z")
# ECR's repository names: lower-case components joined by single `.`, `_` or `-`, with `/` between namespaces.
ECR_IMAGE_PATTERN = re.compile(
    r"^(?P<account>[0-9]{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com/"
    r"(?P<repository>(?=[a-z0-9._/-]{2,256}@)(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*)"
    r"@(?P<digest>sha256:[0-9a-f]{64})\Z"
)
CERTIFICATE_ARN_PATTERN = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):acm:(?P<region>[a-z0-9-]+):(?P<account>[0-9]{12}):certificate/"
    r"[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}\Z"
)


def image_in_region(image: str, region: str) -> str | None:
    """An ECR image's copy in `region`'s registry: same repository, same digest, as ECR replication makes it."""
    match = ECR_IMAGE_PATTERN.match(image)
    if match is None:
        return None
    return image.replace(f".dkr.ecr.{match['region']}.", f".dkr.ecr.{region}.", 1)


def image_problems(setting: str, image: str | None, region: str) -> list[str]:
    """Why tasks in `region` cannot pull `image`."""
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
