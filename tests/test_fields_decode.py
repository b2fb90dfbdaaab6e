import json

import pytest

from scrubber.decode import DecodeError, DecodeLimits, decode
from scrubber.fields import FieldSpec, matches


@pytest.mark.parametrize("pattern, path, expected", [
    ("email", ("user", "email"), True),
    ("user.email", ("user", "email"), True),
    ("$.email", ("user", "email"), False),
    ("messages[].text", ("messages", 3, "text"), True),
    ("$.messages[].text", ("x", "messages", 0, "text"), False),
    ("**", ("a", 1, "b"), True),
    ("user.*", ("user", "phone"), True),
])
def test_path_patterns(pattern, path, expected):
    assert matches(pattern, path) is expected


def test_classify_skip_wins_over_pii_over_scan():
    spec = FieldSpec(skip=["$.id"], pii={"email": "EMAIL_ADDRESS"})
    assert spec.classify(("id",)) == ("skip", None)
    assert spec.classify(("user", "email")) == ("pii", "EMAIL_ADDRESS")
    assert spec.classify(("text",)) == ("scan", None)


LIMITS = DecodeLimits(max_bytes=1000, max_depth=4)


@pytest.mark.parametrize("payload, reason", [
    (b"\xff\xfe bad", "invalid_utf8"),
    (b"{not json", "invalid_json"),
    (b"x" * 1001, "too_large"),
    (json.dumps({"a": {"b": {"c": {"d": {"e": 1}}}}}).encode(), "too_deep"),
    (b"[" * 450 + b"]" * 450, "too_deep"),
    (b"", "empty"),
])
def test_decode_errors_have_stable_reasons_and_no_content(payload, reason):
    with pytest.raises(DecodeError) as exc:
        decode(payload, "json", LIMITS)
    assert exc.value.reason == reason
    assert "bad" not in str(exc.value) and "not json" not in str(exc.value)


def test_text_format_passes_any_valid_utf8():
    assert decode("héllo {".encode(), "text", LIMITS) == "héllo {"
