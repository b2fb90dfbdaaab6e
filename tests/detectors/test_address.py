"""Postal address blocks (detectors.address): the block is one STREET_ADDRESS, its town and
country are nested LOCATION findings; sentences with numbers are not blocks."""
import sys
import time

import pytest
import regex

from detectors.address import (_MEMO, _START_UNIT, _UNIT_INITIALS, AddressBlockDetector, PostcodeAfterPlaceDetector,
                               _may_hold_unit, address_blocks)
from detectors.base import BudgetExceeded
from detectors.finding import TIER_MODEL, Finding
from prior_findings import follow_on
from detectors.resolve import resolve


def _spans(text):
    return [(f.entity, text[f.start:f.end]) for f in address_blocks(text)]


@pytest.mark.parametrize("text, block, places", [
    ("48 109 Xanthou Street\nApt. 698\nLakatameia\nBhutan 43145",
     "48 109 Xanthou Street\nApt. 698\nLakatameia\nBhutan 43145", ["Lakatameia", "Bhutan"]),
    ("77 3658 Sunburst Drive\n>Apt. 466\n>Sanibel\n>Croatia 19279",
     "77 3658 Sunburst Drive\n>Apt. 466\n>Sanibel\n>Croatia 19279", ["Sanibel", "Croatia"]),
    ("??? 53 4624 St Jean Baptiste St\n??? Suite 826\n??? St Ulric\n??? Lebanon 13062",
     "53 4624 St Jean Baptiste St\n??? Suite 826\n??? St Ulric\n??? Lebanon 13062", ["St Ulric", "Lebanon"]),
    ("I live at 21 3314 Harley Brook Lane, Altoona", "21 3314 Harley Brook Lane, Altoona", ["Altoona"]),
    ("Miss Gabriella Villanueva Suite 574 34 Sireli 74\nTartu TA 56325",
     "Suite 574 34 Sireli 74\nTartu TA 56325", ["Tartu"]),
    ("65 Alt Reinickendorf 86\nCandeias\n, BA\n People's Republic of China 57006",
     "65 Alt Reinickendorf 86\nCandeias\n, BA\n People's Republic of China 57006",
     ["Candeias", "People's Republic of China"]),
    ("11 via goffredo mameli 149\n suite 268\n poggiovalle di borgorose\n antigua and barbuda 48083 for this card",
     "11 via goffredo mameli 149\n suite 268\n poggiovalle di borgorose\n antigua and barbuda 48083",
     ["poggiovalle di borgorose", "antigua and barbuda"]),
    ("Tacuarembo 6626 Suite 595, Glen Arbor, Bolivia 52626 last night.",
     "Tacuarembo 6626 Suite 595, Glen Arbor, Bolivia 52626", ["Glen Arbor", "Bolivia"]),
    ("office is at 93 Industrivej 82, Quinta do Paço, Czech Republic",
     "93 Industrivej 82, Quinta do Paço, Czech Republic", ["Quinta do Paço", "Czech Republic"]),
    ("751 Watson Mall Lake Keithstad zillow", "751 Watson Mall Lake Keithstad", ["Keithstad"]),
    ("It's in 60 1908 Derby Ave\nSchipluiden\n, ZH\n 17885", "60 1908 Derby Ave\nSchipluiden\n, ZH\n 17885",
     ["Schipluiden"]),
])
def test_blocks(text, block, places):
    got = _spans(text)
    assert got[0] == ("STREET_ADDRESS", block)
    assert [s for e, s in got[1:] if e == "LOCATION"] == places


@pytest.mark.parametrize("text", [
    "I tried restarting it 3 times. It's been 3 days, no update",
    "3 lane road closure",
    "convert 924 miles to km, please",
    "I have 2 kids\nThanks for the help",
    "we have 3 rooms 2 suites",
    "Top 10 Things To Do, Paris",
    "She scored 21 Points, Rebounds 10",
    "Windows 10, Office 2019",
    "Order 12 Large Pizzas\nDelivered",
    "Meet at 5 Main Street and bring food",   # a bare street line: left to the pattern pack
])
def test_not_blocks(text):
    assert not any(e == "STREET_ADDRESS" for e, _ in _spans(text))


def test_places_nest_inside_the_block():
    text = "48 109 Xanthou Street\nApt. 698\nLakatameia\nBhutan 43145"
    kept = resolve(address_blocks(text))
    assert [f.entity for f in kept] == ["STREET_ADDRESS", "LOCATION", "LOCATION"]


@pytest.mark.parametrize("text", ["Apt 4", "ſuite 5", "SUITE #12", "unit 7b", "no unit word 12", "flat 3", "ste 9",
                                  "apartment 2", "nothing", "APARTMENT 44", "Ste. 100", "unİt 5", "SUİTE 4",
                                  "uni\u0307t 5"])
def test_unit_prefilter_never_hides_a_unit_start(text):
    """``_may_hold_unit`` (case-folded substring test) is False only where ``_START_UNIT`` finds nothing."""
    assert _may_hold_unit(text) or _START_UNIT.search(text) is None


def test_unit_initials_cover_every_unit_match():
    """``_unit_at`` skips the regex only for words whose first character no unit can start with."""
    first = regex.compile(r"(?i:[asufrb])")
    assert {chr(cp) for cp in range(sys.maxunicode + 1) if first.fullmatch(chr(cp))} <= _UNIT_INITIALS


ADVERSARIAL = ["1 " * 25_000, "12 Main Street " * 5_000, "Apt 1 " * 10_000, "12 Main Street\nApt 4\n" * 3_000,
               "12 A B C D E F G " * 3_000, "12 Rue de la Paix " * 4_000, "12 Via Roma 5 " * 5_000]


