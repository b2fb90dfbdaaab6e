"""Keyed fingerprints: how the check remembers values without keeping them.

Counting distinct users per query, accepting a reviewed finding in a baseline, listing what a
release must suppress: all of these need to recognise a value again, and none may store or print
it. An HMAC of the normalised value under a secret key does both: equal values give equal
fingerprints, and without the key a fingerprint cannot be confirmed by guessing (a plain hash of
a phone number can be brute-forced in seconds).

The key is the pseudonym key (``SCRUBBER_PSEUDONYM_KEY`` / ``_FILE``), derived for this one
purpose. Without it, a random key is made for the run: counting still works, but fingerprints
differ between runs, so reports omit them and baselines cannot be used.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import unicodedata
from dataclasses import dataclass

from scrubber.keys import KeyRing

#: Entities compared by their letters and digits only: '4111 1111 1111 1111' and
#: '4111-1111-1111-1111' are the same card.
_COMPACT = {"CREDIT_CARD", "PHONE_NUMBER", "US_SSN", "US_ITIN", "IBAN_CODE", "US_BANK_NUMBER",
            "ABA_ROUTING_NUMBER", "TRACKING_NUMBER", "IMEI", "VIN", "MAC_ADDRESS"}
FP_BYTES = 8


def normalize_text(text: str) -> str:
    """Case, width and spacing variants of one query count as one value."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def normalize_finding(entity: str, surface: str) -> str:
    text = normalize_text(surface)
    if entity in _COMPACT:
        return "".join(ch for ch in text if ch.isalnum())
    return text


@dataclass(frozen=True)
class Fingerprinter:
    """HMAC-SHA256 truncated to 64 bits, as an int (small in memory, fast to hash in sets).
    ``scope`` separates uses, so a rare query and an e-mail with the same text differ."""

    key: bytes
    stable: bool
    key_id: str | None = None

    def fp(self, scope: str, normalized: str) -> int:
        mac = hmac.new(self.key, scope.encode() + b"\x00" + normalized.encode("utf-8", "surrogatepass"),
                       hashlib.sha256)
        return int.from_bytes(mac.digest()[:FP_BYTES], "big")

    @staticmethod
    def hex(fp: int) -> str:
        return f"{fp:016x}"


def make_fingerprinter(keys: KeyRing) -> Fingerprinter:
    """From the pseudonym key when set (stable across runs), else a random per-run key."""
    if keys.pseudonym is not None:
        return Fingerprinter(keys.pseudonym.derive("release-check-fingerprint", 32), True, keys.pseudonym.id)
    return Fingerprinter(secrets.token_bytes(32), False, None)
