"""Every rule of every builtin pack: its own examples, and bounded time on adversarial input."""
from __future__ import annotations

import functools
import time

import pytest

from detectors.base import BudgetExceeded
from detectors.pack import builtin_pack_paths, load_pack
from detectors.pattern import CompiledRule, PatternDetector, _is_literal, _required_zero_run, lower_same_length

PACKS = [load_pack(p) for p in builtin_pack_paths()]
RULES = [(pack.pack, rule) for pack in PACKS for rule in pack.rules]
IDS = [f"{pack}.{rule.id}" for pack, rule in RULES]


def _fires(pack: str, rule, text: str) -> bool:
    """Whether the rule reports something in ``text``, prefilters included (as in production)."""
    det = PatternDetector([type(PACKS[0])(pack=pack, rules=[rule])])
    return bool(det.detect(text, time.monotonic() + 5))


def test_builtin_packs_exist_and_ids_are_unique():
    assert {p.pack for p in PACKS} >= {"pii", "ids", "secrets"}
    for pack in PACKS:
        ids = [r.id for r in pack.rules]
        assert len(ids) == len(set(ids)), pack.pack


@pytest.mark.parametrize(("pack", "rule"), RULES, ids=IDS)
def test_rule_has_examples(pack, rule):
    assert rule.examples.match, f"{pack}.{rule.id} has no positive examples"
    assert rule.examples.no_match, f"{pack}.{rule.id} has no negative examples"


@pytest.mark.parametrize(("pack", "rule"), RULES, ids=IDS)
def test_rule_examples(pack, rule):
    missed = [t for t in rule.examples.match if not _fires(pack, rule, t)]
    wrong = [t for t in rule.examples.no_match if _fires(pack, rule, t)]
    assert not missed, f"{pack}.{rule.id} misses {missed}"
    assert not wrong, f"{pack}.{rule.id} fires on {wrong}"


ADVERSARIAL = [
    "1" * 50_000,
    "a" * 50_000,
    "A1" * 25_000,
    "1-" * 25_000,
    "1 " * 25_000,
    "1." * 25_000,
    ". " * 25_000,
    "a." * 25_000,
    "a@" * 25_000,
    "a" * 25_000 + "@" + "a." * 10_000,
    ":" * 50_000,
    "a:" * 25_000,
    "1Z" * 25_000,
    "eyJ" + "a" * 50_000 + ".eyJ" + "a" * 10_000,
    "-----BEGIN RSA PRIVATE KEY-----" + "A" * 50_000,
    "-----BEGIN PRIVATE KEY-----\n" + "AAAA\n" * 10_000,
    "http://" + "a" * 50_000,
    "https://a/?" + "b=c&" * 12_000,
    "password=" + "x" * 50_000,
    "12 " + "Main " * 10_000 + "St",
    "Via " + "Roma " * 10_000,
    "address is " + "A " * 25_000,
    "+1 " + "(1) " * 12_000,
    "2024-" * 10_000,
    "ssn routing account passport driver imei idfa tracking " + "1 2 3 " * 8_000,
]
LIMIT_S = 1.0


@pytest.mark.parametrize(("pack", "rule"), RULES, ids=IDS)
def test_rule_is_bounded_on_adversarial_input(pack, rule):
    """Each rule either finishes quickly or stops at the deadline with BudgetExceeded."""
    compiled = CompiledRule.build(rule, pack)
    for text in ADVERSARIAL:
        lower = lower_same_length(text)
        t0 = time.monotonic()
        try:
            compiled.findings(text, lower, t0 + LIMIT_S)
        except BudgetExceeded:
            pass
        elapsed = time.monotonic() - t0
        assert elapsed < LIMIT_S + 0.5, f"{pack}.{rule.id} took {elapsed:.2f}s on {text[:20]!r}..."


def test_detector_fails_closed_on_expired_deadline():
    det = PatternDetector.builtin()
    with pytest.raises(BudgetExceeded):
        det.detect("call 415-204-3848 or mail a@b.com " * 10, time.monotonic() - 1)


def test_date_of_birth_beats_date_time():
    from detectors.resolve import resolve
    det = PatternDetector.builtin()
    text = "Social is 123-45-6789, DOB 3/13/1956."
    found = resolve(det.detect(text, time.monotonic() + 5))
    dates = [f for f in found if text[f.start:f.end] == "3/13/1956"]
    assert [f.entity for f in dates] == ["DATE_OF_BIRTH"]


