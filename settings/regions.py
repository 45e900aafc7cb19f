"""What synth needs to know about a region and must not look up.

The AWS-managed prefix lists of the S3 and DynamoDB gateway endpoints: the task security group's only ways
out besides the interface endpoints and the processor. Their ids are the same in every account of a region.
`make preflight` compares them with the account's own (`gateway prefix lists`); to add a region, run
`aws ec2 describe-managed-prefix-lists --region REGION --filters
Name=prefix-list-name,Values=com.amazonaws.REGION.s3,com.amazonaws.REGION.dynamodb` and add its line.

The account whose ECR repository `aws-guardduty-agent-fargate` holds GuardDuty's Fargate agent in each region
(GuardDuty guide, "ECR Repository for GuardDuty agent on AWS Fargate"): once GuardDuty Runtime Monitoring manages
the agent, it adds it to every task, pulled with the task's execution role through the ECR endpoints.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PREFIX_LIST_PATTERN = re.compile(r"^pl-[0-9a-f]{8,17}\Z")

# Every region AWS had when this list was written (botocore 1.44's endpoints), by partition: a name of the right
# shape that is not here (us-east-9) is a typo, not a region to add prefix lists for. A region AWS opened since
# goes here, with its gateway prefix lists and GuardDuty agent account below.
AWS_PARTITIONS: dict[str, tuple[str, ...]] = {
    "aws": (
        "af-south-1", "ap-east-1", "ap-east-2", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-south-1",
        "ap-south-2", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4", "ap-southeast-5",
        "ap-southeast-6", "ap-southeast-7", "ca-central-1", "ca-west-1", "eu-central-1", "eu-central-2",
        "eu-north-1", "eu-south-1", "eu-south-2", "eu-west-1", "eu-west-2", "eu-west-3", "il-central-1",
        "me-central-1", "me-south-1", "mx-central-1", "sa-east-1", "us-east-1", "us-east-2", "us-west-1",
        "us-west-2",
    ),
    "aws-cn": ("cn-north-1", "cn-northwest-1"),
    "aws-us-gov": ("us-gov-east-1", "us-gov-west-1"),
    "aws-iso": ("us-iso-east-1", "us-iso-west-1"),
    "aws-iso-b": ("us-isob-east-1", "us-isob-west-1"),
    "aws-iso-e": ("eu-isoe-west-1",),
    "aws-iso-f": ("us-isof-east-1", "us-isof-south-1"),
    "aws-eusc": ("eusc-de-east-1",),
}  # fmt: skip
PARTITION_OF: dict[str, str] = {region: name for name, regions in AWS_PARTITIONS.items() for region in regions}


@dataclass(frozen=True)
class GatewayPrefixLists:
    s3: str
    dynamodb: str

    def names(self, region: str) -> dict[str, str]:
        """Each id, by the name AWS gives its list."""
        return {f"com.amazonaws.{region}.s3": self.s3, f"com.amazonaws.{region}.dynamodb": self.dynamodb}


GATEWAY_PREFIX_LISTS: dict[str, GatewayPrefixLists] = {
    "us-east-1": GatewayPrefixLists(s3="pl-63a5400a", dynamodb="pl-02cd2c6b"),
    "us-east-2": GatewayPrefixLists(s3="pl-7ba54012", dynamodb="pl-4ca54025"),
    "us-west-2": GatewayPrefixLists(s3="pl-68a54001", dynamodb="pl-00a54069"),
}


GUARDDUTY_AGENT_ACCOUNTS: dict[str, str] = {
    "us-east-1": "593207742271",
    "us-east-2": "307168627858",
    "us-west-2": "733349766148",
}
GUARDDUTY_AGENT_REPOSITORY = "aws-guardduty-agent-fargate"


def guardduty_agent_repository(region: str) -> str:
    """The ARN of GuardDuty's Fargate agent repository in `region` (refused first by `region_problems`)."""
    return f"arn:aws:ecr:{region}:{GUARDDUTY_AGENT_ACCOUNTS[region]}:repository/{GUARDDUTY_AGENT_REPOSITORY}"


def gateway_prefix_lists(region: str) -> GatewayPrefixLists:
    """The region's lists; a region without them is refused by the configuration first (`region_problems`)."""
    return GATEWAY_PREFIX_LISTS[region]


def region_problems(setting: str, region: str) -> list[str]:
    """What this module lacks for `region`, as one line each; a region AWS does not have is only that."""
    if region not in PARTITION_OF:
        return [
            f"{setting}: {region!r} is not an AWS region (settings/regions.py lists them; one AWS opened since goes "
            "there, with its gateway prefix lists)"
        ]
    found = []
    if region not in GATEWAY_PREFIX_LISTS:
        found.append(
            f"{setting}: {region!r} has no gateway prefix lists in settings/regions.py; synth looks nothing up, so "
            f"add the ids of com.amazonaws.{region}.s3 and com.amazonaws.{region}.dynamodb there "
            "(aws ec2 describe-managed-prefix-lists)"
        )
    if region not in GUARDDUTY_AGENT_ACCOUNTS:
        found.append(
            f"{setting}: {region!r} has no GuardDuty Fargate agent account in settings/regions.py; add the account of "
            f"its {GUARDDUTY_AGENT_REPOSITORY} repository there (GuardDuty guide, ECR repository for the agent)"
        )
    return found
