"""Payment validation and idempotency, without a server."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from payments_service.payments import PaymentError, PaymentLedger, parse_payment


def body(**fields: object) -> bytes:
    return json.dumps({"amount": "12.34", "currency": "USD", "idempotency_key": "order-000001"} | fields).encode()


def test_valid_payment_is_parsed_without_float_rounding() -> None:
    assert parse_payment(body(amount="0.10")) == (Decimal("0.10"), "USD", "order-000001")


def test_integer_amount_is_accepted() -> None:
    assert parse_payment(body(amount=5000, currency="JPY"))[0] == Decimal(5000)


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (b"{not json", "invalid_json"),
        (b"[1, 2]", "invalid_json"),
        (json.dumps({"amount": "1.00", "currency": "USD"}).encode(), "missing_field"),
        (body(extra=1), "unknown_field"),
        (body(amount=12.34), "invalid_amount"),
        (body(amount=True), "invalid_amount"),
        (body(amount="abc"), "invalid_amount"),
        (body(amount="0"), "invalid_amount"),
        (body(amount="-5.00"), "invalid_amount"),
        (body(amount="NaN"), "invalid_amount"),
        (body(amount="1000000.01"), "invalid_amount"),
        (body(amount="1.001"), "invalid_amount"),
        (body(amount="100.5", currency="JPY"), "invalid_amount"),
        (body(currency="usd"), "invalid_currency"),
        (body(currency="XXX"), "invalid_currency"),
        (body(idempotency_key="short"), "invalid_idempotency_key"),
        (body(idempotency_key="has space in it"), "invalid_idempotency_key"),
        (body(idempotency_key=12345678), "invalid_idempotency_key"),
    ],
)
def test_invalid_payment_is_rejected_with_a_reason(raw: bytes, code: str) -> None:
    with pytest.raises(PaymentError) as caught:
        parse_payment(raw)
    assert caught.value.code == code
    assert caught.value.message


def test_same_idempotency_key_gives_the_same_answer() -> None:
    ledger = PaymentLedger()
    first, second = ledger.submit(body()), ledger.submit(body())
    assert first.status == second.status == 201
    assert first.body == second.body
    assert (first.replayed, second.replayed) == (False, True)


def test_same_key_for_a_different_payment_is_a_conflict() -> None:
    ledger = PaymentLedger()
    ledger.submit(body())
    conflict = ledger.submit(body(amount="99.00"))
    assert conflict.status == 409
    assert conflict.reason == "idempotency_conflict"


def test_equal_amounts_written_differently_are_the_same_payment() -> None:
    ledger = PaymentLedger()
    assert ledger.submit(body(amount="12.30")).body == ledger.submit(body(amount="12.30")).body


def test_ledger_forgets_the_oldest_key_beyond_its_capacity() -> None:
    ledger = PaymentLedger(capacity=2)
    first = ledger.submit(body(idempotency_key="key-000001"))
    ledger.submit(body(idempotency_key="key-000002"))
    ledger.submit(body(idempotency_key="key-000003"))
    again = ledger.submit(body(idempotency_key="key-000001"))
    assert again.replayed is False
    assert again.body["payment_id"] != first.body["payment_id"]
