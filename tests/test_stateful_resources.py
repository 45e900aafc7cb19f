"""Nothing is lost: every resource that holds data is retained, and its logical id is pinned in both regions.

A changed logical id makes CloudFormation create a new resource and orphan (or delete) the old one; for a
named replica bucket the create even fails, because the retained old bucket still holds the name. If a test
here fails, the change would replace a key, a bucket, a log group or the secret: keep the old id (for
example with `override_logical_id`) instead of updating the table.
"""

from __future__ import annotations

from typing import Any

from settings.sections import GovernanceMode
from stacks.payment_app import STANDBY_PREFIX
from tests.support.synthesized import Synthesized

# Resource types that hold data or decrypt it; any of them, anywhere, must be listed below.
STATEFUL_TYPES = {
    "AWS::KMS::Key",
    "AWS::S3::Bucket",
    "AWS::Logs::LogGroup",
    "AWS::SecretsManager::Secret",
    "AWS::DynamoDB::Table",
}
# The Security stack of every region.
RETAINED = {
    "LogsKeyFE4C4A83": "AWS::KMS::Key",
    "DataKey2A0DE9E6": "AWS::KMS::Key",
    "SecretsKey0D2EC683": "AWS::KMS::Key",
    "TopicsKey9F724072": "AWS::KMS::Key",
    "ServerAccessLogBucket34279BE9": "AWS::S3::Bucket",
    "FlowLogBucketE78B4887": "AWS::S3::Bucket",
    "AlbAccessLogBucket99E910E7": "AWS::S3::Bucket",
    "LogArchiveBucket1DC6EEA8": "AWS::S3::Bucket",
    "AppLogGroupFE03ECB4": "AWS::Logs::LogGroup",
    "WafLogGroupA5E8413B": "AWS::Logs::LogGroup",
    "GeneratedFunctionLogGroup7D699FDC": "AWS::Logs::LogGroup",
    "ProcessorSecret027DBD0C": "AWS::SecretsManager::Secret",
    "LedgerTable9343E4AA": "AWS::DynamoDB::Table",
}
# Added to the standby region's Security stack: the primary replicates into these (components/audit_replication.py).
RETAINED_IN_STANDBY = {
    "FlowLogsReplicaBucketE160682C": "AWS::S3::Bucket",
    "AlbLogsReplicaBucket7D02A57C": "AWS::S3::Bucket",
    "LogArchiveReplicaBucketC50CF5DA": "AWS::S3::Bucket",
    "AccessLogsReplicaBucket67040C1B": "AWS::S3::Bucket",
}
# Added where the processor is named by host (`network.processor_hosts`): the egress firewall's alert log.
RETAINED_WITH_FIREWALL = {"EgressLogGroup63543ED9": "AWS::Logs::LogGroup"}
# Written while their own stack is created (the other buckets' access logs; CloudWatch Logs' test message through
# the archive stream), so a rollback could not delete them (tests/test_deploy_traps.py); everything else is empty
# until later stacks deploy. A protected ledger table cannot be deleted by a rollback either.
# With `governance: create`: the Security stack's governance bucket (each region), the trail's log group (primary).
RETAINED_IN_GOVERNANCE = {"GovernanceBucketAuditBucket8B83BE6A": "AWS::S3::Bucket"}
RETAINED_WITH_TRAIL = {"ManagementTrailEventsLogGroup9062A465": "AWS::Logs::LogGroup"}
KEPT_AFTER_A_FAILED_CREATE = {"ServerAccessLogBucket34279BE9", "LogArchiveBucket1DC6EEA8"}
KEPT = {"Retain", "RetainExceptOnCreate", "Snapshot"}


def expected(stack: str, synthesized: Synthesized) -> dict[str, str]:
    firewall = RETAINED_WITH_FIREWALL if synthesized.config.network.processor_hosts else {}
    governance = RETAINED_IN_GOVERNANCE if synthesized.config.governance is GovernanceMode.CREATE else {}
    if stack == "Security":
        return RETAINED | firewall | governance
    if stack == f"{STANDBY_PREFIX}Security":
        return RETAINED | RETAINED_IN_STANDBY | firewall | governance
    if stack == "Governance":
        return RETAINED_WITH_TRAIL
    return {}


def kept(document: dict[str, Any]) -> dict[str, str]:
    return {
        logical_id: resource["Type"]
        for logical_id, resource in document["Resources"].items()
        if resource.get("DeletionPolicy") in KEPT or resource["Type"] in STATEFUL_TYPES
    }


def test_every_retained_resource_keeps_its_logical_id_in_every_region(each_profile: Synthesized) -> None:
    for stack, document in each_profile.every_document.items():
        assert kept(document) == expected(stack, each_profile), stack


def test_retained_on_delete_and_replace_and_removed_after_a_failed_create_unless_written_during_it(
    each_profile: Synthesized,
) -> None:
    for stack, document in each_profile.every_document.items():
        for logical_id in expected(stack, each_profile):
            resource = document["Resources"][logical_id]
            protected = resource.get("Properties", {}).get("DeletionProtectionEnabled") is True
            policy = "Retain" if logical_id in KEPT_AFTER_A_FAILED_CREATE or protected else "RetainExceptOnCreate"
            assert (resource["DeletionPolicy"], resource["UpdateReplacePolicy"]) == (policy, "Retain"), (
                stack,
                logical_id,
            )
