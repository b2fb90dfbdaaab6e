"""Decode and encode: bytes off the wire (or a line of a file) to a value the engine can scan,
with every way that can go wrong named by a stable reason code.

Reasons are what quarantine headers, audit reports and metrics carry; they never include the
payload. ``DecodeError.detail`` may name a position or a size, never content.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Format = Literal["json", "text"]

INVALID_UTF8 = "invalid_utf8"
INVALID_JSON = "invalid_json"
TOO_LARGE = "too_large"
TOO_DEEP = "too_deep"
MISSING_FIELD = "missing_field"
NOT_AN_OBJECT = "not_an_object"
EMPTY = "empty"


class DecodeLimits(BaseModel):
    model_config = ConfigDict(extra="forbid")
    max_bytes: int = Field(1_048_576, gt=0, description="larger payloads are quarantined, not scanned")
    max_depth: int = Field(32, gt=0, description="deeper JSON nesting is quarantined")


@dataclass
class DecodeError(Exception):
    reason: str
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.reason}: {self.detail}" if self.detail else self.reason


def _depth_exceeds(value: Any, limit: int) -> bool:
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, (dict, list)):
            if depth > limit:
                return True
            children = node.values() if isinstance(node, dict) else node
            stack.extend((c, depth + 1) for c in children if isinstance(c, (dict, list)))
    return False


def decode_text(payload: bytes, limits: DecodeLimits) -> str:
    if len(payload) > limits.max_bytes:
        raise DecodeError(TOO_LARGE, f"{len(payload)} bytes > {limits.max_bytes}")
    try:
        return payload.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DecodeError(INVALID_UTF8, f"byte offset {exc.start}") from None


def decode(payload: bytes | None, fmt: Format, limits: DecodeLimits) -> Any:
    """The payload as text (``fmt='text'``) or as a JSON value; raises ``DecodeError``."""
    if payload is None or payload == b"":
        raise DecodeError(EMPTY)
    text = decode_text(payload, limits)
    if fmt == "text":
        return text
    return parse_json(text, limits)


def parse_json(text: str, limits: DecodeLimits) -> Any:
    try:
        value = json.loads(text)
    except RecursionError:
        raise DecodeError(TOO_DEEP, f"nesting beyond {limits.max_depth}") from None
    except json.JSONDecodeError as exc:
        raise DecodeError(INVALID_JSON, f"{exc.msg} at line {exc.lineno} column {exc.colno}") from None
    if _depth_exceeds(value, limits.max_depth):
        raise DecodeError(TOO_DEEP, f"nesting beyond {limits.max_depth}")
    return value


def encode(value: Any, fmt: Format) -> bytes:
    if fmt == "text":
        return str(value).encode("utf-8")
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
