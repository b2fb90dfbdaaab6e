"""Fixtures for the release-check tests: a detector config without NER or the name gazetteer
(fast, independent of models), with deny-list names and places so the re-identification tests do
not depend on statistical detectors; and the pseudonym key set or unset."""
from __future__ import annotations

from pathlib import Path

import pytest

from check_helpers import TEST_KEY

CONFIG = """\
detectors:
  ner: {mode: "off"}
  names: false
  deny_list:
    PERSON: ["Thelma Arnold", "Jane Roe"]
    LOCATION: ["Lilburn", "Shadow Lake"]
"""


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "scrubber.yaml"
    path.write_text(CONFIG, encoding="utf-8")
    return path


@pytest.fixture(autouse=True)
def no_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SCRUBBER_PSEUDONYM_KEY", raising=False)
    monkeypatch.delenv("SCRUBBER_PSEUDONYM_KEY_FILE", raising=False)


@pytest.fixture
def keyed(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("SCRUBBER_PSEUDONYM_KEY", TEST_KEY)
    return TEST_KEY