def test_findings_carry_pack_rule_ids_and_spans():
    det = PatternDetector.builtin()
    text = "mail me at jane.doe@example.com"
    found = [f for f in det.detect(text, time.monotonic() + 5) if f.entity == "EMAIL_ADDRESS"]
    assert len(found) == 1
    assert text[found[0].start:found[0].end] == "jane.doe@example.com"
    assert found[0].detector == "pii.email"


@pytest.mark.parametrize(("pack", "rule"), RULES, ids=IDS)
def test_builtin_rule_is_fast_without_timeout_up_to_trusted_length(pack, rule):
    """Builtin rules run without the regex module's per-call timeout on texts up to
    TRUSTED_MAX_CHARS (see detectors.pattern): that is only safe if they are bounded there."""
    from detectors.pattern import TRUSTED_MAX_CHARS
    compiled = CompiledRule.build(rule, pack)
    assert compiled.trusted
    for text in ADVERSARIAL:
        text = text[:TRUSTED_MAX_CHARS]
        t0 = time.monotonic()
        list(compiled.rx.finditer(text))
        assert time.monotonic() - t0 < 0.25, f"{pack}.{rule.id} slow on {text[:20]!r}..."


def test_user_rules_keep_the_timeout():
    from detectors.pack import Rule
    rule = Rule(id="x", entity="ACCOUNT_ID", pattern=r"(a|aa)+b")
    assert not CompiledRule.build(rule, "custom").trusted
    with pytest.raises(BudgetExceeded):
        CompiledRule.build(rule, "custom").findings("a" * 40, "a" * 40, time.monotonic() + 0.05)


def test_keyword_index_matches_substring_semantics():
    """A rule's bit is set iff one of its keywords occurs in the lower-cased text as a substring,
    whatever the tokens: spaced keywords, keywords with digits, Unicode spaces, non-ASCII text."""
    from detectors.pattern import _FOLD_BYTES, utf8
    det = PatternDetector.builtin()
    index = det._index
    texts = ["Date of Birth: 1/2/1990", "my SSN is 123-45-6789", "xoxb-token and https://a.io", "1Z999AA1",
             "passwd=abc", "gift card 123", "nothing here", "CALL me", "www.example.com", "ipv4 10.0.0.1",
             "lives\u00a0at 12 Main St", "date of\tbirth", "résumé İstanbul straße 5", "dob\u2003birthday",
             "send it to Via Roma 12", "ss# 123", "a/c 1234"]
    for text in texts * 2:  # second round hits the memo
        lower = lower_same_length(text)
        mask = index.rules(utf8(lower).translate(_FOLD_BYTES).split(), lower)
        for i, rule in enumerate(det.rules):
            expected = any(k in lower for k in rule.keywords)
            assert bool(mask >> i & 1) == expected, (text, rule.detector_id)


def test_rule_order_and_findings_equal_plain_loop():
    """The indexed detector reports exactly what running every applicable rule would."""
    det = PatternDetector.builtin()
    texts = ["Social is 536-32-3065, DOB 3/13/1956.", "card 4111 1111 1111 1111 and a@b.com at 10.0.0.1",
             "directions to 534 Castillo Stream Suite 790, East Brittany, GA 54767 on Monday 7:30 pm",
             "password=hunter2! token: Zx81Kq0Lm3Np5Rt7Vw9Yb2Dc4Fg6Hj8", "tracking 1Z999AA10123456784"]
    for text in texts:
        lower = lower_same_length(text)
        ndigits = sum(ch.isdigit() for ch in text)
        plain = [f for r in det.rules if r.applies(lower, ndigits)
                 for f in r.findings(text, lower, time.monotonic() + 5)]
        assert det.detect(text, time.monotonic() + 5) == plain, text


def test_detect_batch_equals_detect_per_text():
    det = PatternDetector.builtin()
    texts = ["Social is 536-32-3065, DOB 3/13/1956.", "nothing", "card 4111 1111 1111 1111 and a@b.com at 10.0.0.1",
             "directions to 534 Castillo Stream Suite 790, East Brittany, GA 54767 on Monday 7:30 pm",
             "password=hunter2! token: Zx81Kq0Lm3Np5Rt7Vw9Yb2Dc4Fg6Hj8", "x" * 5000 + " call 10.0.0.1"]
    far = time.monotonic() + 10
    assert det.detect_batch(texts, [far] * len(texts)) == [det.detect(t, far) for t in texts]


