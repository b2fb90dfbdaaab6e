"""YAML files validated by pydantic models, with errors that point at file, line and key.

A bad config must be fixable without reading a stack trace: ``topics.yaml:14: routes[0].policy:
unknown policy 'strcit'``. PyYAML's node tree keeps the marks that the plain loader throws away,
so we load twice (the text is small): once for values, once for positions.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


class ConfigError(ValueError):
    """A config file is unreadable or invalid; ``str()`` lists every problem with its line."""

    def __init__(self, path: Path | str, problems: list[str]) -> None:
        self.path = str(path)
        self.problems = problems
        super().__init__("\n".join(problems))


def _positions(node: yaml.Node, path: tuple = ()) -> dict[tuple, int]:
    """Map each key path to the 1-based line where its value (or key) starts."""
    out = {path: node.start_mark.line + 1}
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            sub = path + (key_node.value,)
            out.update(_positions(value_node, sub))
            out[sub] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            out.update(_positions(item, path + (i,)))
    return out


def _format_loc(loc: tuple) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def _line_for(loc: tuple, positions: dict[tuple, int]) -> int:
    for cut in range(len(loc), -1, -1):
        if loc[:cut] in positions:
            return positions[loc[:cut]]
    return 1


Check = Callable[[M], list[tuple[tuple, str]]]


def load_model(path: Path, model: type[M], check: "Check | None" = None) -> M:
    """Read ``path`` as YAML and validate it as ``model``; raise ``ConfigError`` on any problem.
    ``check`` adds cross-field rules; it returns (key path, message) pairs, located like the rest."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(path, [f"{path}: cannot read: {type(exc).__name__}: {exc}"]) from None
    return parse_model(text, model, str(path), check)


def parse_model(text: str, model: type[M], name: str = "<config>", check: "Check | None" = None) -> M:
    try:
        data = yaml.safe_load(text)
        node = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark else ""
        raise ConfigError(name, [f"{name}{line}: invalid YAML: {getattr(exc, 'problem', exc)}"]) from None
    if data is None:
        data = {}
    positions = _positions(node) if node is not None else {}
    try:
        parsed = model.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(name, [_located(name, tuple(e["loc"]), e["msg"], positions) for e in exc.errors()]) from None
    problems = check(parsed) if check else []
    if problems:
        raise ConfigError(name, [_located(name, loc, msg, positions) for loc, msg in problems])
    return parsed


def _located(name: str, loc: tuple, msg: str, positions: dict[tuple, int]) -> str:
    return f"{name}:{_line_for(loc, positions)}: {_format_loc(loc)}: {msg}"
