"""PhoneDetector: formats, international numbers, hard negatives, bounded time."""
from __future__ import annotations

import time

import pytest

from detectors.base import BudgetExceeded
from detectors.finding import TIER_MODEL, Finding
from detectors.phone import _CANDIDATE, PhoneAfterNameDetector, PhoneDetector
from prior_findings import follow_on

DET = PhoneDetector()


def spans(text: str) -> list[str]:
    return [text[f.start:f.end] for f in DET.detect(text, time.monotonic() + 5)]


@pytest.mark.parametrize(("text", "phone"), [
    ("who called me from 415.204.3848", "415.204.3848"),
    ("(415) 204-3848 spam?", "(415) 204-3848"),
    ("reverse phone lookup 602-922-8889", "602-922-8889"),
    ("+1 305 748 2475 spam?", "+1 305 748 2475"),
    ("You can reach me at 4152043848 after 5", "4152043848"),
    ("my number is 1-415-204-3848", "1-415-204-3848"),
    ("call +44 20 7946 0958 today", "+44 20 7946 0958"),
    ("ring 0044 20 7946 0958", "0044 20 7946 0958"),
    ("Tel: +49 30 901820", "+49 30 901820"),
    ("office 0650 995 04 94", "0650 995 04 94"),
    ("079 7602 9803 is my mobile", "079 7602 9803"),
    ("+33 1 42 68 53 00 (Paris)", "+33 1 42 68 53 00"),
    ("fax +1-177-892-0730x52646", "+1-177-892-0730x52646"),
    ("call 415-204-3848 2 times", "415-204-3848"),
    ("001-432-815-4117", "001-432-815-4117"),
])
def test_finds_phone_numbers(text, phone):
    assert phone in spans(text)


@pytest.mark.parametrize("text", [
    "ticket 4152043848",                       # bare 10 digits, id word, no phone shape
    "My ticket number is 4152043848.",
    "4152043848",                              # bare, no context at all
    "version 10.0.14040.3605 release notes",
    "windows update 4.8.8.7 stuck",
    "ping 192.168.100.254",
    "ssn 185-88-1021",
    "flights on 2024-05-08 and 2/18/2024",
    "gift card 2135577601432796 balance",
    "card 4111 1111 1111 1111",
    "iban ES21 0383 8606 9176 8517 5797",
    "total $1,999.99 for 3 items",
    "order #602045962 shipped",
    "tracking 526915956410",
])
def test_hard_negatives(text):
    assert spans(text) == []


def test_entity_and_tier():
    (f,) = DET.detect("call (415) 204-3848", time.monotonic() + 5)
    assert f.entity == "PHONE_NUMBER" and f.detector == "phone" and 0 < f.score <= 1


@pytest.mark.parametrize("text", ["1" * 50_000, "1 " * 25_000, "1-" * 25_000, "(1) " * 12_000, "+1 " * 16_000,
                                  "1." * 25_000, "1x" * 25_000])
def test_candidate_regex_bounded(text):
    t0 = time.monotonic()
    list(_CANDIDATE.finditer(text[:4096]))
    assert time.monotonic() - t0 < 0.5
    t0 = time.monotonic()
    try:
        DET.detect(text, t0 + 1.0)
    except BudgetExceeded:
        pass
    assert time.monotonic() - t0 < 1.5


def test_expired_deadline_fails_closed():
    with pytest.raises(BudgetExceeded):
        DET.detect("call 415-204-3848", time.monotonic() - 1)


def test_detect_batch_equals_detect():
    texts = ["call (415) 204-3848", "nothing here", "+44 20 7946 0958 and 602-922-8889", "ticket 4152043848", "1 2 3"]
    far = time.monotonic() + 10
    assert DET.detect_batch(texts, [far] * len(texts)) == [DET.detect(t, far) for t in texts]


def test_detect_batch_fails_only_the_late_text():
    now = time.monotonic()
    out = DET.detect_batch(["call (415) 204-3848", "call (415) 204-3848"], [now + 10, now - 1])
    assert isinstance(out[1], BudgetExceeded) and out[0] and not isinstance(out[0], BaseException)


