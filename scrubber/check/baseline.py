"""Baselines: findings a reviewer has accepted, by keyed fingerprint, never by value.

A dataset may legitimately hold a few identifiers (a project's own support address, a famous
person in a news corpus). Once reviewed, they go into a baseline file committed next to the
dataset's CI config, and later checks count them as accepted instead of failing. Entries hold the
rule, the fingerprint and a masked example for the reviewer; never the value. Fingerprints are
keyed, so the baseline records the key id and refuses to be used with another key (the
fingerprints would silently match nothing).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

VERSION = 1


class BaselineError(ValueError):
    """Unreadable baseline, or made with another key (exit 2)."""


@dataclass
class Baseline:
    key_id: str | None = None
    entries: dict[tuple[str, str], dict] = field(default_factory=dict)  # (rule, fp hex) -> entry

    def accepts(self, rule: str, fp_hex: str) -> bool:
        return (rule, fp_hex) in self.entries

    def __len__(self) -> int:
        return len(self.entries)


def load_baseline(path: Path, key_id: str | None) -> Baseline:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise BaselineError(f"{path}: cannot read baseline: {type(exc).__name__}") from None
    except json.JSONDecodeError as exc:
        raise BaselineError(f"{path}:{exc.lineno}: invalid JSON: {exc.msg}") from None
    if not isinstance(data, dict) or data.get("version") != VERSION or not isinstance(data.get("accepted"), list):
        raise BaselineError(f"{path}: not a scrubber check baseline (version {VERSION} with an 'accepted' list)")
    if data.get("key_id") != key_id:
        raise BaselineError(f"{path}: baseline was made with key id {data.get('key_id')!r}, this run uses "
                            f"{key_id!r}: fingerprints would not match (use the same SCRUBBER_PSEUDONYM_KEY, "
                            "or rebuild it with --update-baseline)")
    out = Baseline(key_id)
    for i, e in enumerate(data["accepted"]):
        if not isinstance(e, dict) or not isinstance(e.get("rule"), str) or not isinstance(e.get("fingerprint"), str):
            raise BaselineError(f"{path}: accepted[{i}]: needs 'rule' and 'fingerprint'")
        out.entries[(e["rule"], e["fingerprint"])] = e
    return out


def write_baseline(path: Path, key_id: str | None, entries: list[dict]) -> None:
    """Entries sorted by rule and fingerprint: a stable file that diffs well in review."""
    unique = {(e["rule"], e["fingerprint"]): e for e in entries}
    body = {"version": VERSION, "tool": "scrubber check", "key_id": key_id,
            "note": "Accepted findings by keyed fingerprint (HMAC of the normalised value). No raw values.",
            "accepted": [unique[k] for k in sorted(unique)]}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(body, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
