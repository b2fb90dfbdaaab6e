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

import time

import phonenumbers
import regex
from phonenumbers import NumberParseException

from detectors.base import BudgetExceeded, Detector
from detectors.finding import TIER_PATTERN, Finding

_SEP = r"[\x20.\-\u00a0]"
_CANDIDATE = regex.compile(
    r"(?<![\w/.:$#@+,-])"
    r"(?:(?:\+|(?<!\d)00)\x20?\d{1,3}" + _SEP + r"{0,2}(?:\(0\)" + _SEP + r"{0,2})?)?"
    r"(?:\(\d{1,5}\)" + _SEP + r"{0,2})?"
    r"\d{1,14}+"
    r"(?:" + _SEP + r"{1,2}\d{1,14}+){0,6}"
    r"(?:\x20{0,2}(?:x|ext\.?|extension)\x20{0,2}\d{1,6})?"
    r"(?![\w]|[.\-/,]\d)"
)
_GROUP = regex.compile(r"\d+")
_EXT = regex.compile(r"\x20{0,2}(?:x|ext\.?|extension)\x20{0,2}\d{1,6}$")
_NANP_SHAPE = regex.compile(r"^(?:\+?1[\x20.\-]?)?(?:\(\d{3}\)\x20?|\d{3}[\x20.\-])\d{3}[\x20.\-]\d{4}$")

_CONTEXT = regex.compile(
    r"(?<![a-z])(?:phone|phones|call|called|calling|caller|callback|tel|telephone|mobile|cell|cellphone|"
    r"text|texted|sms|reach|contact|fax|whatsapp|dial|ring|spam|hotline|ph|mob|number|landline|voicemail|"
    r"office|home|work|tél|telefon|telefono|teléfono)(?![a-z])")
_NEGATIVE = regex.compile(
    r"(?<![a-z])(?:ticket|order|case|invoice|account|acct|tracking|track|ref|reference|confirmation|id|po|"
    r"sku|serial|transaction|receipt|customer|member|policy|claim|booking|reservation|routing|iban|card|"
    r"ssn|social|zip|isbn|pnr|part|model|version|build|code|pin|otp|amount|total|balance|usd|eur)(?![a-z])")

# Regions tried for national-format numbers ('0650 995 04 94', '079 7602 9803'), most common first.
_REGIONS = ("GB", "DE", "FR", "IT", "ES", "NL", "BE", "AT", "CH", "IE", "AU", "NZ", "IN", "BR", "MX",
            "SE", "NO", "DK", "FI", "PL", "PT", "CZ", "GR", "IL", "ZA", "JP", "KR", "RU", "TR", "AR")
_DIGITS = "0123456789"
_WINDOW = 40


class PhoneDetector(Detector):
    id = "phone"
    cost = 2

    @property
    def entities(self) -> frozenset[str]:
        return frozenset({"PHONE_NUMBER"})

    def detect(self, text: str, deadline: float) -> list[Finding]:
        if sum(map(text.count, _DIGITS)) < 7:
            return []
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise BudgetExceeded
        try:
            matches = list(_CANDIDATE.finditer(text, timeout=remaining))
        except TimeoutError:
            raise BudgetExceeded from None
        out: list[Finding] = []
        lower = None
        for m in matches:
            cand = m.group()
            if sum(map(cand.count, _DIGITS)) < 7:
                continue
            if lower is None:
                lower = text.lower()
            found = self._best(text, lower, m.start(), cand)
            if found:
                out.append(found)
        return out

    def _best(self, text: str, lower: str, start: int, cand: str) -> Finding | None:
        """The longest leading run of digit groups of ``cand`` that is a phone number."""
        ext = _EXT.search(cand)
        core = cand[:ext.start()] if ext else cand
        groups = list(_GROUP.finditer(core))
        for n in range(len(groups), 0, -1):
            end = groups[n - 1].end()
            piece = core[:end]
            if n < len(groups) or not ext:
                span_end = start + end
            else:
                span_end = start + len(cand)
            ndig = sum(len(g.group()) for g in groups[:n])
            if ndig < 7:
                break
            if ndig > 15:
                continue
            score = self._score(text, lower, start, span_end, piece, groups[:n])
            if score:
                return Finding(start, span_end, "PHONE_NUMBER", score, self.id, TIER_PATTERN)
        return None

    def _score(self, text: str, lower: str, start: int, end: int, piece: str, groups: list) -> float:
        lo, hi = max(0, start - _WINDOW), min(len(text), end + _WINDOW)
        intl = piece.startswith("+") or piece.startswith("00")
        seps = len(groups) > 1 or "(" in piece
        lens = [len(g.group()) for g in groups]
        first = groups[0].group()
        if not intl:
            # Version strings, IPs and decimals: single-digit groups, dotted quads.
            if any(x == 1 for x in lens[1:]) or (lens[0] == 1 and first != "1" and len(lens) > 1):
                return 0.0
            if "." in piece and len(lens) == 4 and all(x <= 3 for x in lens):
                return 0.0
        ctx = _CONTEXT.search(lower, lo, start) is not None or _CONTEXT.search(lower, end, hi) is not None
        neg = _NEGATIVE.search(lower, max(0, start - 24), start) is not None
        if intl:
            num = _parse("+" + piece[2:] if piece.startswith("00") else piece, None)
            if num is None:
                return 0.0
            if phonenumbers.is_valid_number(num):
                return 0.95 if not neg else 0.6
            if phonenumbers.is_possible_number(num) and len(lens) > 1:
                return 0.7 if ctx else 0.6
            return 0.0
        num = _parse(piece, "US")
        if num is not None and phonenumbers.is_valid_number(num):
            if seps and (_NANP_SHAPE.match(piece) or ctx):
                return 0.5 if neg and not ctx else (0.95 if ctx else 0.85)
            if not seps:
                return 0.75 if ctx and not neg else 0.0
        if neg or not seps:
            return 0.0
        trunk = first.startswith("0") or "(" in piece
        if not (trunk or ctx):
            return 0.0
        for region in _REGIONS:
            num = _parse(piece, region)
            if num is not None and phonenumbers.is_valid_number(num):
                return 0.8 if ctx else 0.6
        if ctx and num is not None:
            for region in ("US",) + _REGIONS[:8]:
                num = _parse(piece, region)
                if num is not None and phonenumbers.is_possible_number(num):
                    return 0.5
        return 0.0


def _parse(s: str, region: str | None):
    try:
        return phonenumbers.parse(s, region)
    except NumberParseException:
        return None
