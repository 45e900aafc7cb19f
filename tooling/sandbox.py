"""The sandbox workflow's two account-facing steps (.github/workflows/sandbox.yml).

`zones --account A --region R`: record the account's zones in cdk.context.json, as `cdk context` would, so that
synth (which looks nothing up) can build the profile in a sandbox account. `cleanup --env E --account A --region R`:
after `cdk destroy`, delete what the stacks retain and would make the next run's create fail with AlreadyExists
(the named log groups; docs/RUNBOOK.md, retained resources with fixed names), and list what stays: audit buckets
under S3 Object Lock and KMS keys only the key administrator may schedule for deletion.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import ClientError

from settings import PROFILES
from settings.resolve import availability_zone_context_key
from tooling.synthesis import ROOT

CONTEXT = ROOT / "cdk.context.json"


def record_zones(ec2: Any, account: str, region: str, path: Path = CONTEXT) -> list[str]:
    """The region's available zones under the key synth reads, in cdk.context.json (`path`)."""
    zones = sorted(
        zone["ZoneName"]
        for zone in ec2.describe_availability_zones(
            Filters=[{"Name": "zone-type", "Values": ["availability-zone"]}, {"Name": "state", "Values": ["available"]}]
        )["AvailabilityZones"]
    )
    context = json.loads(path.read_text())
    context[availability_zone_context_key(account, region)] = zones
    path.write_text(json.dumps(context, indent=2, sort_keys=True) + "\n")
    return zones


def cleanup(logs: Any, names: Any) -> list[str]:
    """Delete the named log groups a destroyed deployment leaves behind; one line per group, what happened."""
    done = []
    for group in (names.waf_log_group, names.egress_log_group):
        try:
            logs.delete_log_group(logGroupName=group)
            done.append(f"deleted log group {group}")
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
                raise
    return done


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tooling.sandbox", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    zones = commands.add_parser("zones")
    clean = commands.add_parser("cleanup")
    clean.add_argument("--env", required=True, choices=sorted(PROFILES))
    for sub in (zones, clean):
        sub.add_argument("--account", required=True)
        sub.add_argument("--region", required=True)
    arguments = parser.parse_args(argv)
    session = boto3.Session(region_name=arguments.region)
    if arguments.command == "zones":
        found = record_zones(session.client("ec2"), arguments.account, arguments.region)
        print(f"{arguments.region}: {', '.join(found)}")
        return 0
    names = PROFILES[arguments.env].names
    for line in cleanup(session.client("logs"), names):
        print(line)
    print(
        "left in the account, by design: the audit buckets (S3 Object Lock keeps their records "
        f"{PROFILES[arguments.env].retention.audit_archive_days} days) and the KMS keys (only "
        f"{names.key_admin_role} may schedule their deletion); see docs/RUNBOOK.md, retained resources"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
