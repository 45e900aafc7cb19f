"""Template snapshots: the refactoring safety net. Regenerate with `make snapshot-update` after an intended change."""

from __future__ import annotations

import pytest
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.json import JSONSnapshotExtension
from syrupy.matchers import path_type

from tests.conftest import Synthesized

# Asset hashes change with every CDK release that touches its bundled Lambdas, and with every change to the
# reference service's source (the image tag); match their type, not their value.
ASSET_HASHES = path_type({r".*\.S3Key$": (str,), r".*\.ContainerDefinitions\.\d+\.Image\.Fn::Sub$": (str,)}, regex=True)


@pytest.fixture
def json_snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    return snapshot.use_extension(JSONSnapshotExtension)


@pytest.mark.parametrize("stack", ["Security", "Network", "Compute", "Observability"])
def test_template_matches_snapshot(dev: Synthesized, stack: str, json_snapshot: SnapshotAssertion) -> None:
    assert dev.documents[stack] == json_snapshot(matcher=ASSET_HASHES)
