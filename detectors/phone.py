"""Phone numbers, national and international, validated with Google's libphonenumber metadata.

``PhoneNumberMatcher`` is accurate but slow (it tries every digit run against every pattern), so
this detector does the cheap part itself: a text with fewer than seven digits is skipped outright;
otherwise one bounded regex proposes phone-shaped candidates and only those go to
``phonenumbers.parse``. A candidate is accepted when:

* it starts with ``+`` or ``00`` and is a possible international number (valid scores higher);
* it is a valid North American number written with separators or parentheses;
* it is a bare run of 10-11 digits that is a valid NANP number *and* a phone word is near
  ('call', 'phone', 'cell', ...), and no id word ('order', 'ticket', ...) is right before it:
  a bare 10-digit id is not a phone;
* it has a national trunk prefix ('0...') or an area code in parentheses and is valid in one of
  a list of common regions, or a phone word is near and it is at least possible there.
"""
from __future__ import annotations

import re
import time
from collections.abc import Sequence

import phonenumbers
import regex
from phonenumbers import NumberParseException

from detectors.base import BudgetExceeded, Detector, FollowOnDetector
from detectors.finding import TIER_PATTERN, Finding
from detectors.pattern import TRUSTED_MAX_CHARS, utf8

_SEP = r"[\x20.\-\u00a0]"
_CANDIDATE = regex.compile(
    r"(?=[+(\d])"  # a cheap first test lets the engine skip ahead (measured: -20% scan time)
    r"(?<![\w/.:$#@+])(?<!\d[,-])"
    r"(?=(?:[\x20.\-\u00a0()+]{0,3}\d){7})"  # at least seven digits ahead, separators only
    r"(?:(?:\+|(?<!\d)00)\x20?\d{1,3}" + _SEP + r"{0,2}(?:\(0\)" + _SEP + r"{0,2})?)?"
    r"(?:\(\d{1,5}\)" + _SEP + r"{0,2})?"
    r"\d{1,14}+"
    r"(?:" + _SEP + r"{1,2}\d{1,14}+){0,6}"
    r"(?:\x20{0,2}(?:x|ext\.?|extension)\x20{0,2}\d{1,6})?"
    r"(?![\w]|[.\-/,]\d)"
)
_GROUP = regex.compile(r"\d+")
_EXT = regex.compile(r"\x20{0,2}(?:x|ext\.?|extension)\x20{0,2}\d{1,6}$")
_DATE_SHAPE = regex.compile(r"^(?:\d{4}[\-./]\d{1,2}[\-./]\d{1,2}|\d{1,2}[\-./]\d{1,2}[\-./](?:\d{4}|\d{2}))$")
_NANP_SHAPE = regex.compile(r"^(?:\+?1[\x20.\-]?)?(?:\(\d{3}\)\x20?|\d{3}[\x20.\-])\d{3}[\x20.\-]\d{4}$")

_CONTEXT = regex.compile(
    r"(?<![a-z])(?:phone|phones|call|called|calling|caller|callback|tel|telephone|mobile|cell|cellphone|"
    r"text|texted|sms|reach|contact|fax|whatsapp|dial|ring|spam|hotline|ph|mob|number|landline|voicemail|"
    r"office|home|work|tél|telefon|telefono|teléfono|answering|answer|answers|reach|mobile|tel\.|whatsapp|signal)(?![a-z])")
_NEGATIVE = regex.compile(
    r"(?<![a-z])(?:ticket|order|case|invoice|account|acct|tracking|track|ref|reference|confirmation|id|po|"
    r"sku|serial|transaction|receipt|customer|member|policy|claim|booking|reservation|routing|iban|card|"
    r"ssn|social|zip|isbn|pnr|part|model|version|build|code|pin|otp|amount|total|balance|usd|eur|"
    r"mrn|record|patient|chart|subscriber|membership|passport|license|licence)(?![a-z])")

# Regions tried for national-format numbers ('0650 995 04 94', '079 7602 9803'), most common first.
_REGIONS = ("GB", "DE", "FR", "IT", "ES", "NL", "BE", "AT", "CH", "IE", "AU", "NZ", "IN", "BR", "MX",
            "SE", "NO", "DK", "FI", "PL", "PT", "CZ", "GR", "IL", "ZA", "JP", "KR", "RU", "TR", "AR")
