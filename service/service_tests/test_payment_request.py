"""Payment requests: strict JSON, strict fields, canonical amounts compared as numbers."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from payments_service.payment_request import PaymentError, parse_payment


def body(**fields: object) -> bytes:
    return json.dumps({"amount": "12.34", "currency": "USD", "idempotency_key": "order-000001"} | fields).encode()


def test_a_valid_request_is_parsed_without_float_rounding() -> None:
    request = parse_payment(body(amount="0.10"))
    assert (request.value, request.currency, request.idempotency_key) == (Decimal("0.10"), "USD", "order-000001")


@pytest.mark.parametrize(
    ("amount", "currency", "value"),
    [("10", "EUR", "10.00"), ("10.00", "EUR", "10.00"), ("5000", "JPY", "5000"), ("1000000.00", "USD", "1000000.00")],
)
def test_equal_amounts_are_one_value_and_one_fingerprint(amount: str, currency: str, value: str) -> None:
    request = parse_payment(body(amount=amount, currency=currency))
    assert str(request.value) == value
    assert request.fingerprint == parse_payment(body(amount=value, currency=currency)).fingerprint


def test_a_different_amount_or_currency_is_a_different_fingerprint() -> None:
    base = parse_payment(body()).fingerprint
    assert parse_payment(body(amount="12.35")).fingerprint != base
    assert parse_payment(body(currency="EUR")).fingerprint != base


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (b"{not json", "invalid_json"),
        (b"[1, 2]", "invalid_json"),
        (b"\xff\xfe", "invalid_json"),
        (b'{"amount": NaN}', "invalid_json"),
        (json.dumps({"amount": "1.00", "currency": "USD"}).encode(), "missing_field"),
        (body(extra=1), "unknown_field"),
        (body(currency="XXX"), "invalid_currency"),
        (body(currency="usd"), "invalid_currency"),
        (body(amount=12.34), "invalid_amount"),
        (body(amount=True), "invalid_amount"),
        (body(amount="1000000.01"), "invalid_amount"),
        (body(amount="12.34", currency="JPY"), "invalid_amount"),
        (body(amount="9" * 40), "invalid_amount"),
        (body(idempotency_key="short"), "invalid_idempotency_key"),
        (body(idempotency_key="has space in it"), "invalid_idempotency_key"),
        (body(idempotency_key=12345678), "invalid_idempotency_key"),
    ],
)
def test_invalid_requests_are_refused_with_a_stable_code(raw: bytes, code: str) -> None:
    with pytest.raises(PaymentError) as refused:
        parse_payment(raw)
    assert refused.value.code == code


@pytest.mark.parametrize(
    "raw",
    [
        body(**{"4111111111111111": 1}),
        body(idempotency_key="4111111111111111 x"),
        body(amount="4111111111111111.0"),
        b'{"4111111111111111": 1, "4111111111111111": 2}',
    ],
)
def test_refusals_never_repeat_what_the_client_sent(raw: bytes) -> None:
    with pytest.raises(PaymentError) as refused:
        parse_payment(raw)
    assert "4111" not in refused.value.message
