"""Nothing is lost: stateful resources are retained, and their logical ids cannot drift in a refactor.

A changed logical id makes CloudFormation create a new resource and orphan (or delete) the old one. If
one of these tests fails, the change would replace a key, a log bucket, a log group or the secret: keep the old id
(for example with `override_logical_id`) instead of updating the list.
"""

from __future__ import annotations

import pytest

from tests.conftest import Synthesized

SECURITY = "Security"
STATEFUL_TYPES = ("AWS::KMS::Key", "AWS::S3::Bucket", "AWS::Logs::LogGroup", "AWS::SecretsManager::Secret")

PINNED_LOGICAL_IDS = {
    "AWS::KMS::Key": {"LogsKeyFE4C4A83", "DataKey2A0DE9E6"},
    "AWS::S3::Bucket": {
        "ServerAccessLogBucket34279BE9",
        "FlowLogBucketE78B4887",
        "AlbAccessLogBucket99E910E7",
        "LogArchiveBucket1DC6EEA8",
    },
    "AWS::Logs::LogGroup": {"AppLogGroupFE03ECB4", "WafLogGroupA5E8413B"},
    "AWS::SecretsManager::Secret": {"ProcessorSecret027DBD0C"},
}


@pytest.mark.parametrize("resource_type", STATEFUL_TYPES)
def test_stateful_resources_keep_their_logical_ids(each_profile: Synthesized, resource_type: str) -> None:
    assert set(each_profile.resources(SECURITY, resource_type)) == PINNED_LOGICAL_IDS[resource_type]


@pytest.mark.parametrize("resource_type", STATEFUL_TYPES)
def test_stateful_resources_are_retained_on_delete_and_replace_but_not_after_a_failed_create(
    each_profile: Synthesized, resource_type: str
) -> None:
    # The server-access-log bucket receives objects while its stack is created, so it is kept even then
    # (tests/test_deploy_traps.py); everything else is empty until later stacks deploy.
    kept_on_rollback = {"ServerAccessLogBucket34279BE9"}
    for stack in each_profile.stacks.all():
        for logical_id, resource in each_profile.resources(stack.node.id, resource_type).items():
            expected = "Retain" if logical_id in kept_on_rollback else "RetainExceptOnCreate"
            assert resource["DeletionPolicy"] == expected, logical_id
            assert resource["UpdateReplacePolicy"] == "Retain", logical_id


def test_stateful_resources_live_only_in_the_security_stack(each_profile: Synthesized) -> None:
    for stack in each_profile.stacks.all():
        if stack.node.id != SECURITY:
            for resource_type in STATEFUL_TYPES:
                assert each_profile.resources(stack.node.id, resource_type) == {}, (stack.node.id, resource_type)
