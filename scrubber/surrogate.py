"""Surrogates: realistic fakes of the same type and shape, so scrubbed training text stays natural.

Every surrogate is a function of a keyed digest of the original, so it is stable across messages
and restarts (the same customer gets the same fake name everywhere) yet says nothing about the
original without the key. Values with a checksum (cards, IBANs) or a reserved range (SSN area
9xx, documentation IP ranges, example.com) are generated so that they can never be real: a
surrogate card fails Luhn on purpose, and re-scanning scrubbed output does not flag it as a leak.
"""
from __future__ import annotations

import random

from faker import Faker

from detectors.validators import luhn

_FAKER = Faker("en_US")


def _rng(digest: bytes) -> random.Random:
    return random.Random(int.from_bytes(digest[:16], "big"))


def _seeded_faker(digest: bytes) -> Faker:
    _FAKER.seed_instance(int.from_bytes(digest[:8], "big"))
    return _FAKER


def _match_case(fake: str, original: str) -> str:
    if original.islower():
        return fake.lower()
    if original.isupper() and len(original) > 1:
        return fake.upper()
    return fake


def reshape(value: str, rng: random.Random) -> str:
    """Same length and character classes: digits for digits, letters for letters, rest kept."""
    out = []
    for ch in value:
        if ch.isdigit():
            out.append(str(rng.randrange(10)))
        elif ch.isalpha() and ch.isascii():
            letter = chr(ord("a") + rng.randrange(26))
            out.append(letter.upper() if ch.isupper() else letter)
        else:
            out.append(ch)
    return "".join(out)


def _card(value: str, rng: random.Random) -> str:
    fake = reshape(value, rng)
    digits = [ch for ch in fake if ch.isdigit()]
    if digits:
        first = next(ch for ch in value if ch.isdigit())
        fake = fake.replace(digits[0], first, 1)
    if luhn(fake):  # the detectors' own check: a surrogate must never pass it
        last = max(i for i, ch in enumerate(fake) if ch.isdigit())
        fake = fake[:last] + str((int(fake[last]) + 1) % 10) + fake[last + 1:]
    return fake


def _ssn(value: str, rng: random.Random) -> str:
    fake = reshape(value, rng)
    return "9" + fake[1:] if fake[:1].isdigit() else fake


def _ip(value: str, rng: random.Random) -> str:
    if ":" in value:
        return f"2001:db8::{rng.randrange(1, 0xffff):x}"
    net = rng.choice(["192.0.2", "198.51.100", "203.0.113"])
    return f"{net}.{rng.randrange(1, 255)}"


def _iban(value: str, rng: random.Random) -> str:
    fake = reshape(value, rng)
    country = "".join(ch for ch in value[:2])
    body = fake[2:]
    return country + "00" + body[2:] if len(body) > 2 else country + body


def surrogate_for(value: str, entity: str, digest: bytes) -> str:
    rng = _rng(digest)
    if entity == "PERSON":
        fake = _seeded_faker(digest)
        name = fake.first_name() if len(value.split()) == 1 else fake.name()
        return _match_case(name, value)
    if entity == "EMAIL_ADDRESS":
        fake = _seeded_faker(digest)
        return f"{fake.user_name()}@example.{rng.choice(['com', 'org', 'net'])}"
    if entity == "CREDIT_CARD":
        return _card(value, rng)
    if entity in ("US_SSN", "US_ITIN"):
        return _ssn(value, rng)
    if entity == "IP_ADDRESS":
        return _ip(value, rng)
    if entity == "IBAN_CODE":
        return _iban(value, rng)
    if entity == "STREET_ADDRESS":
        return _match_case(_seeded_faker(digest).street_address(), value)
    if entity == "LOCATION":
        return _match_case(_seeded_faker(digest).city(), value)
    if entity == "ORGANIZATION":
        return _match_case(_seeded_faker(digest).company(), value)
    if entity in ("URL", "CREDENTIAL_URL"):
        return f"https://example.com/{digest.hex()[:10]}"
    return reshape(value, rng)
