"""Operators: how one detected value is rewritten. Pure functions of (value, entity, key).

Determinism is a feature here: the same value under the same key gives the same pseudonym,
surrogate or ciphertext across messages, processes and restarts, so scrubbed data can still be
joined and counted. Presidio's hash operator salts randomly by default; ours never does.
"""
from __future__ import annotations

import base64
import hashlib
import hmac

import regex
from cryptography.hazmat.primitives.ciphers.aead import AESSIV

from scrubber.keys import Key
from scrubber.surrogate import surrogate_for

SHORT_TAGS = {"EMAIL_ADDRESS": "EMAIL", "PHONE_NUMBER": "PHONE", "US_SSN": "SSN", "IBAN_CODE": "IBAN",
              "STREET_ADDRESS": "ADDRESS", "IP_ADDRESS": "IP", "CREDIT_CARD": "CREDIT_CARD"}

REDACTED = "[REDACTED]"
ENCRYPTED_TOKEN = regex.compile(r"\[ENC:(?P<entity>[A-Z0-9_]{1,40}):(?P<kid>[0-9a-f]{8}):(?P<data>[A-Za-z0-9_-]{1,8192})\]")


def tag(entity: str, template: str | None = None) -> str:
    short = SHORT_TAGS.get(entity, entity)
    return (template or "[{entity}]").format(entity=short, full=entity)


def mask(value: str, keep_last: int = 4, char: str = "*") -> str:
    """Mask every letter and digit but the last ``keep_last``; separators stay so the shape reads."""
    alnum_positions = [i for i, ch in enumerate(value) if ch.isalnum()]
    keep = set(alnum_positions[-keep_last:]) if keep_last > 0 else set()
    return "".join(ch if (i in keep or not ch.isalnum()) else char for i, ch in enumerate(value))


def _digest(key: Key, entity: str, value: str) -> bytes:
    return hmac.new(key.derive("pseudonym", 32), f"{entity}\x00{value}".encode(), hashlib.sha256).digest()


def pseudonym(value: str, entity: str, key: Key, length: int = 10) -> str:
    """``[PERSON:3f9a1c2b7d]``: keyed HMAC-SHA256, stable across runs, irreversible without a
    brute force over candidate values (which the key prevents)."""
    return f"[{SHORT_TAGS.get(entity, entity)}:{_digest(key, entity, value).hex()[:length]}]"


def surrogate(value: str, entity: str, key: Key) -> str:
    """A realistic fake of the same type and shape, deterministic under the key."""
    return surrogate_for(value, entity, _digest(key, entity, value))


def _siv(key: Key) -> AESSIV:
    return AESSIV(key.derive("encryption/aes-siv", 64))


def encrypt(value: str, entity: str, key: Key) -> str:
    """Deterministic authenticated encryption (AES-SIV): equal values give equal tokens, and
    ``scrubber decrypt`` with the key restores them. The entity is authenticated as associated
    data, so a token cannot be relabelled."""
    data = _siv(key).encrypt(value.encode("utf-8"), [entity.encode()])
    return f"[ENC:{entity}:{key.id}:{base64.urlsafe_b64encode(data).decode().rstrip('=')}]"


def decrypt_token(entity: str, data: str, key: Key) -> str:
    raw = base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))
    return _siv(key).decrypt(raw, [entity.encode()]).decode("utf-8")


def decrypt_text(text: str, keys: dict[str, Key]) -> tuple[str, int, int]:
    """Replace every encryption token whose key id is in ``keys``; returns (text, restored, skipped).
    Tokens of unknown keys or failing authentication are left as they are and counted."""
    restored = skipped = 0

    def swap(m: regex.Match) -> str:
        nonlocal restored, skipped
        key = keys.get(m["kid"])
        if key is None:
            skipped += 1
            return m[0]
        try:
            plain = decrypt_token(m["entity"], m["data"], key)
        except Exception:  # noqa: BLE001 - InvalidTag, bad padding: a token that isn't ours
            skipped += 1
            return m[0]
        restored += 1
        return plain

    return ENCRYPTED_TOKEN.sub(swap, text), restored, skipped