def test_detect_batch_fails_only_the_late_text():
    det = PatternDetector.builtin()
    now = time.monotonic()
    out = det.detect_batch(["a@b.com 10.0.0.1", "a@b.com 10.0.0.1"], [now + 10, now - 1])
    assert isinstance(out[1], BudgetExceeded) and not isinstance(out[0], BaseException) and out[0]


def test_new_tokens_learned_with_the_trie_equal_the_bigram_walk():
    """``_learn`` (trie regex over UTF-8 bytes + substring closure) gives the same rule mask as
    the reference walk over the token's characters, whatever the token."""
    import random

    from detectors.pattern import utf8
    index = PatternDetector.builtin()._index
    words = sorted(index._token_bits)
    rnd = random.Random(7)
    alphabet = [*words, *"abcdefghijklmnopqrstuvwxyz0.-:/@#é ß"]
    tokens = {"".join(rnd.choice(alphabet) for _ in range(rnd.randint(1, 6))).replace(" ", "") for _ in range(3000)}
    tokens |= {"straße12", "résumé", "1z999", "ave.", "st.", "blvd", "xoxb-", "\udcff"}
    for token in filter(None, tokens):
        assert index._learn(utf8(token)) == index._bits_in(token), token


SHAPED = [(pack, rule) for pack, rule in RULES if rule.shape is not None]


@pytest.mark.parametrize(("pack", "rule"), SHAPED, ids=[f"{pack}.{rule.id}" for pack, rule in SHAPED])
def test_shape_matches_wherever_the_pattern_does(pack, rule):
    """A rule's ``shape`` is a necessary condition of its pattern on ASCII texts, or the prefilter
    would lose findings: checked on the rule's examples and on thousands of random variations of
    them (characters replaced, inserted or deleted, drawn from digits, letters and separators),
    of which many still match the pattern."""
    import random

    from detectors.pattern import text_shape, utf8
    compiled = CompiledRule.build(rule, pack)
    rnd = random.Random(11)
    pool = " \t\n-./:,#>?0123456789aAfFzZ"
    texts = [*rule.examples.match, *rule.examples.no_match]
    for example in rule.examples.match:
        for _ in range(400):
            chars = list(example)
            for _ in range(rnd.randint(1, 3)):
                k = rnd.randrange(len(chars) + 1)
                op = rnd.random()
                if op < 0.6 and k < len(chars):
                    chars[k] = rnd.choice(pool)
                elif op < 0.8:
                    chars.insert(k, rnd.choice(pool))
                elif k < len(chars):
                    del chars[k]
            texts.append("".join(chars))
    matched = [t for t in texts if t.isascii() and compiled.rx.search(t)]
    assert len(matched) > len(rule.examples.match)
    missed = [t for t in matched if compiled.shape.search(text_shape(utf8(t))) is None]
    assert not missed, f"{pack}.{rule.id}: shape misses {missed[:5]}"
    # the digit-run gate the detector derives from the shape is a necessary condition too
    run = b"0" * _required_zero_run(compiled.shape.pattern)
    short = [t for t in matched if run not in text_shape(utf8(t))]
    assert not short, f"{pack}.{rule.id}: digit-run gate {len(run)} misses {short[:5]}"


@pytest.mark.parametrize(("shape", "run"), [
    (b"000000-0000000", 7), (b"00000000000000000[0a]", 17), (b"aaaa000000aaaaaa", 6),
    (b"000[ -]?000[ -]?000", 3), (b"00000000-?a", 8), (b"0000+", 3), (b"0{1,3}", 0), (b":[0a]{0,4}:", 0), (b"a{2}000000", 6),
    (b"[0a]{12}", 0), (b"(?:00000000)?0", 1), (b"000|00000000", 0), (b"\\.000000", 0),
])
def test_required_zero_run_reads_shapes_conservatively(shape, run):
    assert _required_zero_run(shape) == run


def test_literal_shapes_are_tested_with_in():
    assert _is_literal(b"000000-0000000") and _is_literal(b"aa 00")
    assert not any(map(_is_literal, (b"0{3}", b"0[ -]0", b"a?0", b"0\\.0", b"(0)", b"0|a", b"0.0")))


