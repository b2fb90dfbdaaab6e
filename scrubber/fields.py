"""Field selection in structured events: which string leaves are scanned, which are skipped, and
which are PII by their name alone.

Path patterns are dot-separated field names; ``*`` matches any one field or array index, ``**``
any number of them, and ``[]`` after a name means "each element of this array"
(``messages[].text``). A pattern matches the END of a leaf's path, so ``email`` means "a field
called email, at any depth" and ``user.phone`` "a field phone inside a field user"; start it with
``$.`` to anchor it at the top of the event (``$.id``).
"""
from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

Path = tuple[str | int, ...]


class FieldSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    scan: list[str] = Field(default_factory=lambda: ["**"], description="leaves to scan (default: all)")
    skip: list[str] = Field(default_factory=list, description="leaves never scanned nor rewritten")
    pii: dict[str, str] = Field(default_factory=dict,
                                description="path -> entity: the whole value is that entity")
    required: list[str] = Field(default_factory=list, description="paths that must be present")

    def classify(self, path: Path) -> tuple[str, str | None]:
        """('skip' | 'pii' | 'scan' | 'ignore', entity for 'pii')."""
        if any(matches(p, path) for p in self.skip):
            return "skip", None
        for pattern, entity in self.pii.items():
            if matches(pattern, path):
                return "pii", entity
        if any(matches(p, path) for p in self.scan):
            return "scan", None
        return "ignore", None


@lru_cache(maxsize=1024)
def parse_pattern(pattern: str) -> tuple[bool, tuple[str, ...]]:
    anchored = pattern.startswith("$.")
    body = pattern[2:] if anchored else pattern
    parts: list[str] = []
    for seg in body.split("."):
        if seg.endswith("[]"):
            parts += [seg[:-2], "*"] if seg[:-2] else ["*"]
        else:
            parts.append(seg)
    return anchored, tuple(parts)


def _match(parts: tuple[str, ...], path: Path) -> bool:
    if not parts:
        return not path
    head, rest = parts[0], parts[1:]
    if head == "**":
        return any(_match(rest, path[i:]) for i in range(len(path) + 1))
    if not path:
        return False
    step = path[0]
    ok = head == "*" or (isinstance(step, str) and step == head) or (isinstance(step, int) and head == str(step))
    return ok and _match(rest, path[1:])


def matches(pattern: str, path: Path) -> bool:
    anchored, parts = parse_pattern(pattern)
    if anchored:
        return _match(parts, path)
    return any(_match(parts, path[i:]) for i in range(len(path) + 1 - len([p for p in parts if p != "**"])))


def leaves(value: Any, path: Path = ()) -> Iterator[tuple[Path, Any]]:
    """Every scalar leaf with its path, depth first, in document order."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from leaves(v, path + (str(k),))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from leaves(v, path + (i,))
    else:
        yield path, value


def get_path(value: Any, path: Path) -> Any:
    for step in path:
        value = value[step]
    return value


def set_path(value: Any, path: Path, new: Any) -> None:
    parent = get_path(value, path[:-1])
    parent[path[-1]] = new


def delete_path(value: Any, path: Path) -> None:
    """Remove a field; an array element becomes null so sibling indices keep their meaning."""
    parent = get_path(value, path[:-1])
    if isinstance(parent, list):
        parent[path[-1]] = None
    else:
        parent.pop(path[-1], None)


def has_path(value: Any, pattern: str, path: Path = ()) -> bool:
    """Whether any field, leaf or container, matches ``pattern`` (for ``required`` fields)."""
    if path and matches(pattern, path):
        return True
    if isinstance(value, dict):
        return any(has_path(v, pattern, path + (str(k),)) for k, v in value.items())
    if isinstance(value, list):
        return any(has_path(v, pattern, path + (i,)) for i, v in enumerate(value))
    return False


def path_str(path: Path) -> str:
    out = ""
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else step)
    return out or "$"