@pytest.mark.parametrize("text", [
    "call me at 4152043848", "my cell 14152043848 thanks", "ticket 4152043848 call", "order 6029228889 phone",
    "4152043848", "phone: 1234567890", "text 0152043848", "whatsapp 2125550123 or 2125550124",
    "ref 4152043848, call back", "Call 4152043848", "reach me on 11234567890",
])
def test_bare_digit_fast_path_agrees_with_the_general_one(text):
    """``_bare`` is a shortcut for what ``_best`` makes of a bare run of 10-11 digits."""
    det = PhoneDetector()
    for m in _CANDIDATE.finditer(text):
        cand = m.group()
        if cand.isdigit() and 10 <= len(cand) <= 11 and not cand.startswith("00"):
            det._text, det._lower = text, None
            bare = det._bare(m.start(), cand)
            det._text, det._lower = text, None
            assert bare == det._best(m.start(), cand), (text, cand)


def test_record_and_licence_words_are_id_words():
    """'medical record number 4821-993' is a record id, not a national phone number."""
    assert spans("medical record number 4821-993") == []
    assert spans("passport number 0650 995 04 94") == []
    assert spans("office number 0650 995 04 94") == ["0650 995 04 94"]


# ---------------------------------------------------------------------- phone after a name

AFTER = PhoneAfterNameDetector()


def _after_name(text: str, names: list[str], entity: str = "PERSON", score: float = 0.75) -> list[str]:
    """What PhoneAfterNameDetector finds in ``text`` given PERSON findings on ``names``."""
    return follow_on(AFTER, text, names, entity, score, "PHONE_NUMBER")


@pytest.mark.parametrize(("text", "name", "phone"), [
    ("Robert Hayden 5033608989", "Robert Hayden", "5033608989"),
    ("brooke blanchard 7732123599", "brooke blanchard", "7732123599"),
    ("mark t. obrien 9015819419", "mark t. obrien", "9015819419"),
    ("call Tina Skinner, 6176297660 tonight", "Tina Skinner", "6176297660"),
    ("Eric Silva 17023744273", "Eric Silva", "17023744273"),
])
def test_bare_nanp_number_after_a_name(text, name, phone):
    assert _after_name(text, [name]) == [phone]


@pytest.mark.parametrize(("text", "names"), [
    ("ticket number is 8034133096", []),                      # no name
    ("order 144764370", []),
    ("Robert Hayden 1234567890", ["Robert Hayden"]),          # not a valid NANP number
    ("Robert Hayden 50336089891", ["Robert Hayden"]),         # 11 digits without the leading 1
    ("Hayden 5033608989", ["Hayden"]),                        # one word is no full name
    ("order Robert Hayden 5033608989", ["Robert Hayden"]),    # an id word before the name
    ("Robert Hayden paid 5033608989", ["Robert Hayden"]),     # not right after the name
    ("Robert Hayden 5033608989.12", ["Robert Hayden"]),       # an amount
    ("Robert Hayden 5033608989", []),
])
def test_no_phone_after_name(text, names):
    assert _after_name(text, names) == []


def test_after_name_ignores_weak_names_places_and_works_only_with_prior_findings():
    assert _after_name("Robert Hayden 5033608989", ["Robert Hayden"], score=0.3) == []
    assert _after_name("Salt Lake 5033608989", ["Salt Lake"], entity="LOCATION") == []
    assert AFTER.detect("Robert Hayden 5033608989", time.monotonic() + 5) == []
    assert AFTER.detect_batch(["Robert Hayden 5033608989"], [time.monotonic() + 5]) == [[]]


def test_after_name_fails_closed_on_expired_deadline():
    text = "Robert Hayden 5033608989"
    prior = [[Finding(0, 13, "PERSON", 0.75, "names", TIER_MODEL)]]
    (out,) = AFTER.detect_batch([text], [time.monotonic() - 1], prior=prior)
    assert isinstance(out, BudgetExceeded)


def test_after_name_runs_after_the_name_detectors():
    """It reads their findings: the stack must run it after the gazetteer (50) and NER (100)."""
    from detectors.names import NameDetector
    from detectors.ner import NerDetector
    assert AFTER.sees_prior and AFTER.cost > max(NameDetector.cost, NerDetector.cost)
