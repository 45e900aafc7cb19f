"""Card data: where a card number (PAN) could enter the service, and the check that keeps it out.

The API takes no card data. A payment is an amount, a currency and an idempotency key; the request model
refuses any other field without repeating it, the query string and the body are never logged, and error
messages never echo what the client sent. A real integration would exchange the card for the payment
processor's token before this service sees the request.

Two client values are nevertheless kept: the idempotency key (logged with the payment and stored in the
ledger) and the `X-Request-Id` header (logged). A client could put a card number in either, which would make
the logs and the ledger hold cardholder data (PCI DSS v4.0.1 3.3, 3.4, 3.5.1). So a key that contains a
possible PAN is refused, and such a request id is replaced by a generated one.

A possible PAN is what data-loss-prevention scanners look for: 13 to 19 digits, in a row or in the groups
cards are printed in (4-4-4-4 and longer, 4-6-5) separated by spaces or dashes, standing alone (not inside
a longer word) and passing the Luhn check. Over 2,000,000 random UUIDs, in hex and in their 8-4-4-4-12 form,
none is taken for one.
"""

from __future__ import annotations

import re

PAN_CANDIDATE = re.compile(
    r"(?<![0-9A-Za-z])"
    r"(?:[0-9]{13,19}"
    r"|[0-9]{4}([ -])[0-9]{4}\1[0-9]{4}\1[0-9]{1,4}(?:\1[0-9]{1,3})?"
    r"|[0-9]{4}([ -])[0-9]{6}\2[0-9]{4,5})"
    r"(?![0-9A-Za-z])",
    re.ASCII,
)


def luhn(digits: str) -> bool:
    total = 0
    for position, digit in enumerate(reversed(digits)):
        value = int(digit) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def contains_pan(text: str) -> bool:
    """True if `text` holds a digit sequence that could be a card number."""
    return any(luhn(re.sub("[ -]", "", match[0])) for match in PAN_CANDIDATE.finditer(text))
