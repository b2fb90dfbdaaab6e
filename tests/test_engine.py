import json

from detectors.stack import DetectorStack
from scrubber.config import parse_topics
from scrubber.engine import Engine
from scrubber.fields import FieldSpec
from scrubber.keys import Key, KeyRing
from scrubber.pipeline import H_ENTITIES, H_REASON, InMessage, RoutePipeline
from scrubber.policy import BUILTIN_POLICIES, Policy
from scrubber.quarantine import unseal
from fakes import SlowDetector, WordDetector

WORDS = {"alice@example.org": "EMAIL_ADDRESS", "Alice": "PERSON", "Paris": "LOCATION", "Monday": "DATE_TIME"}


def engine(policy="stream", fields=None, keys=None):
    stack = DetectorStack([WordDetector(WORDS), SlowDetector()], budget_ms=20)
    pol = policy if isinstance(policy, Policy) else BUILTIN_POLICIES[policy]
    return Engine(stack, pol, keys or KeyRing(), fields)


def test_stream_policy_keeps_dates_and_places_but_tags_direct_identifiers():
    mail, place = engine().scrub_texts(["alice@example.org flies on Monday", "Paris on Monday"])
    assert mail.value == "[EMAIL] flies on Monday"
    assert mail.counts == {"EMAIL_ADDRESS": 1} and mail.found["DATE_TIME"] == 1
    assert place.value == "Paris on Monday" and place.found["LOCATION"] == 1


def test_a_place_next_to_a_name_is_rewritten_in_a_stream_too():
    out = engine().scrub_texts(["Alice Paris address", "flights to Paris"])
    assert [o.value for o in out] == ["[PERSON] [LOCATION] address", "flights to Paris"]


def test_release_policy_is_stricter():
    out = engine("release").scrub_texts(["Alice flies to Paris on Monday"])[0]
    assert out.value == "[PERSON] flies to [LOCATION] on Monday"


def test_structured_event_paths_skip_and_pii_by_name():
    fields = FieldSpec(skip=["$.id"], pii={"user.phone": "PHONE_NUMBER"})
    event = {"id": "Alice", "user": {"phone": 5551234, "name": "Alice"}, "messages": [{"text": "hi Alice"}]}
    out = engine(fields=fields).scrub_values([event])[0]
    assert out.value == {"id": "Alice", "user": {"phone": "[PHONE]", "name": "[PERSON]"},
                         "messages": [{"text": "hi [PERSON]"}]}
    assert event["user"]["name"] == "Alice", "the input is never mutated"


def test_a_failing_leaf_fails_the_whole_event_closed():
    out = engine().scrub_values([{"a": "Alice", "b": "this is slow"}])[0]
    assert out.failure == "detector_failure" and out.value is None


def test_drop_field_and_drop_event():
    pol = Policy(entities={"PERSON": "drop_field", "EMAIL_ADDRESS": "drop_event"})
    out = engine(pol).scrub_values([{"name": "Alice", "list": ["Alice", "ok"], "n": 1}])[0]
    assert out.value == {"list": [None, "ok"], "n": 1}
    assert engine(pol).scrub_values([{"m": "alice@example.org"}])[0].dropped


def test_missing_required_field_is_a_failure():
    out = engine(fields=FieldSpec(required=["$.id"])).scrub_values([{"text": "x"}])[0]
    assert out.failure == "missing_field" and out.detail == "$.id"


def test_pseudonyms_need_a_key_at_construction():
    pol = Policy(entities={"PERSON": "pseudonym"})
    try:
        engine(pol)
    except ValueError as exc:
        assert "SCRUBBER_PSEUDONYM_KEY" in str(exc)
    else:
        raise AssertionError("a pseudonym policy without a key must not start")
    out = engine(pol, keys=KeyRing(pseudonym=Key(b"p" * 32))).scrub_texts(["Alice"])[0]
    assert out.value.startswith("[PERSON:")


ROUTE = parse_topics("""
routes:
  - name: chats
    input: raw.chats
    output: clean.chats
    quarantine: q.chats
    fields: {required: [$.id]}
    headers_allow: [trace-id]
""").resolved_routes()[0]


def msg(value, offset=0, headers=None):
    return InMessage("raw.chats", 0, offset, b"k", value, headers or [], 1700000000000)


def test_pipeline_outputs_quarantines_and_keeps_order():
    qkey = Key(b"q" * 32)
    pipe = RoutePipeline(ROUTE, engine(), "packv1", qkey)
    batch = [msg(json.dumps({"id": 1, "text": "Alice"}).encode(), 0, [("trace-id", b"t1"), ("cookie", b"Alice")]),
             msg(b"\xff not utf8", 1),
             msg(json.dumps({"text": "no id, alice@example.org"}).encode(), 2),
             msg(json.dumps({"id": 2, "text": "slow"}).encode(), 3)]
    outs, stats = pipe.process(batch)
    assert [o.kind for o in outs] == ["output", "quarantine", "quarantine", "quarantine"]
    first = outs[0]
    assert json.loads(first.value) == {"id": 1, "text": "[PERSON]"}
    names = dict(first.headers)
    assert names["trace-id"] == b"t1" and "cookie" not in names and json.loads(names[H_ENTITIES]) == {"PERSON": 1}
    assert [dict(o.headers)[H_REASON] for o in outs[1:]] == [b"invalid_utf8", b"missing_field", b"detector_failure"]
    for o in outs[1:]:
        assert b"alice" not in o.value.lower() and o.topic == "q.chats"
        body = json.loads(o.value)
        assert body["source"]["offset"] == o.source.offset
        assert unseal(body["payload"], qkey) == o.source.value
    assert stats.quarantined == {"invalid_utf8": 1, "missing_field": 1, "detector_failure": 1}


def test_quarantine_without_a_key_withholds_the_payload():
    outs, _ = RoutePipeline(ROUTE, engine(), "v", None).process([msg(b"{bad json Alice")])
    body = json.loads(outs[0].value)
    assert body["reason"] == "invalid_json" and body["payload"].startswith("withheld")


def test_a_nested_finding_is_rewritten_once_by_its_outer_span():
    from detectors.finding import Finding
    from scrubber.transform import Transformer
    text = "at 12 Main Street, Paris 75001 now"
    outer = Finding(3, 30, "STREET_ADDRESS", 0.9, "t")
    inner = Finding(19, 24, "LOCATION", 0.9, "t")
    res = Transformer(BUILTIN_POLICIES["release"]).apply(text, [outer, inner])
    assert res.text == "at [ADDRESS] now" and res.counts == {"STREET_ADDRESS": 1}


def test_a_kept_url_leaves_the_identifiers_inside_it_to_their_own_rewrite():
    from scrubber.transform import Transformer
    from detectors.registry import build_stack
    from detectors.settings import DetectorSettings
    text = "click https://x.com/unsubscribe?email=jane.doe@example.com or http://203.0.113.45/admin"
    stack = build_stack(DetectorSettings(ner={"mode": "off"}, names=False))
    res = Transformer(BUILTIN_POLICIES["stream"]).apply(text, stack.detect(text).findings)
    assert res.text == "click https://x.com/unsubscribe?email=[EMAIL] or http://[IP]/admin"