_DIGIT_BYTES = b"0123456789"
_FIRST_DIGIT = re.compile(r"[0-9]")
_WINDOW = 40


class PhoneDetector(Detector):
    id = "phone"
    cost = 2

    def __init__(self) -> None:
        # libphonenumber loads region metadata lazily; loading it inside the first text's time
        # budget would fail that text closed.
        for region in ("US",) + _REGIONS:
            _parse("0", region)
            try:
                phonenumbers.is_valid_number(phonenumbers.parse("2015550123", region))
            except NumberParseException:
                pass
        phonenumbers.is_valid_number(phonenumbers.parse("+442079460958", None))

    @property
    def entities(self) -> frozenset[str]:
        return frozenset({"PHONE_NUMBER"})

    def detect(self, text: str, deadline: float) -> list[Finding]:
        matches = self._candidates(text, deadline)
        return self._validate(text, matches) if matches else []

    def detect_batch(self, texts: Sequence[str], deadlines: Sequence[float]) -> list[list[Finding] | BaseException]:
        """Candidates for the whole batch first, then their validation: one regex over many texts
        in a row runs faster than interleaved with libphonenumber (CPU caches stay warm)."""
        found: list = []
        for text, deadline in zip(texts, deadlines):
            try:
                found.append(self._candidates(text, deadline))
            except Exception as exc:  # noqa: BLE001 - isolated per text
                found.append(exc)
        out: list[list[Finding] | BaseException] = []
        for text, matches in zip(texts, found):
            if not matches or isinstance(matches, BaseException):
                out.append(matches)
                continue
            try:
                out.append(self._validate(text, matches))
            except Exception as exc:  # noqa: BLE001
                out.append(exc)
        return out

    @staticmethod
    def _candidates(text: str, deadline: float) -> list:
        raw = utf8(text)  # ASCII digits counted on bytes: 5x faster than on str
        if len(raw) - len(raw.translate(None, _DIGIT_BYTES)) < 7:
            return []
        # A candidate starts at a digit or at the '+' / '(' just before it.
        pos = max(0, _FIRST_DIGIT.search(text).start() - 2)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise BudgetExceeded
        if len(text) <= TRUSTED_MAX_CHARS:  # bounded regex, see tests/detectors/test_phone.py
            first = _CANDIDATE.search(text, pos)
            if first is None:
                return []
            # most texts hold one candidate: a failed search is cheaper than an iterator
            if _CANDIDATE.search(text, first.end()) is None:
                return [first]
            return [first, *_CANDIDATE.finditer(text, first.end())]
        try:
            return list(_CANDIDATE.finditer(text, pos, timeout=remaining))
        except TimeoutError:
            raise BudgetExceeded from None

    def _validate(self, text: str, matches: list) -> list[Finding]:
        out: list[Finding] = []
        self._text, self._lower = text, None
        for m in matches:
            cand = m.group()
            if cand.isdigit():
                if not 10 <= len(cand) <= 11:
                    continue  # a bare run of digits is a phone number only as a NANP number
                found = self._best(m.start(), cand) if cand.startswith("00") else self._bare(m.start(), cand)
            else:
                found = self._best(m.start(), cand)
            if found:
                out.append(found)
        return out

    def _bare(self, start: int, cand: str) -> Finding | None:
        """What ``_best`` makes of a bare run of 10-11 digits (one group, no separator, no
        international prefix), without its general machinery: a valid NANP number with a phone
        word near and no id word right before it."""
        self._ctx_cache = None
        end = start + len(cand)
        if _nanp_valid(cand) and self._ctx(start, end) and not self._neg(start):
            return Finding(start, end, "PHONE_NUMBER", 0.75, self.id, TIER_PATTERN)
        return None

    _text: str = ""
    _lower: str | None = None

    def _lowered(self) -> str:
        """The lower-cased text being validated, made on first need: most candidates are
        rejected on their shape alone (dates, versions, card numbers)."""
        if self._lower is None:
            self._lower = self._text.lower()
        return self._lower

    def _best(self, start: int, cand: str) -> Finding | None:
        """The longest leading run of digit groups of ``cand`` that is a phone number."""
        ext = _EXT.search(cand) if "x" in cand or "e" in cand else None
        core = cand[:ext.start()] if ext else cand
        found = list(_GROUP.finditer(core))
        groups = [g.group() for g in found]
        if len(groups) >= 4 and all(len(g) == 4 for g in groups) and core[0] != "+":
            return None  # card numbers and IBANs in groups of four
        ends = [g.end() for g in found]
        self._ctx_cache = None
        ndig = sum(map(len, groups))
        for n in range(len(groups), 0, -1):
            if n < len(groups):
                ndig -= len(groups[n])
            if ndig < 7:
                break
            if ndig > 15:
                continue
            end = ends[n - 1]
            span_end = start + (len(cand) if ext and n == len(groups) else end)
            score = self._score(start, span_end, core[:end], groups[:n])
            if score:
                return Finding(start, span_end, "PHONE_NUMBER", score, self.id, TIER_PATTERN)
        return None

    def _score(self, start: int, end: int, piece: str, groups: list[str]) -> float:
        intl = piece[0] == "+" or piece.startswith("00")
        parens = "(" in piece
        seps = len(groups) > 1 or parens
        digits = "".join(groups)
        if intl:
            num = _parse("+" + piece[2:] if piece[0] == "0" else piece, None)
            if num is None:
                return 0.0
            if phonenumbers.is_valid_number(num):
                return 0.6 if self._neg(start) else 0.95
            if phonenumbers.is_possible_number(num) and len(groups) > 1:
                return 0.7 if self._ctx(start, end) else 0.6
            return 0.0
        lens = list(map(len, groups))
        # Version strings, IPs and decimals: single-digit groups, dotted quads, dates.
        if 1 in lens[1:] or (lens[0] == 1 and groups[0] != "1" and len(lens) > 1):
            return 0.0
        if "." in piece and len(lens) == 4 and max(lens) <= 3:
            return 0.0
        if not seps:
            # A bare run of digits is a phone number only with a phone word near and no id word.
            if _nanp_valid(digits) and self._ctx(start, end) and not self._neg(start):
                return 0.75
            return 0.0
        if _DATE_SHAPE.match(piece):
            return 0.0
        if _nanp_valid(digits):
            if _NANP_SHAPE.match(piece):
                ctx = self._ctx(start, end)
                if ctx:
                    return 0.95
                return 0.5 if self._neg(start) else 0.85
            if self._ctx(start, end):
                return 0.5 if self._neg(start) else 0.9
        trunk = digits[0] == "0" or parens
        ctx = None
        if not trunk:
            ctx = self._ctx(start, end)
            if not ctx:
                return 0.0
        if self._neg(start):
            return 0.0
        for region in _regions_for(digits):
            num = _parse(piece, region)
            if num is not None and phonenumbers.is_valid_number_for_region(num, region):
                if ctx is None:
                    ctx = self._ctx(start, end)
                return 0.8 if ctx else 0.6
        if ctx is None:
            ctx = self._ctx(start, end)
        if ctx:
            for region in ("US",) + _REGIONS[:8]:
                num = _parse(piece, region)
                if num is not None and phonenumbers.is_possible_number(num):
                    return 0.5
        return 0.0

    _ctx_cache: tuple[int, bool] | None = None

    def _ctx(self, start: int, end: int) -> bool:
        """A phone word within the window before ``start`` or after ``end`` (memoised for the
        candidate being examined: its shorter prefixes share the window before it)."""
        lower = self._lowered()
        cached = self._ctx_cache
        if cached is not None and cached[0] == start:
            before = cached[1]
        else:
            before = _CONTEXT.search(lower, max(0, start - _WINDOW), start) is not None
            self._ctx_cache = (start, before)
        return before or _CONTEXT.search(lower, end, end + _WINDOW) is not None

    def _neg(self, start: int) -> bool:
        """An id word ('order', 'ticket', ...) right before ``start``."""
        return _NEGATIVE.search(self._lowered(), max(0, start - 24), start) is not None


