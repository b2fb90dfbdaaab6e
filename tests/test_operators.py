import pytest

from detectors.validators import luhn
from scrubber import operators
from scrubber.keys import Key, KeyConfigError, KeyRing, parse_key
from scrubber.surrogate import surrogate_for

KEY = Key(b"k" * 32)
OTHER = Key(b"o" * 32)


def test_tag_uses_short_names():
    assert operators.tag("EMAIL_ADDRESS") == "[EMAIL]"
    assert operators.tag("TRACKING_NUMBER", "<{entity}>") == "<TRACKING_NUMBER>"


def test_mask_keeps_last_characters_and_separators():
    assert operators.mask("4111 1111 1111 1234") == "**** **** **** 1234"
    assert operators.mask("bob", keep_last=0) == "***"


def test_pseudonym_is_stable_keyed_and_entity_scoped():
    a = operators.pseudonym("Alice Smith", "PERSON", KEY)
    assert a == operators.pseudonym("Alice Smith", "PERSON", KEY)
    assert a != operators.pseudonym("Alice Smith", "PERSON", OTHER)
    assert a != operators.pseudonym("Alice Smith", "ORGANIZATION", KEY)
    assert "Alice" not in a and a.startswith("[PERSON:")


def test_encrypt_is_deterministic_and_reversible_only_with_the_key():
    token = operators.encrypt("alice@example.org", "EMAIL_ADDRESS", KEY)
    assert token == operators.encrypt("alice@example.org", "EMAIL_ADDRESS", KEY)
    text = f"mail {token} now"
    assert operators.decrypt_text(text, {KEY.id: KEY}) == ("mail alice@example.org now", 1, 0)
    assert operators.decrypt_text(text, {OTHER.id: OTHER}) == (text, 0, 1)


def test_tampered_token_is_not_decrypted():
    token = operators.encrypt("x", "PERSON", KEY)
    relabelled = token.replace("PERSON", "LOCATION")
    assert operators.decrypt_text(relabelled, {KEY.id: KEY})[2] == 1


@pytest.mark.parametrize("value, entity", [
    ("4111 1111 1111 1111", "CREDIT_CARD"), ("123-45-6789", "US_SSN"), ("10.1.2.3", "IP_ADDRESS"),
    ("karen wiggins", "PERSON"), ("Karen Wiggins", "PERSON"), ("bob@corp.com", "EMAIL_ADDRESS"),
])
def test_surrogates_keep_shape_and_are_deterministic(value, entity):
    digest = b"\x01" * 32
    fake = surrogate_for(value, entity, digest)
    assert fake == surrogate_for(value, entity, digest) and fake != value
    if entity == "CREDIT_CARD":
        assert len(fake) == len(value) and not luhn(fake)
    if entity == "US_SSN":
        assert fake.startswith("9") and fake[3] == "-"
    if entity == "PERSON":
        assert fake.islower() == value.islower()
    if entity == "EMAIL_ADDRESS":
        assert fake.endswith((".com", ".org", ".net")) and "@example." in fake


def test_keys_parse_hex_or_base64_and_reject_short_ones():
    assert parse_key("ab" * 32, "t").material == bytes.fromhex("ab" * 32)
    with pytest.raises(KeyConfigError, match="at least 32 bytes"):
        parse_key("abcd", "t")


def test_keyring_from_env_and_require(tmp_path):
    path = tmp_path / "k"
    path.write_text("cd" * 32)
    ring = KeyRing.from_env({"SCRUBBER_PSEUDONYM_KEY_FILE": str(path)})
    assert ring.require("pseudonym").material == bytes.fromhex("cd" * 32)
    with pytest.raises(KeyConfigError, match="SCRUBBER_ENCRYPTION_KEY"):
        ring.require("encryption")
