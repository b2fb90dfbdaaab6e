"""Truecasing for NER: lower-case proper nouns in chat are shown to the model capitalized."""
import time

import pytest

from detectors.casing import capitalize_at, proper_noun_starts, proper_nouns
from detectors.finding import TIER_MODEL, Finding
from detectors.names import FUNCTION_WORDS, STOP_CAPS
from detectors.ner import Gate, NerDetector
from detectors.settings import NerSettings

FAR = time.monotonic() + 3600
SKIP = STOP_CAPS | FUNCTION_WORDS


def capitalized(text, covered=()):
    return [text[i:].split()[0] for i in proper_noun_starts(text, SKIP, covered)]


@pytest.mark.parametrize("word", ["obama", "messi", "simon", "karen", "kendrick", "chicago"])
def test_usually_capitalized_words_are_proper_nouns(word):
    assert word in proper_nouns()


@pytest.mark.parametrize("word", ["hope", "green", "game", "will", "mason", "summer", "watching"])
def test_words_mostly_written_in_lower_case_are_not(word):
    assert word not in proper_nouns()


@pytest.mark.parametrize(("text", "expected"), [
    ("thanks obama !", ["obama"]),
    ("messi watching this game tv .", ["messi"]),
    ("Wait simon wears glasses ? ? ?", ["simon"]),
    ("is it just me or is kendrick better", ["kendrick"]),
    ("thanks obama", ["obama"]),                 # a chat cue, no punctuation
    ("ronaldo scored again", ["ronaldo"]),       # a person's verb makes it a clause
    ("why is drake so sad", ["drake"]),          # fame the 2015 frequencies underweight
])
def test_proper_nouns_in_chat_are_capitalized(text, expected):
    assert capitalized(text) == expected


@pytest.mark.parametrize("text", [
    "2017 toyota camry recall",                    # a query, not chat
    "yankees score",
    "dyson v15 price",
    "I bought the dyson v15 last month",            # a brand before a model number
    "we watched the game on monday",                # no proper noun in lower case
    "I don't know what it is",
])
def test_queries_products_and_plain_words_are_left_alone(text):
    assert capitalized(text) == []


def test_what_the_gazetteer_reported_is_left_alone():
    text = "tell karen and obama hi !"
    assert capitalized(text) == ["karen", "obama"]
    assert capitalized(text, covered=[(5, 10)]) == ["obama"]


def test_capitalize_at_keeps_offsets():
    text = "thanks obama !"
    out = capitalize_at(text, proper_noun_starts(text, SKIP))
    assert out == "thanks Obama !" and len(out) == len(text)


def test_gate_opens_on_a_capitalized_proper_noun_that_is_also_frequent():
    assert Gate()("Shaq had me weak")


def test_ner_finds_a_lower_case_name_in_chat_at_original_offsets():
    text = "thanks obama ! see you"
    found = NerDetector(NerSettings(mode="gated")).detect(text, FAR)
    assert [(text[f.start:f.end], f.entity) for f in found] == [("obama", "PERSON")]
    off = NerDetector(NerSettings(mode="gated", truecase=False)).detect(text, FAR)
    assert off == []


def test_ner_leaves_a_name_the_gazetteer_found_to_it():
    """The stack hands NER the gazetteer's findings; it does not capitalize those for the model."""
    det = NerDetector(NerSettings(mode="gated"))
    text = "i met simon today"
    prior = [[Finding(6, 11, "PERSON", 0.5, "names", TIER_MODEL)]]
    assert det.detect_batch([text], [FAR], prior=prior) == [[]]
    assert [(text[f.start:f.end], f.entity) for f in det.detect(text, FAR)] == [("simon", "PERSON")]
