"""Masked examples of detected values, for reports people read (``scrubber audit``, the release
check): enough shape to recognise what kind of thing was found and judge whether it is a true
positive, never enough to recover the value.

Examples: ``j***@e******.com``, ``**** **** **** 1111``, ``K**** W******``, ``+* ***-***-**00``,
``***-**-6789``, ``192.***.***.***``. Secrets (keys, passwords, tokens) show nothing at all,
because even a few characters of a credential narrow a brute force.

This is not a scrubbing operator (see ``scrubber.operators`` for those): its output is meant for
humans and is free to change between versions.
"""
from __future__ import annotations

import regex

from detectors.entities import Kind, kind_of
from scrubber.operators import mask as mask_keep_last

STAR = "*"
#: Masked examples longer than this are cut: a report row must stay readable, and a long
#: address or message adds shape, not information.
MAX_LEN = 48
SECRET_MASK = STAR * 8

_WORD = regex.compile(r"\w+")
_IPV4 = regex.compile(r"^\d{1,3}(?:\.\d{1,3}){3}$")
_URL = regex.compile(r"^(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)?(?P<host>[^/?#\s:@]+)(?P<rest>.*)$", regex.DOTALL)


def masked_example(value: str, entity: str) -> str:
    """``value`` (a detected ``entity``) with its identifying characters replaced by ``*``."""
    value = value.strip()
    if kind_of(entity) is Kind.SECRET:
        out = SECRET_MASK
    elif entity == "EMAIL_ADDRESS" and value.count("@") == 1:
        out = _email(value)
    elif entity == "CREDIT_CARD":
        out = _card(value)
    elif entity == "PERSON":
        out = _words(value)
    elif entity == "PHONE_NUMBER":
        out = _keep_last(value, 2)
    elif entity in ("US_SSN", "US_ITIN"):
        out = _keep_last(value, 4)
    elif entity == "IBAN_CODE":
        out = _iban(value)
    elif entity == "IP_ADDRESS":
        out = _ip(value)
    elif entity == "URL":
        out = _url(value)
    else:
        out = _generic(value)
    return out if len(out) <= MAX_LEN else out[:MAX_LEN - 1] + "…"


def _first_then_stars(word: str) -> str:
    """``Winslet`` -> ``W******``; words of one or two characters are fully masked, since
    keeping their first character would show half of them."""
    if len(word) <= 2:
        return STAR * len(word)
    return word[0] + STAR * (len(word) - 1)


def _words(value: str) -> str:
    return _WORD.sub(lambda m: _first_then_stars(m.group()), value)


def _generic(value: str) -> str:
    """Each word keeps its first character; separators stay so the shape reads (an address
    still looks like an address)."""
    return _words(value)


def _keep_last(value: str, n: int) -> str:
    """Digits masked but the last ``n`` (fewer if the value is short, so that at least half
    of it is always hidden)."""
    alnum = sum(ch.isalnum() for ch in value)
    return mask_keep_last(value, keep_last=min(n, alnum // 2), char=STAR)


def _email(value: str) -> str:
    local, domain = value.split("@")
    labels = domain.split(".")
    # The local part hides its length too: it is the most identifying piece.
    masked_local = (local[0] + STAR * 3) if local else STAR * 3
    if len(labels) >= 2:
        masked_domain = ".".join([_first_then_stars(lab) for lab in labels[:-1]] + [labels[-1]])
    else:
        masked_domain = _first_then_stars(domain)
    return f"{masked_local}@{masked_domain}"


def _card(value: str) -> str:
    digits = [ch for ch in value if ch.isdigit()]
    if len(digits) < 12:
        return _keep_last(value, 2)
    if any(not ch.isdigit() for ch in value):
        return mask_keep_last(value, keep_last=4, char=STAR)
    masked = STAR * (len(digits) - 4) + "".join(digits[-4:])
    groups = []
    while masked:  # groups of four from the right, the way cards are printed
        groups.insert(0, masked[-4:])
        masked = masked[:-4]
    return " ".join(groups)


def _iban(value: str) -> str:
    compact = value.replace(" ", "")
    if len(compact) < 10 or not compact[:2].isalpha():
        return _keep_last(value, 2)
    return value[:2] + mask_keep_last(value[2:], keep_last=4, char=STAR)


def _ip(value: str) -> str:
    if _IPV4.match(value):
        first, *_ = value.split(".")
        return ".".join([first] + [STAR * 3] * 3)
    if ":" in value:  # IPv6: the first group names a provider range, not a host
        groups = value.split(":")
        return ":".join([groups[0]] + [STAR * len(g) if g else "" for g in groups[1:]])
    return _generic(value)


def _url(value: str) -> str:
    m = _URL.match(value)
    if not m:
        return _generic(value)
    host = m.group("host")
    labels = host.split(".")
    if len(labels) >= 2:
        host = ".".join([_first_then_stars(lab) for lab in labels[:-1]] + [labels[-1]])
    else:
        host = _first_then_stars(host)
    rest = "/…" if m.group("rest").strip("/") else m.group("rest")
    return (m.group("scheme") or "") + host + rest
