from detectors.lists import EntityLists
from detectors.stack import DetectorStack
from fakes import SlowDetector, WordDetector


def test_budget_overrun_fails_the_text_closed_and_others_go_on():
    stack = DetectorStack([WordDetector({"bob": "PERSON"}), SlowDetector()], budget_ms=20)
    fast, slow = stack.detect_batch(["hi bob", "bob is slow"])
    assert not fast.failed and [x.entity for x in fast.findings] == ["PERSON"]
    assert slow.failed and slow.findings == []
    assert "time budget" in slow.failure


def test_detector_exception_fails_closed_without_the_text_in_the_reason():
    stack = DetectorStack([SlowDetector()])
    det = stack.detect("boom 123-45-6789")
    assert det.failed
    assert "123-45-6789" not in det.failure and "RuntimeError" in det.failure


def test_thresholds_and_allow_list_apply_per_entity():
    stack = DetectorStack([WordDetector({"bob": "PERSON", "help@corp.com": "EMAIL_ADDRESS"}, score=0.4)],
                          lists=EntityLists(allow={"EMAIL_ADDRESS": ["HELP@corp.com"]}),
                          thresholds={"PERSON": 0.5})
    assert stack.detect("bob wrote to help@corp.com").findings == []


def test_deny_list_terms_are_always_found():
    stack = DetectorStack([], lists=EntityLists(deny={"PROJECT": ["Bluebird"]}))
    det = stack.detect("the bluebird launch")
    assert [(x.start, x.end, x.entity) for x in det.findings] == [(4, 12, "PROJECT")]
