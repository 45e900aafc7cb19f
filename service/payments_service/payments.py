"""Payment requests: validation and idempotent acceptance. No I/O, so it is cheap to test."""

from __future__ import annotations

import json
import re
import threading
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

# ISO 4217 codes accepted, with their number of minor-unit digits.
CURRENCIES: dict[str, int] = {
    "AUD": 2, "CAD": 2, "CHF": 2, "DKK": 2, "EUR": 2, "GBP": 2, "JPY": 0,
    "KRW": 0, "NOK": 2, "NZD": 2, "SEK": 2, "SGD": 2, "USD": 2,
}  # fmt: skip
MAX_AMOUNT = Decimal("1000000")
IDEMPOTENCY_KEY_PATTERN = re.compile(r"^[A-Za-z0-9_-]{8,128}$")
FIELDS = frozenset({"amount", "currency", "idempotency_key"})


@dataclass(frozen=True)
class Outcome:
    """What the service answers: an HTTP status and a JSON body."""

    status: int
    body: dict[str, Any]
    replayed: bool = False
    reason: str | None = None
    amount: Decimal | None = None
    currency: str | None = None

    @property
    def accepted(self) -> bool:
        return self.status == 201


class PaymentError(Exception):
    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


def _rejected(error: PaymentError) -> Outcome:
    return Outcome(
        status=error.status, body={"error": {"code": error.code, "message": error.message}}, reason=error.code
    )


def parse_payment(raw: bytes) -> tuple[Decimal, str, str]:
    """(amount, currency, idempotency key) of a request body, or a PaymentError that says what is wrong."""
    try:
        document = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise PaymentError("invalid_json", "body is not valid JSON") from None
    if not isinstance(document, dict):
        raise PaymentError("invalid_json", "body must be a JSON object")
    missing = sorted(FIELDS - document.keys())
    if missing:
        raise PaymentError("missing_field", f"missing field(s): {', '.join(missing)}")
    unknown = sorted(document.keys() - FIELDS)
    if unknown:
        raise PaymentError("unknown_field", f"unknown field(s): {', '.join(unknown)}")
    currency = document["currency"]
    if not isinstance(currency, str) or currency not in CURRENCIES:
        raise PaymentError("invalid_currency", f"currency must be one of {', '.join(sorted(CURRENCIES))}")
    amount = _amount(document["amount"], CURRENCIES[currency])
    key = document["idempotency_key"]
    if not isinstance(key, str) or not IDEMPOTENCY_KEY_PATTERN.match(key):
        raise PaymentError("invalid_idempotency_key", "idempotency_key must be 8-128 characters of A-Z a-z 0-9 _ -")
    return amount, currency, key


def _amount(value: Any, minor_digits: int) -> Decimal:
    # Floats would lose cents; amounts are JSON strings or integers.
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise PaymentError("invalid_amount", 'amount must be a decimal string such as "12.34" or an integer')
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise PaymentError("invalid_amount", f"amount {value!r} is not a number") from None
    if not amount.is_finite() or amount <= 0 or amount > MAX_AMOUNT:
        raise PaymentError("invalid_amount", f"amount must be greater than 0 and at most {MAX_AMOUNT}")
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > minor_digits:
        raise PaymentError("invalid_amount", f"amount has more than {minor_digits} decimal places for this currency")
    return amount


class PaymentLedger:
    """Accepts payments once per idempotency key; remembers the last `capacity` keys."""

    def __init__(self, capacity: int = 10_000) -> None:
        self._capacity = capacity
        self._answers: OrderedDict[str, tuple[tuple[str, str], Outcome]] = OrderedDict()
        self._lock = threading.Lock()

    def submit(self, raw: bytes) -> Outcome:
        try:
            amount, currency, key = parse_payment(raw)
        except PaymentError as error:
            return _rejected(error)
        fingerprint = (str(amount), currency)
        with self._lock:
            known = self._answers.get(key)
            if known is not None:
                self._answers.move_to_end(key)
                previous_fingerprint, outcome = known
                if previous_fingerprint != fingerprint:
                    return _rejected(
                        PaymentError(
                            "idempotency_conflict",
                            "idempotency_key was already used for a different payment",
                            status=409,
                        )
                    )
                return Outcome(outcome.status, outcome.body, replayed=True, amount=amount, currency=currency)
            outcome = Outcome(
                status=201,
                body={
                    "payment_id": str(uuid.uuid4()),
                    "status": "accepted",
                    "amount": str(amount),
                    "currency": currency,
                    "idempotency_key": key,
                },
                amount=amount,
                currency=currency,
            )
            self._answers[key] = (fingerprint, outcome)
            if len(self._answers) > self._capacity:
                self._answers.popitem(last=False)
            return outcome
