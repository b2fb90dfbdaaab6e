"""Resolving ``--policy``: a built-in name, a policy defined in the config, or a YAML file."""
from __future__ import annotations

from pathlib import Path

from detectors.yamlconf import ConfigError, load_model
from scrubber.cli.app import fail
from scrubber.config import TopicsFile
from scrubber.policy import Policy, resolve_policies


def resolve_policy(name_or_path: str, cfg: TopicsFile) -> Policy:
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") and path.exists():
        try:
            pol = load_model(path, Policy)
        except ConfigError as exc:
            raise fail(str(exc)) from None
        try:
            return resolve_policies({**cfg.policies, pol.name: pol})[pol.name]
        except ValueError as exc:
            raise fail(f"{path}: {exc}") from None
    known = cfg.all_policies()
    if name_or_path not in known:
        raise fail(f"unknown policy {name_or_path!r}; known: {', '.join(sorted(known))} (or give a .yaml file)")
    return known[name_or_path]