@pytest.mark.parametrize("text", ADVERSARIAL, ids=[t[:12] for t in ADVERSARIAL])
def test_detector_keeps_its_time_budget(text):
    """Long address-like texts finish or fail closed (BudgetExceeded) near their deadline."""
    _MEMO.clear()
    t0 = time.monotonic()
    out = AddressBlockDetector().detect_batch([text], [t0 + 0.05])[0]
    assert time.monotonic() - t0 < 0.2
    assert isinstance(out, (list, BudgetExceeded))


def test_expired_deadline_fails_closed():
    _MEMO.clear()
    with pytest.raises(BudgetExceeded):
        AddressBlockDetector().detect("12 Main Street\nApt 4\nSpringfield", time.monotonic() - 1)


@pytest.mark.parametrize("text", [
    "my name is Brandi Dunlap and my number is +1 213 879 6009 I'm on version 6.9.4.3.",
    "my number is +1 512 916 8402 Firmware 10.0.21097.2849 didn't fix it.",
    "call (213) 879 6009 Main Street office",    # the run is a phone number, not house numbers
    "Tel 879 6009 I'm on version 6",             # a version line is no street
    "got 2 11 Pro Max Firmware 17",
])
def test_no_block_inside_a_digit_run_or_on_a_version_line(text):
    assert not any(e == "STREET_ADDRESS" for e, _ in _spans(text))


def test_the_phone_survives_next_to_a_version_line():
    """The address block used to take '879 6009 I'm on version 6' and win over the phone."""
    from detectors.phone import PhoneDetector
    text = "my name is Brandi Dunlap and my number is +1 213 879 6009 I'm on version 6.9.4.3."
    found = resolve([*address_blocks(text), *PhoneDetector().detect(text, time.monotonic() + 5)])
    assert [(f.entity, text[f.start:f.end]) for f in found] == [("PHONE_NUMBER", "+1 213 879 6009")]


@pytest.mark.parametrize(("text", "block"), [
    ("12 Park Row, Leeds, LS1 4AP", "12 Park Row, Leeds, LS1 4AP"),
    ("24 Sussex Drive, Ottawa, ON K1A 0B1", "24 Sussex Drive, Ottawa, ON K1A 0B1"),
    ("10 Downing Street, London SW1A 2AA", "10 Downing Street, London SW1A 2AA"),
    ("48 109 Xanthou Street\nApt. 698\nLakatameia", "48 109 Xanthou Street\nApt. 698\nLakatameia"),
])
def test_blocks_take_uk_and_canadian_postcodes_and_two_leading_numbers(text, block):
    assert _spans(text)[0] == ("STREET_ADDRESS", block)


# ------------------------------------------------------------------ postcode after a place

AFTER_PLACE = PostcodeAfterPlaceDetector()


def _postcodes(text: str, places: list[str], entity: str = "LOCATION") -> list[str]:
    return follow_on(AFTER_PLACE, text, places, entity, 0.7, "POSTAL_CODE")


@pytest.mark.parametrize(("text", "place", "code"), [
    ("sold to Priya Raghunathan in Leeds, LS1 4AP.", "Leeds", "LS1 4AP"),
    ("London SW1A 1AA", "London", "SW1A 1AA"),
    ("Ottawa, ON K1A 0B1", "Ottawa", "K1A 0B1"),
    ("Toronto M5V3L9", "Toronto", "M5V3L9"),
    ("Manchester  M1 1AE, UK", "Manchester", "M1 1AE"),
])
def test_postcode_after_a_place(text, place, code):
    assert _postcodes(text, [place]) == [code]


@pytest.mark.parametrize(("text", "places", "entity"), [
    ("sold to Priya in Leeds, LS1 4CP.", ["Leeds"], "LOCATION"),   # C is no inward letter
    ("Leeds LS14AP", ["Leeds"], "LOCATION"),                      # UK codes keep their space
    ("bought an RTX 4070 in Leeds", ["Leeds"], "LOCATION"),
    ("LS1 4AP", [], "LOCATION"),                                  # no place: the pattern pack's job
    ("Leeds, then LS1 4AP", ["Leeds"], "LOCATION"),
    ("Priya LS1 4AP", ["Priya"], "PERSON"),
])
def test_no_postcode_after_a_place(text, places, entity):
    assert _postcodes(text, places, entity) == []


def test_postcode_beats_a_model_person_on_the_code():
    """NER reads 'LS1 4AP' as a PERSON; the postcode (tier pattern) wins."""
    text = "sold to Priya Raghunathan in Leeds, LS1 4AP."
    ner = Finding(text.index("LS1"), text.index("LS1") + 7, "PERSON", 0.85, "ner", TIER_MODEL)
    place = Finding(text.index("Leeds"), text.index("Leeds") + 5, "LOCATION", 0.88, "names", TIER_MODEL)
    (found,) = AFTER_PLACE.detect_batch([text], [time.monotonic() + 5], prior=[[place, ner]])
    assert [(f.entity, text[f.start:f.end]) for f in resolve([place, ner, *found])] == \
        [("LOCATION", "Leeds"), ("POSTAL_CODE", "LS1 4AP")]


def test_postcode_after_place_fails_closed_and_needs_prior_findings():
    text = "London SW1A 1AA"
    prior = [[Finding(0, 6, "LOCATION", 0.7, "ner", TIER_MODEL)]]
    (out,) = AFTER_PLACE.detect_batch([text], [time.monotonic() - 1], prior=prior)
    assert isinstance(out, BudgetExceeded)
    assert AFTER_PLACE.detect(text, time.monotonic() + 5) == []
    assert AFTER_PLACE.sees_prior and AFTER_PLACE.cost > 100
