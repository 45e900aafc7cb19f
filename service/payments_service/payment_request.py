"""A payment request: strict JSON, strict fields, canonical amounts. No I/O.

JSON is read with the standard parser told to refuse duplicate keys and the non-standard constants
(NaN, Infinity); fields are checked by a pydantic model in strict mode (no coercion: `12` is not `"12"`).
An amount is a canonical decimal string: ASCII digits, no sign, no leading zero, no exponent, no
separators or spaces, and either no decimals or exactly the currency's minor units. Two requests are the
same payment when their amounts are equal as numbers: `"10"` and `"10.00"` are one amount.
"""

from __future__ import annotations

import hashlib
import json
import re
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from payments_service.card_data import contains_pan

# ISO 4217 codes accepted, with their number of minor-unit digits.
CURRENCIES: dict[str, int] = {
    "AUD": 2, "CAD": 2, "CHF": 2, "DKK": 2, "EUR": 2, "GBP": 2, "JPY": 0,
    "KRW": 0, "NOK": 2, "NZD": 2, "SEK": 2, "SGD": 2, "USD": 2,
}  # fmt: skip
Currency = Literal["AUD", "CAD", "CHF", "DKK", "EUR", "GBP", "JPY", "KRW", "NOK", "NZD", "SEK", "SGD", "USD"]
MAX_AMOUNT = Decimal("1000000")
# Digits of the integer part; with the maximum amount, no canonical amount is longer.
AMOUNT_PATTERN = re.compile(r"(0|[1-9][0-9]{0,6})(?:\.([0-9]+))?", re.ASCII)
IDEMPOTENCY_KEY_PATTERN = r"^[A-Za-z0-9_-]{8,128}$"
FIELDS = ("amount", "currency", "idempotency_key")


class PaymentError(Exception):
    """Why a request is refused: a stable code for clients and metrics, a message for people."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


class PaymentRequest(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    amount: str = Field(max_length=32)
    currency: Currency
    idempotency_key: str = Field(pattern=IDEMPOTENCY_KEY_PATTERN)

    @field_validator("idempotency_key")
    @classmethod
    def _no_card_number(cls, key: str) -> str:
        if contains_pan(key):
            raise ValueError("idempotency_key must not contain a card number")
        return key

    @model_validator(mode="after")
    def _canonical_amount(self) -> PaymentRequest:
        minor = CURRENCIES[self.currency]
        match = AMOUNT_PATTERN.fullmatch(self.amount)
        if match is None or (match[2] is not None and len(match[2]) != minor):
            decimals = f"exactly {minor} decimals or none" if minor else "no decimals"
            raise ValueError(f"amount must be a string of digits with {decimals}, such as {example(minor)}")
        value = Decimal(self.amount)
        if not 0 < value <= MAX_AMOUNT:
            raise ValueError(f"amount must be greater than 0 and at most {MAX_AMOUNT}")
        return self

    @property
    def value(self) -> Decimal:
        """The amount in the currency's minor-unit precision: equal amounts are equal values."""
        return Decimal(self.amount).quantize(Decimal(1).scaleb(-CURRENCIES[self.currency]))

    @property
    def fingerprint(self) -> str:
        """What makes two requests with one key the same payment: the amount as a number and the currency."""
        return hashlib.sha256(f"{self.value}|{self.currency}".encode()).hexdigest()


def example(minor: int) -> str:
    return '"12.34"' if minor == 2 else '"1234"' if minor == 0 else '"12." followed by the minor units'


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document: dict[str, Any] = {}
    for key, value in pairs:
        if key in document:
            raise PaymentError("invalid_json", "a field appears more than once")
        document[key] = value
    return document


def _no_constant(name: str) -> Any:
    raise PaymentError("invalid_json", f"{name} is not JSON")


def parse_payment(raw: bytes) -> PaymentRequest:
    """The request, or a PaymentError that says what is wrong (never any other exception)."""
    try:
        # Numbers become Decimals: never a float, never an integer too long to convert; an amount that is a
        # number, not a string, is then refused like any other wrong type.
        document = json.loads(
            raw.decode("utf-8"),
            object_pairs_hook=_no_duplicates,
            parse_constant=_no_constant,
            parse_int=Decimal,
            parse_float=Decimal,
        )
    except PaymentError:
        raise
    except (UnicodeDecodeError, ValueError, RecursionError):
        # ValueError includes JSONDecodeError and an integer longer than Python converts.
        raise PaymentError("invalid_json", "body is not valid JSON") from None
    if not isinstance(document, dict):
        raise PaymentError("invalid_json", "body must be a JSON object")
    try:
        return PaymentRequest.model_validate(document)
    except ValidationError as error:
        raise _refusal(error) from None


def _refusal(error: ValidationError) -> PaymentError:
    """The first problem pydantic found, as the code and message the API documents."""
    problems = error.errors(include_url=False, include_input=False)
    missing = sorted(str(p["loc"][0]) for p in problems if p["type"] == "missing")
    if missing:
        return PaymentError("missing_field", f"missing field(s): {', '.join(missing)}")
    if any(p["type"] == "extra_forbidden" for p in problems):
        return PaymentError("unknown_field", f"unknown field(s); the fields are {', '.join(sorted(FIELDS))}")
    problem = problems[0]
    field = str(problem["loc"][0]) if problem["loc"] else "amount"
    if field == "currency":
        return PaymentError("invalid_currency", f"currency must be one of {', '.join(sorted(CURRENCIES))}")
    if field == "idempotency_key":
        return PaymentError(
            "invalid_idempotency_key",
            "idempotency_key must be 8-128 characters of A-Z a-z 0-9 _ - and contain no card number",
        )
    message = str(problem.get("ctx", {}).get("error", "")) or 'amount must be a decimal string such as "12.34"'
    return PaymentError("invalid_amount", message)
