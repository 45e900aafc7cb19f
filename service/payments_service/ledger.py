"""The ledger: payments and their idempotency records, written together or not at all.

A payment is recorded under (client, idempotency key). The same client sending the same key with the same
payment gets the first answer again, from any task, after any restart, until the record's time to live
ends; a different payment under that key is a conflict. The first write wins, by a conditional write the
store itself enforces, so two tasks racing on one key make one payment.

Two stores behind one interface: DynamoDB (what the service uses in AWS: one table, a transaction per
payment) and SQLite (a file, for running the service on a laptop and for the benchmarks, where the
table's round trip would measure AWS, not the service).
"""

from __future__ import annotations

import datetime
import hashlib
import json
import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any, Protocol

from payments_service.payment_request import PaymentRequest


@dataclass(frozen=True)
class Recorded:
    """The answer to a payment request: the body first given for it, and whether this is a replay."""

    body: dict[str, Any]
    replayed: bool


class IdempotencyConflictError(Exception):
    """The key was used by this client for a different payment."""


class LedgerUnavailableError(Exception):
    """The store could not be reached or refused the write; nothing was recorded, the client may retry."""


class Ledger(Protocol):
    def record(self, client: str, request: PaymentRequest, now: float) -> Recorded: ...

    def close(self) -> None: ...


def new_payment(client: str, request: PaymentRequest, now: float) -> dict[str, Any]:
    """The body of a payment's first answer (also what is stored, and replayed)."""
    return {
        "payment_id": str(uuid.uuid4()),
        "status": "accepted",
        "amount": str(request.value),
        "currency": request.currency,
        "idempotency_key": request.idempotency_key,
        "created_at": datetime.datetime.fromtimestamp(now, datetime.UTC).isoformat(timespec="milliseconds"),
    }


def client_id(client: str) -> str:
    """A fixed-length key part for a client subject of any length or alphabet."""
    return hashlib.sha256(client.encode()).hexdigest()[:32]


