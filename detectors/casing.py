"""Truecasing for NER: proper nouns typed in lower case ("thanks obama !", "messi watching this").

The spaCy model finds names mostly by their capital letter; chat and search queries drop it. Which
lower-case words are proper nouns is a fact about English usage, not about names lists: in the
Reddit unigram log-probabilities shipped with ``spacy-lookups-data`` (``en_lexeme_prob``, case
sensitive) "Obama" is 20 times as frequent as "obama", "Messi" 7 times "messi", while "Hope" is a
sixth of "hope" (only sentence starts capitalize it). A word whose Title-case form is at least
e**1.5 (~4.5) times as frequent as its lower-case form (or has no lower-case form) is a proper
noun here, whatever it names; the model decides whether it is a person, place or organization.

Only where a lower-case proper noun can be a name does the model see it capitalized: in a
sentence that reads as chat (a pronoun, auxiliary, article or preposition, or '!' / '?'), not
in a product query ("2017 toyota camry recall", "dyson v15 price": brands are proper nouns too,
and a model number right after one says product).
"""
from __future__ import annotations

import functools
import gzip
import json
from collections.abc import Sequence

import regex

# Title-case at least e**1.5 (~4.5) times as frequent as lower case: "kendrick" (9x), "simon" (16x)
# in, "mason" (2x), "green" (0.4x), "trump" (0.6x, the card game word in 2015 Reddit) out.
_MIN_LOG_RATIO = 1.5

_LOWER_WORD = regex.compile(r"(?<![\p{L}\p{N}'’])\p{Ll}{3,}(?![\p{L}\p{N}])")
_WORD = regex.compile(r"\p{L}+")
# a model number after a brand: "dyson v15", "bose qc45", "galaxy s24", "ps 5"
_MODEL_NUMBER = regex.compile(r"[ -]*\p{L}*\p{N}")
# words that make a sentence read as chat rather than a product or place query
_CHAT_WORDS = frozenset("""
i you he she it we they me him her us them my your his our their is are was were be been am do does
did have has had the a an this that not on to with for of and
""".split())


# greetings and interjections of chat ("thanks obama", "lol kanye")
_CHAT_CUES = frozenset("thanks thank thx lol lmao omg haha wow why what who how where when".split())


@functools.lru_cache(maxsize=1)
def _chat_words() -> frozenset[str]:
    """Words that make a sentence read as chat: function words, chat cues, and the verbs the
    names rules read a person's clause by ("ronaldo scored again", "kanye dropped an album")."""
    from detectors.names import SUBJECT_VERBS  # names imports this module: loaded on first use

    return _CHAT_WORDS | _CHAT_CUES | SUBJECT_VERBS


@functools.lru_cache(maxsize=1)
def proper_nouns() -> frozenset[str]:
    """Lower-case forms of the words usually written capitalized (see module doc). Loads in about
    a second, once per process."""
    from importlib.resources import files

    with (files("spacy_lookups_data") / "data" / "en_lexeme_prob.json.gz").open("rb") as fh:
        logprob: dict[str, float] = json.loads(gzip.decompress(fh.read()))
    get = logprob.get
    out = set()
    for word, lp in logprob.items():
        if word.istitle() and word.isalpha():
            low = word.lower()
            lower_lp = get(low)
            if lower_lp is None or lp - lower_lp >= _MIN_LOG_RATIO:
                out.add(low)
    return frozenset(out)


# People whose names the 2015 frequencies underweight: later fame ("trump" was then mostly the
# card-game word, "mrbeast" did not exist) or a rare common-word twin ("drake", "musk"). Only
# for truecasing chat: a capitalized "Trump card" at a sentence start stays an ordinary word.
_PROPER_SINCE = frozenset("trump drake lebron musk pewdiepie mrbeast".split())


@functools.lru_cache(maxsize=1)
def _typed_proper_nouns() -> frozenset[str]:
    return proper_nouns() | _PROPER_SINCE


def proper_noun_starts(text: str, skip: frozenset[str], covered: Sequence[tuple[int, int]] = ()) -> list[int]:
    """Where the lower-case proper nouns of ``text`` start, if the text reads as chat (see module
    doc). ``skip``: words never capitalized (function words, interjections); ``covered``:
    character ranges to leave alone (what the names gazetteer already reported)."""
    proper = _typed_proper_nouns()
    if proper.isdisjoint(_LOWER_WORD.findall(text)):
        return []
    if "!" not in text and "?" not in text and _chat_words().isdisjoint(_WORD.findall(text.lower())):
        return []
    return [m.start() for m in _LOWER_WORD.finditer(text)
            if m.group() in proper and m.group() not in skip and not _MODEL_NUMBER.match(text, m.end())
            and len(m.group()[0].upper()) == 1      # 'ß'.upper() is 'SS': offsets must hold
            and not any(a <= m.start() < b for a, b in covered)]


def capitalize_at(text: str, starts: Sequence[int]) -> str:
    """``text`` with the character at each of ``starts`` upper-cased (same length)."""
    chars = list(text)
    for i in starts:
        chars[i] = chars[i].upper()
    return "".join(chars)
