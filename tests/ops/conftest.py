"""Fixtures of the ops tests: a moto account per test, and dev's alarms as deployed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

import boto3
import botocore.loaders
import botocore.session
import pytest
from moto import mock_aws

from settings import ClientAuthentication, EnvironmentConfig, TlsSettings, regions
from tests.support.aws import (
    ACCOUNT,
    MODELS,
    REGION,
    DeployedAlarms,
    account_prefix_lists,
    dev_config,
    governed,
    imported_certificate,
)
from tests.support.synthesized import Synthesized


class _Session(boto3.Session):  # type: ignore[misc]
    """A session whose clients are made once per test run: the ops code asks for the same clients in every test,
    and building one costs 10-15 ms. Safe because a client holds no account state here: moto answers at the HTTP
    layer and keeps the state, which each test's `mock_aws` starts afresh."""

    clients: ClassVar[dict[Any, Any]] = {}

    def client(self, *args: Any, **kwargs: Any) -> Any:
        key = (args, tuple(sorted(kwargs.items(), key=lambda item: item[0])))
        if key not in self.clients:
            self.clients[key] = super().client(*args, **kwargs)
        return self.clients[key]


@pytest.fixture
def session(monkeypatch: pytest.MonkeyPatch) -> Iterator[boto3.Session]:
    for variable, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "MOTO_ACCOUNT_ID": ACCOUNT,
        "MOTO_ECS_SERVICE_RUNNING": "2",
        # No test launches an instance: without the AMI catalogue, each test's EC2 backend starts 5 s faster in all.
        "MOTO_EC2_LOAD_DEFAULT_AMIS": "false",
    }.items():
        monkeypatch.setenv(variable, value)
    with mock_aws():
        core = botocore.session.get_session()
        core.register_component("data_loader", MODELS)
        yield _Session(region_name=REGION, botocore_session=core)


@pytest.fixture
def ready_account(session: boto3.Session, monkeypatch: pytest.MonkeyPatch) -> EnvironmentConfig:
    """An account a dev deploy can go to: bootstrapped, quota room, an issued certificate, and the gateway prefix
    lists settings/regions.py names (moto makes up its own ids)."""
    session.client("ssm").put_parameter(Name="/cdk-bootstrap/hnb659fds/version", Value="30", Type="String")
    organization_trail(session)
    governed(session, REGION)
    monkeypatch.setitem(regions.GATEWAY_PREFIX_LISTS, REGION, account_prefix_lists(session, REGION))
    return dev_config(
        tls=TlsSettings(certificate_arn=imported_certificate(session), client_authentication=ClientAuthentication.OFF),
        paging_emails=("oncall@example.com",),
    )


def organization_trail(session: boto3.Session) -> None:
    """The organization's trail: every region, management reads and writes, validated, KMS-encrypted."""
    session.client("s3").create_bucket(Bucket="organization-trail")
    cloudtrail = session.client("cloudtrail")
    key = session.client("kms").create_key()["KeyMetadata"]["Arn"]
    cloudtrail.create_trail(
        Name="organization", S3BucketName="organization-trail", IsMultiRegionTrail=True,
        EnableLogFileValidation=True, KmsKeyId=key,
    )  # fmt: skip
    cloudtrail.start_logging(Name="organization")


@pytest.fixture
def governed_account(session: boto3.Session) -> EnvironmentConfig:
    """Only what ops/governance.py reads: the organization's trail and the region's governance."""
    organization_trail(session)
    governed(session, REGION)
    return dev_config()


@pytest.fixture(scope="session")
def alarms(dev: Synthesized) -> DeployedAlarms:
    stack = dev.stacks.observability.stack_name
    resources = dev.documents["Observability"]["Resources"]
    return DeployedAlarms(
        composite=tuple(
            r["Properties"]["AlarmName"] for r in resources.values() if r["Type"] == "AWS::CloudWatch::CompositeAlarm"
        ),
        metric=tuple(
            f"{stack}-{i}-1A2B3C4D5E6F" for i, r in resources.items() if r["Type"] == "AWS::CloudWatch::Alarm"
        ),
    )