def test_shape_prefilter_keeps_non_ascii_texts():
    """Shapes are tested on ASCII texts only: '\\d' also matches other scripts' digits."""
    det = PatternDetector.builtin()
    text = "ssn \u0661\u0662\u0663-45-6789 and 123456789"
    ssn = next(i for i, r in enumerate(det.rules) if r.detector_id == "ids.us_ssn")
    assert det._features(text).key >> ssn & 1
    assert not det._features(text.replace("\u0661\u0662\u0663", "abc")).key >> ssn & 1


def test_bits_lists_set_bits_lowest_first():
    import random

    from detectors.pattern import _bits
    for mask in [0, 1, 2, 3, 1 << 70, *(random.Random(3).getrandbits(80) for _ in range(200))]:
        assert _bits(mask) == [i for i in range(mask.bit_length()) if mask >> i & 1]


@functools.cache
def _builtin() -> PatternDetector:
    return PatternDetector.builtin()


def _labels(text: str) -> list[tuple[str, str]]:
    """(value, entity) of the builtin packs' findings, overlaps resolved."""
    from detectors.resolve import resolve
    found = resolve(_builtin().detect(text, time.monotonic() + 5))
    return [(text[f.start:f.end], f.entity) for f in found]


@pytest.mark.parametrize(("text", "expected"), [
    # the label before a value names it, even when the next value's label is nearer after it
    ("My passport number is X1234567 and driver's license D123-4567-8901",
     [("X1234567", "US_PASSPORT"), ("D123-4567-8901", "US_DRIVER_LICENSE")]),
    ("driver's license 123456789, passport 987654321",
     [("123456789", "US_DRIVER_LICENSE"), ("987654321", "US_PASSPORT")]),
    ("passport or licence? licence 123456789", [("123456789", "US_DRIVER_LICENSE")]),
    ("license 123456789 (not my passport)", [("123456789", "US_DRIVER_LICENSE")]),
])
def test_nearest_context_word_decides_between_rules_sharing_a_span(text, expected):
    assert _labels(text) == expected


def test_context_distance_prefers_a_word_before_the_span():
    rule = next(r for r in _builtin().rules if r.detector_id == "ids.us_passport")
    text = "passport number is X1234567 and passport"
    lower = lower_same_length(text)
    start = text.index("X1234567")
    # 'passport number' is one of its context words: the gap is from its end
    assert rule.context_distance(lower, start, start + 8) == (0, len(" is "))
    text = "X1234567 is my passport"
    assert rule.context_distance(lower_same_length(text), 0, 8) == (1, len(" is my "))
    assert rule.context_distance("x1234567 and more", 0, 8) == (2, 0)


def test_settling_shared_spans_is_the_same_in_batch_and_per_text():
    det = _builtin()
    texts = ["My passport number is X1234567 and driver's license D123-4567-8901",
             "driver's license 123456789, passport 987654321", "passport 123456789", "nothing"]
    far = time.monotonic() + 10
    assert det.detect_batch(texts, [far] * len(texts)) == [det.detect(t, far) for t in texts]


