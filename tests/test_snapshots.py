"""Template snapshots of every profile, both regions: the refactoring safety net.

Regenerate with `make snapshot-update` after an intended change, and read the diff before committing it.
"""

from __future__ import annotations

import pytest
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.json import JSONSnapshotExtension
from syrupy.matchers import path_type

from tests.support.synthesized import Synthesized

# Asset hashes change with every CDK release that touches its bundled Lambdas, and with every change to the
# reference service's source (the image tag); match their type, not their value.
ASSET_HASHES = path_type({r".*\.S3Key$": (str,), r".*\.ContainerDefinitions\.\d+\.Image\.Fn::Sub$": (str,)}, regex=True)


@pytest.fixture
def json_snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    return snapshot.use_extension(JSONSnapshotExtension)


def test_templates_match_snapshot(each_profile: Synthesized, json_snapshot: SnapshotAssertion) -> None:
    assert each_profile.every_document == json_snapshot(matcher=ASSET_HASHES)