class SqliteLedger:
    """The ledger in one SQLite file; processes sharing the file share the ledger."""

    def __init__(self, path: str, ttl_seconds: int) -> None:
        self._ttl = ttl_seconds
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, timeout=10, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        with self._lock:
            self._db.executescript(
                """
                CREATE TABLE IF NOT EXISTS idempotency (
                    client TEXT NOT NULL, key TEXT NOT NULL, fingerprint TEXT NOT NULL, payment_id TEXT NOT NULL,
                    answer TEXT NOT NULL, expires_at REAL NOT NULL, PRIMARY KEY (client, key));
                CREATE TABLE IF NOT EXISTS payments (
                    payment_id TEXT PRIMARY KEY, client TEXT NOT NULL, amount TEXT NOT NULL, currency TEXT NOT NULL,
                    idempotency_key TEXT NOT NULL, created_at TEXT NOT NULL);
                """
            )

    def record(self, client: str, request: PaymentRequest, now: float) -> Recorded:
        owner = client_id(client)
        with self._lock:
            try:
                known, body = self._write(owner, client, request, now)
            except sqlite3.Error as error:
                raise LedgerUnavailableError(f"sqlite: {error}") from None
        if known is not None:
            return _replay(known[0], json.loads(known[1]), request)
        return Recorded(body, replayed=False)

    def _write(
        self, owner: str, client: str, request: PaymentRequest, now: float
    ) -> tuple[tuple[str, str] | None, dict[str, Any]]:
        """(the first answer's fingerprint and body, if the key is taken; else the new payment, now written)."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            # A record past its time to live no longer holds the key.
            self._db.execute(
                "DELETE FROM idempotency WHERE client = ? AND key = ? AND expires_at < ?",
                (owner, request.idempotency_key, now),
            )
            known = self._db.execute(
                "SELECT fingerprint, answer FROM idempotency WHERE client = ? AND key = ?",
                (owner, request.idempotency_key),
            ).fetchone()
            body = new_payment(client, request, now)
            if known is None:
                self._db.execute(
                    "INSERT INTO idempotency VALUES (?, ?, ?, ?, ?, ?)",
                    (owner, request.idempotency_key, request.fingerprint, body["payment_id"], json.dumps(body),
                     now + self._ttl),
                )  # fmt: skip
                self._db.execute(
                    "INSERT INTO payments VALUES (?, ?, ?, ?, ?, ?)",
                    (body["payment_id"], client, body["amount"], request.currency, request.idempotency_key,
                     body["created_at"]),
                )  # fmt: skip
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")
        return known, body

    def count_payments(self) -> int:
        with self._lock:
            (count,) = self._db.execute("SELECT COUNT(*) FROM payments").fetchone()
        return int(count)

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _replay(fingerprint: str, body: dict[str, Any], request: PaymentRequest) -> Recorded:
    if fingerprint != request.fingerprint:
        raise IdempotencyConflictError
    return Recorded(body, replayed=True)


# TransactWriteItems is cancelled, not retried by the SDK, when another transaction touches the same item.
CONFLICT_RETRIES = 5


class DynamoDbLedger:
    """The ledger in one DynamoDB table (partition key `pk`, time to live on `expires_at`).

    An idempotency record (`IDEMPOTENCY#<client>#<key>`) and its payment (`PAYMENT#<id>`) are written in one
    transaction; the record's condition makes the first write win. Calls need only `dynamodb:PutItem` (each
    put of the transaction) and `dynamodb:GetItem` (reading the first answer back) on the table.
    """

    def __init__(
        self, table: str, ttl_seconds: int, client: Any | None = None, region: str | None = None, connections: int = 10
    ) -> None:
        """`connections`: the calls made at once; the client keeps as many open, so no call opens (and no other
        call discards) a TLS connection to the endpoint."""
        if client is None:
            import boto3
            from botocore.config import Config

            # Bounded: a request waits at most the connect and read timeouts, twice (the SDK's standard retry).
            client = boto3.client(
                "dynamodb",
                region_name=region,
                config=Config(
                    connect_timeout=2,
                    read_timeout=3,
                    retries={"mode": "standard", "max_attempts": 2},
                    # One pooled connection per payment in flight: beyond the pool, botocore opens and discards.
                    max_pool_connections=connections,
                ),
            )
        self._client = client
        self._table = table
        self._ttl = ttl_seconds

    def record(self, client: str, request: PaymentRequest, now: float) -> Recorded:
        from botocore.exceptions import BotoCoreError, ClientError

        record_key = {"pk": {"S": f"IDEMPOTENCY#{client_id(client)}#{request.idempotency_key}"}}
        for attempt in range(CONFLICT_RETRIES):
            body = new_payment(client, request, now)
            try:
                self._client.transact_write_items(TransactItems=self._items(record_key, client, request, body, now))
                return Recorded(body, replayed=False)
            except ClientError as error:
                reasons = [r.get("Code") for r in error.response.get("CancellationReasons", [])]
                if reasons and reasons[0] == "ConditionalCheckFailed":
                    return self._first_answer(record_key, request)
                if "TransactionConflict" in reasons and attempt + 1 < CONFLICT_RETRIES:
                    time.sleep(0.01 * (attempt + 1))
                    continue
                raise LedgerUnavailableError(f"dynamodb: {error.response['Error'].get('Code')}") from None
            except BotoCoreError as error:
                raise LedgerUnavailableError(f"dynamodb: {type(error).__name__}") from None
        raise LedgerUnavailableError("dynamodb: transaction conflicts did not resolve")

    def _items(
        self, record_key: dict[str, Any], client: str, request: PaymentRequest, body: dict[str, Any], now: float
    ) -> list[dict[str, Any]]:
        return [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": record_key
                    | {
                        "fingerprint": {"S": request.fingerprint},
                        "payment_id": {"S": body["payment_id"]},
                        "answer": {"S": json.dumps(body)},
                        "expires_at": {"N": str(int(now) + self._ttl)},
                    },
                    # Absent, or past its time to live (DynamoDB deletes expired items only eventually).
                    "ConditionExpression": "attribute_not_exists(pk) OR expires_at < :now",
                    "ExpressionAttributeValues": {":now": {"N": str(int(now))}},
                }
            },
            {
                "Put": {
                    "TableName": self._table,
                    "Item": {
                        "pk": {"S": f"PAYMENT#{body['payment_id']}"},
                        "client": {"S": client},
                        "amount": {"S": body["amount"]},
                        "currency": {"S": request.currency},
                        "idempotency_key": {"S": request.idempotency_key},
                        "created_at": {"S": body["created_at"]},
                    },
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
        ]

    def _first_answer(self, record_key: dict[str, Any], request: PaymentRequest) -> Recorded:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            item = self._client.get_item(TableName=self._table, Key=record_key, ConsistentRead=True).get("Item")
        except (BotoCoreError, ClientError) as error:
            raise LedgerUnavailableError(f"dynamodb: {type(error).__name__}") from None
        if item is None:  # expired and deleted between the two calls: the key is free, let the client retry
            raise LedgerUnavailableError("dynamodb: idempotency record vanished; retry")
        return _replay(item["fingerprint"]["S"], json.loads(item["answer"]["S"]), request)

    def close(self) -> None:
        self._client.close()


def open_ledger(spec: str, ttl_seconds: int, region: str, connections: int = 10) -> Ledger:
    """`dynamodb:TABLE` or `sqlite:/path/to/file` (the `LEDGER` setting); LedgerUnavailableError if it cannot open.

    `connections`: how many calls the service makes at once."""
    kind, _, where = spec.partition(":")
    try:
        if kind == "dynamodb":
            return DynamoDbLedger(where, ttl_seconds, region=region, connections=connections)
        return SqliteLedger(where, ttl_seconds)
    except (sqlite3.Error, ValueError) as error:
        raise LedgerUnavailableError(f"{kind}: {error}") from None
