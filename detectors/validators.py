"""Named validators that rules in YAML packs refer to (``validator: luhn``).

Code lives here only where data cannot say it: checksums and registry rules. Each validator takes
the matched text (separators included) and answers whether it is a real instance of the format.
Prefer python-stdnum's maintained implementations over hand-written arithmetic.
"""
from __future__ import annotations

from collections.abc import Callable

Validator = Callable[[str], bool]

VALIDATORS: dict[str, Validator] = {}


def validator(name: str) -> Callable[[Validator], Validator]:
    """Register a validator under the name packs use."""
    def register(fn: Validator) -> Validator:
        VALIDATORS[name] = fn
        return fn
    return register


def digits_of(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def get_validator(name: str) -> Validator:
    try:
        return VALIDATORS[name]
    except KeyError:
        raise KeyError(f"unknown validator {name!r}; known: {', '.join(sorted(VALIDATORS))}") from None


@validator("luhn")
def luhn(text: str) -> bool:
    digits = digits_of(text)
    if not digits:
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0
