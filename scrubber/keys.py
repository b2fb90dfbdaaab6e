"""Secret keys for pseudonyms, reversible encryption and quarantine payloads.

Keys come from the environment or from files (mounted Kubernetes Secrets), never from
topics.yaml or a policy file, so a config can be committed and reviewed without leaking them.
Each key has a public id (a hash prefix) that is written into output headers and tokens, so keys
can rotate: old tokens stay decryptable with the old key, and consumers can tell which key made a
pseudonym.

Environment: ``SCRUBBER_<PURPOSE>_KEY`` (hex or base64) or ``SCRUBBER_<PURPOSE>_KEY_FILE`` (a file
holding the same), for purposes PSEUDONYM, ENCRYPTION, QUARANTINE.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

PURPOSES = ("pseudonym", "encryption", "quarantine")
MIN_KEY_BYTES = 32


class KeyConfigError(ValueError):
    """A key is missing or malformed. The message never contains key material."""


@dataclass(frozen=True)
class Key:
    material: bytes

    @property
    def id(self) -> str:
        return hashlib.sha256(b"scrubber-key-id\x00" + self.material).hexdigest()[:8]

    def derive(self, label: str, length: int) -> bytes:
        """A sub-key per use, so one master secret never serves two algorithms directly."""
        return HKDF(algorithm=hashes.SHA256(), length=length, salt=None,
                    info=f"scrubber/{label}".encode()).derive(self.material)


def parse_key(text: str, source: str) -> Key:
    text = text.strip()
    raw: bytes | None = None
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        try:
            raw = base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_" if ("-" in text or "_" in text) else None,
                                   validate=True)
        except (binascii.Error, ValueError):
            raw = None
    if raw is None or len(raw) < MIN_KEY_BYTES:
        raise KeyConfigError(f"{source}: a key must be at least {MIN_KEY_BYTES} bytes, hex or base64 encoded")
    return Key(raw)


def load_key(purpose: str, env: dict[str, str] | None = None) -> Key | None:
    """The key for ``purpose`` from ``SCRUBBER_<PURPOSE>_KEY`` or ``..._KEY_FILE``, or None."""
    env = os.environ if env is None else env
    name = f"SCRUBBER_{purpose.upper()}_KEY"
    if env.get(name):
        return parse_key(env[name], name)
    path = env.get(name + "_FILE")
    if path:
        try:
            return parse_key(Path(path).read_text(encoding="utf-8"), f"{name}_FILE ({path})")
        except OSError as exc:
            raise KeyConfigError(f"{name}_FILE: cannot read {path}: {type(exc).__name__}") from None
    return None


def generate_key_text() -> str:
    """A fresh random key, hex encoded (``scrubber keygen``)."""
    return secrets.token_hex(MIN_KEY_BYTES)


@dataclass
class KeyRing:
    """The keys one engine uses. ``require`` fails at start-up, not on the first PII value."""

    pseudonym: Key | None = None
    encryption: Key | None = None
    quarantine: Key | None = None

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> "KeyRing":
        return cls(**{p: load_key(p, env) for p in PURPOSES})

    def require(self, purpose: str) -> Key:
        key = getattr(self, purpose)
        if key is None:
            raise KeyConfigError(f"the policy needs a {purpose} key: set SCRUBBER_{purpose.upper()}_KEY "
                            f"or SCRUBBER_{purpose.upper()}_KEY_FILE (generate one with `scrubber keygen`)")
        return key