# A bare 10-11 digit run right after a name: a space or two, optionally after ',', ':' or ' -'.
_AFTER_NAME = regex.compile(r"(?:,|:|\x20-)?[\x20\t]{1,3}(\d{10,11})(?![\w]|[.,\-/]\d)")
_NAME_SCORE_MIN = 0.5


class PhoneAfterNameDetector(FollowOnDetector):
    """A bare valid NANP number right after a person's name is a phone number: 'Robert Hayden
    5033608989', 'mark t. obrien 9015819419', the people-search query of AOL-style logs.

    ``PhoneDetector`` takes a bare run of 10-11 digits only with a phone word near, because a
    bare id is no phone ('ticket number is 8034133096', 'order 144764370'); a name right before
    the number is the missing evidence. Which words are a name is the name detectors' business,
    so this detector reads their PERSON findings (``sees_prior``) instead of judging names
    itself: it must run after the name gazetteer and NER (``cost`` 110 > 100), and sees nothing
    when neither is in the stack (``detect`` alone, without prior findings, finds nothing).
    A name counts when its span holds two to four words and no digit; an id word right before
    the name ('order John Smith 5033608989') cancels it.
    """

    id = "phone_after_name"

    @property
    def entities(self) -> frozenset[str]:
        return frozenset({"PHONE_NUMBER"})

    def anchors(self, found: Sequence[Finding]) -> list[Finding]:
        return [f for f in found if f.entity == "PERSON" and f.score >= _NAME_SCORE_MIN]

    def find_after(self, text: str, names: list[Finding]) -> list[Finding]:
        out: list[Finding] = []
        for name in names:
            if not text[name.end:name.end + 6].lstrip(",:- \t")[:1].isdigit():
                continue  # the common case, decided without a regex call
            m = _AFTER_NAME.match(text, name.end)
            if m is None or any(f.start == m.start(1) for f in out) or not _name_shaped(text[name.start:name.end]):
                continue
            if _nanp_valid(m.group(1)) and _NEGATIVE.search(text.lower(), max(0, name.start - 24), name.start) is None:
                out.append(Finding(m.start(1), m.end(1), "PHONE_NUMBER", 0.75, self.id, TIER_PATTERN))
        return out


