"""The ledger, in both stores: the first write wins, per client and key, across processes, until the TTL.

DynamoDB is moto's: in this process for the store's semantics, and as a server on loopback shared by two
service processes for the race the table's conditional write must settle.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.server import ThreadedMotoServer
from payments_service.ledger import (
    DynamoDbLedger,
    IdempotencyConflictError,
    Ledger,
    LedgerUnavailableError,
    SqliteLedger,
)
from payments_service.payment_request import parse_payment

from .conftest import call, fifty_at_once, payment, start_process

TTL = 3600
NOW = 1_800_000_000.0
REGION = "us-east-1"


def request(key: str = "order-000001", amount: str = "12.34") -> Any:
    return parse_payment(json.dumps(payment(key, amount=amount)).encode())


def create_table(client: Any, name: str = "ledger") -> str:
    """The table as components/ledger_table.py defines it: one string partition key, `pk`."""
    client.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return name


@pytest.fixture(params=["sqlite", "dynamodb"])
def ledger(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Ledger]:
    if request.param == "sqlite":
        store = SqliteLedger(str(tmp_path / "ledger.db"), TTL)
        yield store
        store.close()
        return
    for variable in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(variable, "testing")
    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        yield DynamoDbLedger(create_table(client), TTL, client=Serialized(client))


class Serialized:
    """A client whose calls reach moto's in-process backend one at a time. That backend is not thread-safe (a
    transaction copies a table while another thread writes it: "dictionary changed size during iteration");
    DynamoDB itself serializes conditional writes to an item, which is what the racing tests rely on."""

    def __init__(self, client: Any) -> None:
        self._client, self._lock = client, threading.Lock()

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._client, name)
        if not callable(attribute):
            return attribute

        def serialized(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                return attribute(*args, **kwargs)

        return serialized


def test_the_first_answer_is_given_again_for_the_same_payment(ledger: Ledger) -> None:
    first = ledger.record("client-a", request(), NOW)
    again = ledger.record("client-a", request(amount="12.34"), NOW + 60)
    assert (first.replayed, again.replayed) == (False, True)
    assert again.body == first.body
    assert first.body["amount"] == "12.34"


def test_a_different_payment_under_the_same_key_is_a_conflict(ledger: Ledger) -> None:
    ledger.record("client-a", request(), NOW)
    with pytest.raises(IdempotencyConflictError):
        ledger.record("client-a", request(amount="12.35"), NOW)


def test_keys_are_scoped_by_client(ledger: Ledger) -> None:
    alice = ledger.record("CN=alice", request(), NOW)
    bob = ledger.record("CN=bob", request(), NOW)
    assert not bob.replayed
    assert alice.body["payment_id"] != bob.body["payment_id"]


def test_a_key_is_free_again_after_its_time_to_live(ledger: Ledger) -> None:
    first = ledger.record("client-a", request(), NOW)
    later = ledger.record("client-a", request(amount="99.00"), NOW + TTL + 1)
    assert not later.replayed
    assert later.body["payment_id"] != first.body["payment_id"]


def test_a_key_is_remembered_however_many_keys_follow(tmp_path: Path) -> None:
    """The first service kept the last 10,000 keys: at a few thousand payments a second, a key lived seconds."""
    store = SqliteLedger(str(tmp_path / "ledger.db"), TTL)
    first = store.record("client-a", request("order-first"), NOW)
    for number in range(12_000):
        store.record("client-a", request(f"order-{number:08d}"), NOW)
    assert store.record("client-a", request("order-first"), NOW).body == first.body
    assert store.count_payments() == 12_001
    store.close()


def test_threads_racing_on_one_key_make_one_payment(ledger: Ledger) -> None:
    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(lambda _: ledger.record("client-a", request(), NOW), range(40)))
    assert len({answer.body["payment_id"] for answer in answers}) == 1
    assert sum(not answer.replayed for answer in answers) == 1


def test_a_store_that_cannot_be_reached_is_unavailable_not_a_crash(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(variable, "testing")
    from botocore.config import Config

    client = boto3.client(
        "dynamodb",
        region_name=REGION,
        endpoint_url="http://127.0.0.1:9",
        config=Config(connect_timeout=0.2, read_timeout=0.2, retries={"max_attempts": 1}),
    )
    with pytest.raises(LedgerUnavailableError):
        DynamoDbLedger("ledger", TTL, client=client).record("client-a", request(), NOW)


@pytest.fixture
def moto_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, str]]:
    """(endpoint, table): a DynamoDB endpoint on loopback, as a table is reached from a task, and a new table
    (moto keeps its tables for the whole process)."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    for variable, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(variable, value)
    table = create_table(boto3.client("dynamodb", region_name=REGION, endpoint_url=endpoint), f"ledger-{uuid.uuid4()}")
    yield endpoint, table
    server.stop()


def test_fifty_parallel_requests_with_one_key_on_two_tasks_sharing_the_table_make_one_payment(
    tmp_path: Path, moto_server: tuple[str, str]
) -> None:
    """And the payment outlives both tasks: a third, started afterwards, answers the same retry with it."""
    endpoint, table = moto_server
    extra = {"AWS_ENDPOINT_URL_DYNAMODB": endpoint, "AWS_REGION": REGION}
    tasks = [start_process(tmp_path / name, ledger=f"dynamodb:{table}", extra=extra) for name in ("a", "b")]
    replies = fifty_at_once(tasks)
    assert {reply.status for reply in replies} == {201}
    assert len({reply.body["payment_id"] for reply in replies}) == 1
    items = boto3.client("dynamodb", region_name=REGION, endpoint_url=endpoint).scan(TableName=table)["Items"]
    assert sorted(item["pk"]["S"].split("#")[0] for item in items) == ["IDEMPOTENCY", "PAYMENT"]
    later = start_process(tmp_path / "c", ledger=f"dynamodb:{table}", extra=extra)
    retry = call(later.port, "POST", "/payments", payment("fifty-at-once", amount="12.34"))
    later.stop()
    assert retry.body["payment_id"] == replies[0].body["payment_id"]


def test_moto_serializes_conditional_writes(moto_server: tuple[str, str]) -> None:
    """What the cross-process test relies on: moto's server applies one conditional write at a time, as
    DynamoDB does (a racing write sees the first one's item)."""
    endpoint, table = moto_server
    client = boto3.client("dynamodb", region_name=REGION, endpoint_url=endpoint)
    wins = []

    def put(number: int) -> None:
        try:
            client.put_item(TableName=table, Item={"pk": {"S": "race"}, "n": {"N": str(number)}},
                            ConditionExpression="attribute_not_exists(pk)")  # fmt: skip
            wins.append(number)
        except client.exceptions.ConditionalCheckFailedException:
            pass

    threads = [threading.Thread(target=put, args=(n,)) for n in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(wins) == 1
