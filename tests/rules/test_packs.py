"""cdk-nag: every pack is active, and the app has no finding that is not acknowledged with a reason."""

from __future__ import annotations

import pytest
from aws_cdk import App, CfnResource, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3

from rules.findings import reported, unacknowledged_findings
from rules.packs import PACK_TYPES
from tests.support.synthesized import Synthesized

PACK_NAMES = [pack.__name__ for pack in PACK_TYPES]


@pytest.mark.parametrize("pack_name", PACK_NAMES)
def test_no_unacknowledged_finding(each_profile: Synthesized, pack_name: str) -> None:
    (pack_type,) = [pack for pack in PACK_TYPES if pack.__name__ == pack_name]
    pack, report = each_profile.pack_report(pack_type)
    findings = unacknowledged_findings(pack, each_profile.app, report, each_profile.acknowledgements)
    assert findings == [], "\n".join(str(finding) for finding in findings)


@pytest.mark.parametrize("pack_type", PACK_TYPES, ids=PACK_NAMES)
def test_pack_is_active_and_flags_a_known_bad_construct(pack_type: type) -> None:
    app = App()
    stack = Stack(app, "KnownBad")
    s3.CfnBucket(stack, "UnencryptedBucket")
    logs.CfnLogGroup(stack, "UnencryptedLogGroup")
    ec2.CfnSecurityGroup(
        stack,
        "OpenSsh",
        group_description="ssh from anywhere",
        security_group_ingress=[
            ec2.CfnSecurityGroup.IngressProperty(ip_protocol="tcp", from_port=22, to_port=22, cidr_ip="0.0.0.0/0")
        ],
    )
    findings = unacknowledged_findings(pack_type(app), app)
    # SSH open to the internet breaks a rule of every pack, the PCI DSS v4.0.1 pack included.
    assert "KnownBad/OpenSsh" in {finding.construct_path for finding in findings}


def test_acknowledgements_sit_on_single_resources_and_name_a_compensating_control(each_profile: Synthesized) -> None:
    found = each_profile.acknowledgements
    assert found
    for acknowledgement in found:
        pack, rule = acknowledgement.finding_id.split("::", 1)
        assert rule.startswith(f"{pack}-"), acknowledgement
        assert "compensating control" in acknowledgement.reason, acknowledgement


def test_every_acknowledgement_matches_a_real_finding(each_profile: Synthesized) -> None:
    found = set()
    for pack_type in PACK_TYPES:
        pack, report = each_profile.pack_report(pack_type)
        found |= {(finding_id, path) for finding_id, path, _ in reported(pack.name, report)}
    stale = [a for a in each_profile.acknowledgements if (a.finding_id, a.construct_path) not in found]
    assert stale == []


def test_acknowledged_constructs_are_cloudformation_resources(dev: Synthesized) -> None:
    by_path = {construct.node.path: construct for construct in dev.app.node.find_all()}
    for acknowledgement in dev.acknowledgements:
        assert isinstance(by_path[acknowledgement.construct_path], CfnResource), acknowledgement


# What an acknowledgement reason may say only where the profile has (True) or has no (False) standby region.
STANDBY_CLAIMS = {"until a standby region is configured": False, "no standby region": False, "standby region's": True}


def test_every_reason_is_true_for_the_profile_it_is_listed_in(each_profile: Synthesized) -> None:
    """A reason that promises a standby region where there is one, or blames its absence where there is one, is
    a register that lies to the assessor."""
    has_standby = each_profile.config.standby_region is not None
    wrong = [
        (acknowledgement.construct_path, claim)
        for acknowledgement in each_profile.acknowledgements
        for claim, needs_standby in STANDBY_CLAIMS.items()
        if claim in acknowledgement.reason and needs_standby != has_standby
    ]
    assert wrong == []