def _name_shaped(span: str) -> bool:
    """Two to four words and no digit: 'Robert Hayden', 'mark t. obrien'."""
    return 2 <= len(span.split()) <= 4 and not any(c.isdigit() for c in span)


def _region_lengths() -> dict[str, tuple[str, frozenset[int]]]:
    out = {}
    for region in _REGIONS:
        md = phonenumbers.PhoneMetadata.metadata_for_region(region)
        out[region] = (md.national_prefix or "", frozenset(md.general_desc.possible_length))
    return out


_REGION_LENGTHS = _region_lengths()


def _regions_for(digits: str) -> list[str]:
    """Regions of ``_REGIONS`` where a national number of this many digits is possible, so that
    ``phonenumbers.parse`` (~20 us) runs only where it can succeed."""
    n = len(digits)
    out = []
    for region, (prefix, lengths) in _REGION_LENGTHS.items():
        nsn = n - len(prefix) if prefix and digits.startswith(prefix) else n
        if nsn in lengths:
            out.append(region)
    return out


_NANP_MEMO: dict[str, bool] = {}


def _nanp_valid(digits: str) -> bool:
    """A valid US or Canadian number (10 digits, or 11 with the leading 1).

    libphonenumber's NANP patterns decide validity on the area code and exchange (the first six
    national digits; the last four are free), so the verdict is memoised on those six digits:
    ``is_valid_number`` costs ~10 us, this ~0.2 us."""
    if len(digits) == 11 and digits[0] == "1":
        digits = digits[1:]
    if len(digits) != 10 or digits[0] in "01" or digits[3] in "01":
        return False
    key = digits[:6]
    ok = _NANP_MEMO.get(key)
    if ok is None:
        num = phonenumbers.PhoneNumber(country_code=1, national_number=int(key + "2345"))
        ok = (phonenumbers.is_valid_number_for_region(num, "US")
              or phonenumbers.is_valid_number_for_region(num, "CA"))
        if len(_NANP_MEMO) > 200_000:
            _NANP_MEMO.clear()
        _NANP_MEMO[key] = ok
    return ok


def _parse(s: str, region: str | None):
    try:
        return phonenumbers.parse(s, region)
    except NumberParseException:
        return None
