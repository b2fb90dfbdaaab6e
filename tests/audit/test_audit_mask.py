"""masked_example: shapes people can read, never the value itself."""
from __future__ import annotations

import pytest

from scrubber.mask import MAX_LEN, SECRET_MASK, masked_example

CASES = [
    ("john.smith@example.com", "EMAIL_ADDRESS", "j***@e******.com"),
    ("4111111111111111", "CREDIT_CARD", "**** **** **** 1111"),
    ("4111 1111 1111 1111", "CREDIT_CARD", "**** **** **** 1111"),
    ("Kathy Winslet", "PERSON", "K**** W******"),
    ("+1 415-555-0100", "PHONE_NUMBER", "+* ***-***-**00"),
    ("123-45-6789", "US_SSN", "***-**-6789"),
    ("192.168.1.20", "IP_ADDRESS", "192.***.***.***"),
    ("sk_live_abcdef123456", "API_KEY", SECRET_MASK),
    ("hunter2hunter2", "PASSWORD", SECRET_MASK),
]


@pytest.mark.parametrize(("value", "entity", "expected"), CASES)
def test_known_shapes(value: str, entity: str, expected: str) -> None:
    assert masked_example(value, entity) == expected


@pytest.mark.parametrize("value,entity", [
    (v, e) for v, e, _ in CASES] + [
    ("DE89 3704 0044 0532 0130 00", "IBAN_CODE"),
    ("https://www.example.com/account/42", "URL"),
    ("221B Baker Street, London", "STREET_ADDRESS"),
    ("Al", "PERSON"),
    ("ACME-4411-XYZ", "CUSTOM_ID"),
])
def test_never_contains_the_value(value: str, entity: str) -> None:
    masked = masked_example(value, entity)
    assert value not in masked
    assert masked != value


def test_long_values_are_cut() -> None:
    assert len(masked_example("Long Street Name " * 20, "STREET_ADDRESS")) <= MAX_LEN
