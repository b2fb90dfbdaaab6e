"""The follow-on detectors in a real stack: they read what the name gazetteer (and NER) found,
so the registry must put them after those and leave them out when there is nothing to read."""
from __future__ import annotations

import pytest

from detectors.registry import build_detectors, build_stack
from detectors.settings import DetectorSettings


@pytest.fixture(scope="module")
def stack():
    return build_stack(DetectorSettings(ner={"mode": "off"}))


def _found(stack, text: str) -> list[tuple[str, str]]:
    return [(text[f.start:f.end], f.entity) for f in stack.detect(text).findings]


@pytest.mark.parametrize(("text", "expected"), [
    ("Robert Hayden 5033608989", [("Robert Hayden", "PERSON"), ("5033608989", "PHONE_NUMBER")]),
    ("brooke blanchard 7732123599", [("brooke blanchard", "PERSON"), ("7732123599", "PHONE_NUMBER")]),
    ("mark t. obrien 9015819419", [("mark t. obrien", "PERSON"), ("9015819419", "PHONE_NUMBER")]),
    ("sold to Priya Raghunathan in Leeds, LS1 4AP.",
     [("Priya Raghunathan", "PERSON"), ("Leeds", "LOCATION"), ("LS1 4AP", "POSTAL_CODE")]),
    ("Ottawa, ON K1A 0B1", [("Ottawa", "LOCATION"), ("K1A 0B1", "POSTAL_CODE")]),
    ("my name is Brandi Dunlap and my number is +1 213 879 6009 I'm on version 6.9.4.3.",
     [("Brandi Dunlap", "PERSON"), ("+1 213 879 6009", "PHONE_NUMBER")]),
])
def test_found_in_the_stack(stack, text, expected):
    assert _found(stack, text) == expected


@pytest.mark.parametrize("text", ["ticket number is 8034133096", "order 144764370", "My ticket number is 6724809027."])
def test_bare_ids_stay_unreported(stack, text):
    assert _found(stack, text) == []


def test_follow_on_detectors_run_last_and_only_with_a_name_or_place_detector():
    ids = [d.id for d in sorted(build_detectors(DetectorSettings(ner={"mode": "off"})), key=lambda d: (d.cost, d.id))]
    assert ids[-2:] == ["phone_after_name", "postcode_after_place"] and ids.index("names") < ids.index("phone_after_name")
    bare = {d.id for d in build_detectors(DetectorSettings(names=False, ner={"mode": "off"}))}
    assert not bare & {"phone_after_name", "postcode_after_place"}
    off = {d.id for d in build_detectors(DetectorSettings(ner={"mode": "off"}, disable=["phone_after_name"]))}
    assert "phone_after_name" not in off and "postcode_after_place" in off