@pytest.mark.parametrize(("text", "expected"), [
    ("your account 48291034 has been updated", [("48291034", "US_BANK_NUMBER")]),
    ("account number: 000123456789", [("000123456789", "US_BANK_NUMBER")]),
    ("acct no 12345678", [("12345678", "US_BANK_NUMBER")]),
    ("account 4111 1111 1111 1111", [("4111 1111 1111 1111", "CREDIT_CARD")]),
    ("account 4111111111111111", [("4111111111111111", "CREDIT_CARD")]),
    ("routing number 011000015 for my account", [("011000015", "ABA_ROUTING_NUMBER")]),
    ("account DE89370400440532013000", [("DE89370400440532013000", "IBAN_CODE")]),
    ("order 12345678 on my account", []),
    ("ticket 48291034, invoice 99120034, tracking 77712345 for the account", []),
    ("account balance $12,345,678.00", []),
    ("send btc to 1BoatSLRHtKNngkdXEeobR76b53LETtpyT please", [("1BoatSLRHtKNngkdXEeobR76b53LETtpyT", "CRYPTO")]),
    ("my wallet bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", [("bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", "CRYPTO")]),
    ("eth address 0x52908400098527886E0F7030069857D2E4169EE7",
     [("0x52908400098527886E0F7030069857D2E4169EE7", "CRYPTO")]),
    ("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", [("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "CRYPTO")]),
    ("error code 0x52908400098527886e0f7030069857d2e4169ee7 in the log", []),
    ("log in with username kuhlman_88 and password Xk#92!lmQ",
     [("kuhlman_88", "USERNAME"), ("Xk#92!lmQ", "PASSWORD")]),
    ("user jsmith1987 logged in from the office", [("jsmith1987", "USERNAME")]),
    ("my password is hunter2!", [("hunter2", "PASSWORD")]),
    ("the user logged in", []),
    ("click the password reset link", []),
    ("type it in the username field", []),
    ("MRN 00482913", [("00482913", "MEDICAL_RECORD_NUMBER")]),
    ("medical record number 4821-993", [("4821-993", "MEDICAL_RECORD_NUMBER")]),
    ("patient id: A-99231", [("A-99231", "MEDICAL_RECORD_NUMBER")]),
    ("member ID W123456789", [("W123456789", "ACCOUNT_ID")]),
    ("postcode LS1 4AP", [("LS1 4AP", "POSTAL_CODE")]),
    ("my postal code is K1A 0B1", [("K1A 0B1", "POSTAL_CODE")]),
    ("zip code 58732", []),
])
def test_coverage_of_accounts_wallets_credentials_records_and_postcodes(text, expected):
    assert _labels(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    # env files and compose files: names of several parts, or glued to the word
    ("MYSQL_ROOT_PASSWORD='r00t!Pass'", [("r00t!Pass", "PASSWORD")]),
    ("AWS_RDS_MASTER_PASSWORD=Rds!Master42", [("Rds!Master42", "PASSWORD")]),
    ("      POSTGRES_PASSWORD: 'pg-Pass-2024'", [("pg-Pass-2024", "PASSWORD")]),
    ("PGPASSWORD=pg_s3cret_77 psql -h db", [("pg_s3cret_77", "PASSWORD")]),
    ('"adminPassword": "Zx!90-lkj"', [("Zx!90-lkj", "PASSWORD")]),
    ("Server=tcp:db,1433;User ID=sa_app;Password=Qw3rty!23;Encrypt=True", [("Qw3rty!23", "PASSWORD")]),
    # XML config
    ("<password>M4v3nS3cret</password>", [("M4v3nS3cret", "PASSWORD")]),
    ('<add key="DbPassword" value="Xq9#mZ2p" />', [("Xq9#mZ2p", "PASSWORD")]),
    # not passwords: a working directory, settings about passwords
    ("sudo:   kpatel : TTY=pts/0 ; PWD=/home/kpatel ; USER=root ; COMMAND=/bin/ls", [("kpatel", "USERNAME")]),
    ("OLDPWD=/var/www/html", []),
    ("PASSWORD_MIN_LENGTH=12", []),
    ("MYSQL_RANDOM_ROOT_PASSWORD=yes", []),
    ("ALLOW_EMPTY_PASSWORD=enabled", []),
    ("<password>${env.NEXUS_PASSWORD}</password>", []),
    ('<add key="PasswordMinLength" value="12" />', []),
])
def test_passwords_in_config_dumps(text, expected):
    assert _labels(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("NEXT_PUBLIC_FIREBASE_API_KEY=9c1f5e2d7a8b4c3e6f0a1b2d3c4e5f6a", [("9c1f5e2d7a8b4c3e6f0a1b2d3c4e5f6a", "API_KEY")]),
    ("MY_SERVICE_AUTH_TOKEN: 'b7E2kQ9xLm4Pz8Rt1Wv6Yc3Nd5Hf0Jg'", [("b7E2kQ9xLm4Pz8Rt1Wv6Yc3Nd5Hf0Jg", "API_KEY")]),
    ("stripe.api_key = 'Zx81Kq0Lm3Np5Rt7Vw9Yb2Dc4Fg6Hj8'", [("Zx81Kq0Lm3Np5Rt7Vw9Yb2Dc4Fg6Hj8", "API_KEY")]),
    ("DATADOG_APP_KEY=4f0c1e9a8b7d6c5e4f3a2b1c0d9e8f7a6b5c4d3e", [("4f0c1e9a8b7d6c5e4f3a2b1c0d9e8f7a6b5c4d3e", "API_KEY")]),
    ("TOKEN_EXPIRY_SECONDS=3600", []),
    ("MY_APP_API_KEY=${MY_APP_API_KEY}", []),
    ("APP_KEY_ROTATION_DAYS=30", []),
])
def test_api_keys_under_env_names_of_several_parts(text, expected):
    assert _labels(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    # a password without a user name ('redis://:pw@host'): the whole URL, not an e-mail inside it
    ("REDIS_URL=redis://:s3cr3tP4ss@cache.local:6379/0", [("redis://:s3cr3tP4ss@cache.local:6379/0", "CREDENTIAL_URL")]),
    ("amqp://guest:guestPass99@rabbit:5672/", [("amqp://guest:guestPass99@rabbit:5672/", "CREDENTIAL_URL")]),
    ("STRIPE_WEBHOOK_SECRET=whsec_1lZp814HtFbtfeeHv0fG2xPVD8AfOTov", [("whsec_1lZp814HtFbtfeeHv0fG2xPVD8AfOTov", "API_KEY")]),
    ("signing secret whsec_1lZp814HtFbtfeeHv0fG2xPVD8AfOTov leaked", [("whsec_1lZp814HtFbtfeeHv0fG2xPVD8AfOTov", "API_KEY")]),
    ("see https://example.com:8443/docs for the redis://host:6379 setup", [("https://example.com:8443/docs", "URL")]),
    ("the whsec_ prefix marks webhook secrets", []),
])
def test_credential_urls_without_user_and_webhook_secrets(text, expected):
    assert _labels(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("level=warn msg=\"login failed\" user=bthompson attempts=3", [("bthompson", "USERNAME")]),
    ('{"event": "login", "user": "rwilliams"}', [("rwilliams", "USERNAME")]),
    ("uid=jsmith,ou=people,dc=example,dc=com", [("jsmith", "USERNAME")]),
    ("user_name: lchen", [("lchen", "USERNAME")]),
    ("sshd[2211]: Accepted password for mgarcia from the bastion", [("mgarcia", "USERNAME")]),
    ("Failed password for invalid user oracle7 from the internet", [("oracle7", "USERNAME")]),
    ("session opened for user tnguyen by (uid=0)", [("tnguyen", "USERNAME")]),
    ("sudo:   kpatel : TTY=pts/0 ; PWD=/home/kpatel ; USER=root ; COMMAND=/bin/ls", [("kpatel", "USERNAME")]),
    ("Access denied for user 'appuser'@'localhost'", [("appuser", "USERNAME")]),
    # chat transcripts, names, role and service accounts, ids
    ("User: how do I reset my password?", []),
    ('"user": "John Smith"', []),
    ("user=root db=orders", []),
    ("user=app", []),
    ("Invalid user postgres from the internet", []),
    ("uid=1000(jsmith) gid=1000", []),
    ("user_id=6f1c2e3a-9b8d-4c7e-a5f4-3b2a1c0d9e8f", []),
])
def test_usernames_in_log_lines(text, expected):
    assert _labels(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    # an address and port followed by punctuation, as logs write them
    ("[client 203.0.113.99:51234] AH01630: client denied", [("203.0.113.99", "IP_ADDRESS")]),
    ("brokers=10.0.0.7:9092,10.0.0.8:9092", [("10.0.0.7", "IP_ADDRESS"), ("10.0.0.8", "IP_ADDRESS")]),
    ("timed out connecting to 8.8.8.8:53.", [("8.8.8.8", "IP_ADDRESS")]),
    ("ratio 10.0.0.7:123456]", []),
    # Cisco's dotted MACs and bare 12 hex digits next to a MAC word
    ("switch port Gi0/1 learned 001a.2b3c.4d5e", [("001a.2b3c.4d5e", "MAC_ADDRESS")]),
    ("wlan0 mac=001A2B3C4D5E up", [("001A2B3C4D5E", "MAC_ADDRESS")]),
    ("build 2023.1011.1234 released", []),
    ("mac order 123456789013", []),
    ("commit 001a2b3c4d5e fixed it", []),
])
def test_network_addresses_in_logs(text, expected):
    assert _labels(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("my social security number is 123456780", [("123456780", "US_SSN")]),
    ("ticket 123456780 about my social security card", []),
    ('{"advertising_id": "38400000-8cf0-11bd-b23e-10b96e40000d"}', [("38400000-8cf0-11bd-b23e-10b96e40000d", "ADVERTISING_ID")]),
    ("advertising campaign 6D92078A-8246-4BA4-AE5B-76104861E7DC", []),
    ("my driving licence number is MORGA753116SM9IJ", [("MORGA753116SM9IJ", "US_DRIVER_LICENSE")]),
    ("MORGA753116SM9IJ", []),
])
def test_ids_with_their_cue_a_few_words_away(text, expected):
    assert _labels(text) == expected
