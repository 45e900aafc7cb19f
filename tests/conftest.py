"""Session fixtures: each profile's app is built by the same factory as app.py and synthesized once.

Helpers live in `tests/support/`; this file only makes the fixtures.
"""

from __future__ import annotations

import os

# CDK's built-in CloudFormation validation costs seconds per synth; `make synth` runs it, unit tests do not.
# Must be set before aws_cdk is imported.
os.environ["CDK_VALIDATION"] = "false"

import pytest

from settings import PROFILES
from settings.profiles import DEFAULT_PROFILE
from tests.support.adoption import ADOPTED, EVERY_PROFILE, profile
from tests.support.synthesized import Synthesized


@pytest.fixture(scope="session")
def synthesized_profiles() -> dict[str, Synthesized]:
    """Filled as profiles are first asked for; each is synthesized at most once per session."""
    return {}


@pytest.fixture(scope="session")
def dev(synthesized_profiles: dict[str, Synthesized]) -> Synthesized:
    """The default profile (the one `make synth` builds without ENV)."""
    return profile(DEFAULT_PROFILE, synthesized_profiles)


@pytest.fixture(scope="session")
def adopted(synthesized_profiles: dict[str, Synthesized]) -> Synthesized:
    return profile(ADOPTED.name, synthesized_profiles)


@pytest.fixture(scope="session", params=EVERY_PROFILE)
def each_profile(request: pytest.FixtureRequest, synthesized_profiles: dict[str, Synthesized]) -> Synthesized:
    return profile(request.param, synthesized_profiles)


@pytest.fixture(scope="session")
def app_profiles(synthesized_profiles: dict[str, Synthesized]) -> dict[str, Synthesized]:
    """The app's own profiles (settings/profiles.py), the ones its generated documents describe."""
    return {name: profile(name, synthesized_profiles) for name in PROFILES}


@pytest.fixture(scope="session")
def every_profile(synthesized_profiles: dict[str, Synthesized]) -> dict[str, Synthesized]:
    return {name: profile(name, synthesized_profiles) for name in EVERY_PROFILE}
