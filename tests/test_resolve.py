from detectors.finding import TIER_MODEL, TIER_PATTERN, TIER_VALIDATED, Finding
from detectors.resolve import resolve


def f(start, end, entity, score=0.5, tier=TIER_PATTERN, det="d"):
    return Finding(start, end, entity, score, det, tier)


def test_validated_beats_model_even_with_lower_score():
    card = f(5, 24, "CREDIT_CARD", 0.6, TIER_VALIDATED)
    ner = f(5, 10, "PERSON", 0.99, TIER_MODEL)
    assert resolve([ner, card]) == [card]


def test_longer_span_wins_within_a_tier():
    org = f(0, 40, "ORGANIZATION", 0.6)
    person = f(30, 40, "PERSON", 0.9)
    assert resolve([person, org]) == [org]


def test_equal_spans_resolve_by_score_then_name_never_by_order():
    a = f(0, 5, "B_ENTITY", 0.7)
    b = f(0, 5, "A_ENTITY", 0.7)
    assert resolve([a, b]) == resolve([b, a]) == [b]


def test_non_overlapping_are_all_kept_in_text_order():
    x, y = f(10, 12, "X"), f(0, 3, "Y")
    assert resolve([x, y]) == [y, x]


def test_partial_overlap_keeps_one():
    a, b = f(0, 10, "A", 0.9), f(5, 12, "B", 0.9)
    assert resolve([a, b]) == [a]


def test_a_place_inside_an_address_is_reported_nested():
    address = f(0, 40, "STREET_ADDRESS", 0.8)
    city = f(20, 27, "LOCATION", 0.7, TIER_MODEL)
    person = f(5, 12, "PERSON", 0.9, TIER_MODEL)
    assert resolve([city, person, address]) == [address, city]


def test_nested_places_do_not_overlap_each_other():
    address = f(0, 40, "STREET_ADDRESS", 0.8)
    a, b = f(20, 27, "LOCATION", 0.7, TIER_MODEL), f(25, 30, "LOCATION", 0.6, TIER_MODEL)
    assert resolve([a, b, address]) == [address, a]


def test_an_identifier_inside_a_url_is_reported_nested_whichever_ranks_first():
    url = f(0, 50, "URL", 0.9)
    email = f(30, 45, "EMAIL_ADDRESS", 0.95, TIER_VALIDATED)     # outranks the URL (tier)
    place = f(10, 15, "LOCATION", 0.8, TIER_MODEL)               # no identifier: not nested
    assert resolve([email, place, url]) == [url, email]
