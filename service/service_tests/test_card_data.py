"""What counts as a possible card number in a value the service logs or stores (`card_data.py`)."""

from __future__ import annotations

import random
import uuid

import pytest
from payments_service.card_data import contains_pan

# Test numbers the card schemes publish: Visa, Mastercard, Amex, Discover, JCB, Diners, Visa 19 digits.
TEST_PANS = ["4111111111111111", "5500005555555559", "378282246310005", "6011111111111117", "3530111333300000",
             "30569309025904", "4000000000000000006"]  # fmt: skip


@pytest.mark.parametrize("pan", TEST_PANS)
def test_every_schemes_test_number_is_found_alone_grouped_or_after_a_label(pan: str) -> None:
    grouped = " ".join(pan[i : i + 4] for i in range(0, len(pan), 4))
    assert contains_pan(pan)
    assert contains_pan(grouped)
    assert contains_pan(grouped.replace(" ", "-"))
    assert contains_pan(f"order:{pan}")
    assert contains_pan(f"ref-{pan}-retry")


def test_amex_is_found_in_its_printed_4_6_5_groups() -> None:
    assert contains_pan("3782 822463 10005")
    assert contains_pan("3782-822463-10005")


@pytest.mark.parametrize(
    "value",
    [
        "4111111111111112",  # fails the Luhn check
        "411111111111",  # 12 digits
        "41111111111111111111",  # 20 digits
        "a4111111111111111",  # inside a word
        "4111111111111111b",
        "4111--1111-1111-1111",  # not how cards are printed
        "payment-000000000042",
    ],
)
def test_what_is_not_a_card_number(value: str) -> None:
    assert not contains_pan(value)


def test_no_uuid_is_taken_for_a_card_number() -> None:
    """Clients use UUIDs as idempotency keys and request ids: none may be refused as card data."""
    generator = random.Random(12)
    for _ in range(50_000):
        key = uuid.UUID(int=generator.getrandbits(128), version=4)
        assert not contains_pan(key.hex)
        assert not contains_pan(str(key))
