"""Quarantine envelopes: what goes to the quarantine topic instead of an event that could not be
scrubbed. The reason and the source coordinates are in clear; the payload is encrypted with the
quarantine key (AES-GCM, random nonce: not joinable, only recoverable by whoever holds the key),
or withheld entirely when no quarantine key is configured."""
from __future__ import annotations

import base64
import json
import os
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from scrubber.keys import Key


def seal(payload: bytes, key: Key) -> dict[str, str]:
    nonce = os.urandom(12)
    data = AESGCM(key.derive("quarantine/aes-gcm", 32)).encrypt(nonce, payload, b"scrubber-quarantine")
    return {"alg": "AES-256-GCM", "key_id": key.id, "nonce": base64.b64encode(nonce).decode(),
            "ciphertext": base64.b64encode(data).decode()}


def unseal(sealed: dict[str, str], key: Key) -> bytes:
    return AESGCM(key.derive("quarantine/aes-gcm", 32)).decrypt(
        base64.b64decode(sealed["nonce"]), base64.b64decode(sealed["ciphertext"]), b"scrubber-quarantine")


def envelope(reason: str, detail: str, source: dict[str, Any], payload: bytes | None, key: Key | None) -> bytes:
    body: dict[str, Any] = {"reason": reason, "detail": detail, "source": source,
                            "payload_bytes": len(payload) if payload is not None else 0}
    if payload is None:
        body["payload"] = None
    elif key is None:
        body["payload"] = "withheld: no quarantine key configured"
    else:
        body["payload"] = seal(payload, key)
    return json.dumps(body, separators=(",", ":")).encode()
