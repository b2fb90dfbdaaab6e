"""The pattern detector: runs the rules of one or more packs with prefilters, validators and
context scoring.

Speed comes from not running most rules at all: a rule whose keywords are absent or that needs
more digits than the text holds is skipped before its regex is touched. Safety comes from the
``regex`` module's per-call timeout, set to what is left of the text's budget: a pathological
input raises ``BudgetExceeded`` and the text fails closed (Presidio skips the recognizer and lets
the text through; we never do).
"""
from __future__ import annotations

import time
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import regex

from detectors.base import BudgetExceeded, Detector
from detectors.finding import Finding
from detectors.pack import TIERS, Pack, Rule, builtin_pack_paths, load_pack
from detectors.validators import Validator, get_validator

_DIGIT_CHARS = "0123456789"
_DIGIT_DELETE = str.maketrans("", "", _DIGIT_CHARS)
_HAS_DIGIT = regex.compile(r"[0-9]")


def lower_same_length(text: str) -> str:
    """``text.lower()`` with offsets preserved: a few characters (e.g. 'İ') lower to two code
    points, which would shift every context window after them; those are left as they are."""
    lower = text.lower()
    if len(lower) == len(text):
        return lower
    return "".join(low if len(low) == 1 else ch for ch, low in ((c, c.lower()) for c in text))


def _word_alternation(words: Iterable[str]) -> regex.Pattern | None:
    words = sorted({w.lower() for w in words}, key=len, reverse=True)
    if not words:
        return None
    return regex.compile(r"(?<![a-z0-9])(?:" + "|".join(regex.escape(w) for w in words) + r")(?![a-z0-9])")


# The regex module's per-call ``timeout`` costs ~5 us per call, more than most of our matches.
# Builtin rules are proven bounded by tests/detectors/test_packs.py (adversarial inputs far longer
# than this), so on texts up to this length they run without it; the deadline is still checked
# before every rule. User rules, and longer texts, always get the per-call timeout.
TRUSTED_MAX_CHARS = 4096


def _builtin_signatures() -> frozenset[tuple[str, str, str, bool]]:
    sigs = set()
    for path in builtin_pack_paths():
        pack = load_pack(path)
        sigs.update((pack.pack, r.id, r.pattern, r.ignore_case) for r in pack.rules)
    return frozenset(sigs)


_BUILTIN: frozenset | None = None


def is_builtin_rule(rule: Rule, pack: str) -> bool:
    """True when the rule's regex is exactly one of the builtin packs' (tested) regexes."""
    global _BUILTIN
    if _BUILTIN is None:
        _BUILTIN = _builtin_signatures()
    return (pack, rule.id, rule.pattern, rule.ignore_case) in _BUILTIN


def _digit_led(pattern: str) -> bool:
    """Whether every match of ``pattern`` must start with a digit, judged conservatively from its
    text: after inline flags, ``\\b`` and look-behinds, the first item is ``\\d``. Such rules are
    searched from the text's first digit on (look-behinds still see what comes before)."""
    i, n = 0, len(pattern)
    verbose = False
    m = regex.match(r"\(\?([a-zA-Z]+)\)", pattern)
    if m:
        verbose = "x" in m.group(1)
        i = m.end()
    while i < n:
        if verbose and pattern[i].isspace():
            i += 1
        elif pattern.startswith("\\b", i):
            i += 2
        elif pattern.startswith("(?<!", i) or pattern.startswith("(?<=", i):
            depth, j = 0, i
            while j < n:
                ch = pattern[j]
                if ch == "\\":
                    j += 2
                    continue
                if ch == "[":  # skip a character class, where parentheses are literal
                    j += 1
                    if j < n and pattern[j] == "]":
                        j += 1
                    while j < n and pattern[j] != "]":
                        j += 2 if pattern[j] == "\\" else 1
                elif ch == "(":
                    depth += 1
                elif ch == ")":
                    depth -= 1
                    if depth == 0:
                        break
                j += 1
            if j >= n:
                return False
            i = j + 1
        else:
            break
    return pattern.startswith("\\d", i) or (i < n and pattern[i] in "0123456789")


@dataclass
class CompiledRule:
    rule: Rule
    pack: str
    rx: regex.Pattern
    keywords: tuple[str, ...]
    validator: Validator | None
    context: regex.Pattern | None
    negative: regex.Pattern | None
    tier: int
    trusted: bool = False
    context_words: frozenset[str] = frozenset()
    negative_words: frozenset[str] = frozenset()
    detector_id: str = ""
    digit_led: bool = False

    @classmethod
    def build(cls, rule: Rule, pack: str) -> "CompiledRule":
        flags = regex.IGNORECASE if rule.ignore_case else 0
        try:
            rx = regex.compile(rule.pattern, flags)
        except regex.error as exc:
            raise ValueError(f"rule {rule.id}: bad pattern: {exc}") from None
        if rule.group and rule.group not in rx.groupindex:
            raise ValueError(f"rule {rule.id}: pattern has no group named {rule.group!r}")
        return cls(rule=rule, pack=pack, rx=rx,
                   keywords=tuple(k.lower() for k in rule.keywords),
                   validator=get_validator(rule.validator) if rule.validator else None,
                   context=_word_alternation(rule.context),
                   negative=_word_alternation(rule.negative_context),
                   tier=TIERS[rule.tier],
                   trusted=is_builtin_rule(rule, pack),
                   context_words=frozenset(w.lower() for w in rule.context),
                   negative_words=frozenset(w.lower() for w in rule.negative_context),
                   detector_id=f"{pack}.{rule.id}",
                   digit_led=_digit_led(rule.pattern))

    def applies(self, lower: str, ndigits: int) -> bool:
        if ndigits < self.rule.min_digits:
            return False
        return not self.keywords or any(k in lower for k in self.keywords)

    def findings(self, text: str, lower: str, deadline: float,
                 present: set[str] | frozenset[str] | None = None, first_digit: int = 0) -> list[Finding]:
        """Findings of this rule in ``text``. ``present``, when given, holds every keyword and
        context word of the detector that occurs in the text (as a substring): context windows
        are searched only for words that occur somewhere at all. ``first_digit``, when given, is
        the index of the text's first digit: rules whose matches start with a digit begin there."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise BudgetExceeded
        if self.trusted and len(text) <= TRUSTED_MAX_CHARS:
            # ``search`` first: most calls find nothing, and a failed search costs less than
            # building an iterator and a list.
            m = self.rx.search(text, first_digit if self.digit_led else 0)
            if m is None:
                return []
            matches = [m, *self.rx.finditer(text, m.end() if m.end() > m.start() else m.end() + 1)] \
                if m.end() < len(text) else [m]
        else:
            try:
                matches = list(self.rx.finditer(text, first_digit if self.digit_led else 0, timeout=remaining))
            except TimeoutError:
                raise BudgetExceeded from None
        if not matches:
            return []
        rule = self.rule
        group = rule.group
        validator = self.validator
        if present is None:
            negative: regex.Pattern | tuple[str, ...] | None = self.negative
            context: regex.Pattern | tuple[str, ...] | None = self.context
        else:
            # Only the context words that occur in the text at all are looked for, with
            # ``str.find`` (see ``_near``); most texts hold none of a rule's context words.
            negative = tuple(self.negative_words.intersection(present)) if self.negative is not None else None
            context = tuple(self.context_words.intersection(present)) if self.context is not None else None
        out = []
        for m in matches:
            start, end = m.span(group) if group else m.span()
            if start < 0 or start == end:
                continue
            if validator is not None and not validator(text[start:end]):
                continue
            score = self._score(lower, start, end, negative, context)
            if score > 0:
                out.append(Finding(start, end, rule.entity, score, self.detector_id, self.tier))
        return out

    def _score(self, lower: str, start: int, end: int, negative, context) -> float:
        rule = self.rule
        if negative or context:
            lo, hi = max(0, start - rule.context_window), end + rule.context_window
            if negative and _near(lower, negative, lo, start, end, hi):
                return rule.negative_score
            if context and _near(lower, context, lo, start, end, hi):
                return rule.context_score if rule.context_score is not None else min(1.0, rule.score + 0.3)
        return 0.0 if rule.requires_context else rule.score


_WORD_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")


def _near(lower: str, words, lo: int, start: int, end: int, hi: int) -> bool:
    """Whether one of ``words`` (a compiled ``_word_alternation`` or a tuple of words) occurs as a
    whole word inside ``lower[lo:start]`` or ``lower[end:hi]``. The tuple form is the same test
    done with ``str.find``: a word counts when it lies entirely inside a window, is not preceded
    by a letter or digit, and is not followed by one inside the window."""
    if isinstance(words, regex.Pattern):
        return bool(words.search(lower, lo, start) or words.search(lower, end, hi))
    n = len(lower)
    for a, b in ((lo, start), (end, min(hi, n))):
        for w in words:
            i = lower.find(w, a, b)
            while i >= 0:
                j = i + len(w)
                if (i == 0 or lower[i - 1] not in _WORD_CHARS) and (j == b or lower[j] not in _WORD_CHARS):
                    return True
                i = lower.find(w, i + 1, b)
    return False


class _KeywordIndex:
    """Which rule keywords occur in a text, in a few microseconds, with ``in`` semantics.

    Testing every keyword of every rule with ``kw in text`` costs ~50 ns per keyword, and one
    regex alternation of them is slower still (neither ``re`` nor ``regex`` builds a trie).
    Instead: a keyword without whitespace occurs in a text iff it occurs inside one of the text's
    whitespace-separated tokens, and tokens repeat across messages, so each distinct token (with
    its digits folded to '0') is mapped once to the keywords it contains (a bounded memo).
    Keywords with digits are tested with ``in`` directly (there are few); keywords with spaces
    ('date of birth') are tested with ``in`` only when their longest word is present.
    """

    _MEMO_MAX = 200_000
    _FOLD = str.maketrans("123456789", "000000000")

    def __init__(self, keywords: Iterable[str]) -> None:
        kws = set(keywords)
        self.digit_kws = tuple(sorted(k for k in kws if any(c.isdigit() for c in k)))
        spaced = {k for k in kws - set(self.digit_kws) if k.split() != [k]}
        self.simple = tuple(sorted(kws - set(self.digit_kws) - spaced))
        by_gate: dict[str, list[str]] = {}
        for k in sorted(spaced):
            by_gate.setdefault(max(k.split(), key=len), []).append(k)
        self.by_gate = {g: tuple(ks) for g, ks in by_gate.items()}
        self.gate_keys = frozenset(by_gate)
        self.memo_words = tuple(sorted(set(self.simple) | set(by_gate)))
        self._singles = tuple(k for k in self.memo_words if len(k) == 1)
        by_bigram_l: dict[str, list[str]] = {}
        for k in self.memo_words:
            if len(k) > 1:
                by_bigram_l.setdefault(k[:2], []).append(k)
        self._by_bigram = {b: tuple(ks) for b, ks in by_bigram_l.items()}
        self._memo: dict[str, frozenset[str]] = {}
        self._known: set[str] = set()                  # every token seen (bounded)
        self._hits: dict[str, frozenset[str]] = {}     # seen tokens that contain a keyword
        self._hit_set: set[str] = set()                # the same tokens, as a set

    def _contained(self, token: str) -> frozenset[str]:
        found = self._memo.get(token)
        if found is None:
            # Keywords starting at each position of the token, via their first two characters:
            # linear in the token, whatever the number of keywords.
            hits = [k for k in self._singles if k in token]
            by_bigram = self._by_bigram
            for i in range(len(token) - 1):
                for k in by_bigram.get(token[i:i + 2], ()):
                    if token.startswith(k, i):
                        hits.append(k)
            found = frozenset(hits)
            if len(self._memo) >= self._MEMO_MAX:
                self._memo.clear()
            self._memo[token] = found
        return found

    def _learn(self, tokens: set[str]) -> None:
        """Remember tokens not seen before; those that contain a keyword go to ``_hits``."""
        if len(self._known) + len(tokens) > self._MEMO_MAX:
            self._known.clear()
            self._hits.clear()
            self._hit_set.clear()
        for token in tokens:
            # Tokens with digits are looked up with their digits folded, so that the memo of
            # keyword sets does not grow with every number seen.
            found = self._contained(token.translate(self._FOLD) if _HAS_DIGIT.search(token) else token)
            if found:
                self._hits[token] = found
                self._hit_set.add(token)
        self._known |= tokens

    def present(self, lower: str) -> set[str]:
        tokens = set(lower.split())
        unknown = tokens - self._known
        if unknown:
            self._learn(unknown)
        hits = self._hits
        out: set[str] = set()
        for token in tokens & self._hit_set:
            out |= hits[token]
        for k in self.digit_kws:
            if k in lower:
                out.add(k)
        if out:
            for g in self.gate_keys.intersection(out):
                for k in self.by_gate[g]:
                    if k in lower:
                        out.add(k)
        return out


class PatternDetector(Detector):
    """All rules of the given packs, as one detector.

    Per text, the features every prefilter needs (lower-cased text, digit count, which keywords
    occur) are computed once; rules are indexed by keyword, so a rule whose keywords are absent
    costs nothing at all, and the rules without keywords are kept sorted by ``min_digits``, so
    the loop over them stops at the first that needs more digits than the text has. Rules run
    in pack order, so findings come out in the same order as a plain loop over the rules.
    """

    id = "patterns"
    cost = 1

    def __init__(self, packs: Iterable[Pack]) -> None:
        self.rules = [CompiledRule.build(rule, pack.pack) for pack in packs for rule in pack.rules]
        self._index = _KeywordIndex(k for r in self.rules
                                    for k in (*r.keywords, *r.context_words, *r.negative_words))
        by_keyword: dict[str, list[int]] = {}
        free: list[tuple[int, int]] = []
        for i, r in enumerate(self.rules):
            if r.keywords:
                for k in r.keywords:
                    by_keyword.setdefault(k, []).append(i)
            else:
                free.append((r.rule.min_digits, i))
        self._by_keyword = {k: tuple(v) for k, v in by_keyword.items()}
        free.sort()
        self._free_min = [m for m, _ in free]
        self._free = [i for _, i in free]
        self._min_digits = [r.rule.min_digits for r in self.rules]
        self._levels = sorted({m for m in self._min_digits})
        self._chosen_memo: dict[tuple[frozenset[str], int], list[int]] = {}

    @classmethod
    def from_paths(cls, paths: Iterable[str]) -> "PatternDetector":
        return cls(load_pack(p) for p in paths)

    @classmethod
    def builtin(cls, extra_paths: Iterable[str] = ()) -> "PatternDetector":
        return cls.from_paths([*map(str, builtin_pack_paths()), *extra_paths])

    @property
    def entities(self) -> frozenset[str]:
        return frozenset(r.rule.entity for r in self.rules)

    def _candidates(self, lower: str, ndigits: int) -> tuple[list[int], set[str]]:
        """Indices of the rules whose prefilters pass, in rule order, and the words present.

        The answer depends only on the keywords present and on which ``min_digits`` thresholds
        the digit count reaches, and both repeat across texts, so it is memoised on them."""
        present = self._index.present(lower)
        level = bisect_right(self._levels, ndigits)
        key = (frozenset(present), level)
        chosen = self._chosen_memo.get(key)
        if chosen is None:
            chosen = self._free[:bisect_right(self._free_min, ndigits)]
            if present:
                by_keyword, mins = self._by_keyword, self._min_digits
                extra = {i for k in present for i in by_keyword.get(k, ()) if mins[i] <= ndigits}
                if extra:
                    chosen = sorted([*chosen, *extra])
            if len(self._chosen_memo) >= 50_000:
                self._chosen_memo.clear()
            self._chosen_memo[key] = chosen
        return chosen, present

    def _features(self, text: str) -> tuple[str, int, int, list[int], set[str]]:
        lower = lower_same_length(text)
        digit = _HAS_DIGIT.search(text)
        if digit is None:
            ndigits = first_digit = 0
        else:
            ndigits = len(text) - len(text.translate(_DIGIT_DELETE))
            first_digit = digit.start()
        chosen, present = self._candidates(lower, ndigits)
        return lower, ndigits, first_digit, chosen, present

    def detect(self, text: str, deadline: float) -> list[Finding]:
        lower, _, first_digit, chosen, present = self._features(text)
        out: list[Finding] = []
        rules = self.rules
        fast = len(text) <= TRUSTED_MAX_CHARS
        for i in chosen:
            rule = rules[i]
            if fast and rule.trusted:
                # Inlined fast path of ``CompiledRule.findings``: a failed search is the common case.
                if time.monotonic() > deadline:
                    raise BudgetExceeded
                if rule.rx.search(text, first_digit if rule.digit_led else 0) is None:
                    continue
            found = rule.findings(text, lower, deadline, present, first_digit)
            if found:
                out.extend(found)
        return out

    def detect_batch(self, texts: Sequence[str], deadlines: Sequence[float]) -> list[list[Finding] | BaseException]:
        """Same results as ``detect`` per text, computed rule by rule across the batch.

        Running one compiled regex over many texts in a row keeps the regex engine's code and the
        pattern hot in the CPU caches; switching among some twenty patterns per text was measured
        to make each search about three times slower. Only builtin (proven bounded) rules on texts
        up to ``TRUSTED_MAX_CHARS`` run this way; user rules and long texts then run text by text,
        in order, so that one slow text cannot eat the budget of the texts before it.
        """
        n = len(texts)
        errors: list[BaseException | None] = [None] * n
        chunks: list[list[tuple[int, list[Finding]]]] = [[] for _ in range(n)]
        feats: list[tuple | None] = [None] * n
        by_rule: dict[int, list[int]] = {}
        later: list[list[int]] = [[] for _ in range(n)]
        rules = self.rules
        for j, text in enumerate(texts):
            try:
                f = feats[j] = self._features(text)
            except Exception as exc:  # noqa: BLE001 - isolated per text
                errors[j] = exc
                continue
            short = len(text) <= TRUSTED_MAX_CHARS
            for i in f[3]:
                if short and rules[i].trusted:
                    by_rule.setdefault(i, []).append(j)
                else:
                    later[j].append(i)
        for i in sorted(by_rule):
            rule = rules[i]
            search = rule.rx.search
            digit_led = rule.digit_led
            now = time.monotonic()  # trusted rules on short texts take microseconds per text
            for j in by_rule[i]:
                if errors[j] is not None:
                    continue
                text = texts[j]
                lower, _, first_digit, _, present = feats[j]
                if now > deadlines[j]:
                    errors[j] = BudgetExceeded()
                    continue
                if search(text, first_digit if digit_led else 0) is None:
                    continue
                try:
                    found = rule.findings(text, lower, deadlines[j], present, first_digit)
                except Exception as exc:  # noqa: BLE001
                    errors[j] = exc
                    continue
                if found:
                    chunks[j].append((i, found))
        out: list[list[Finding] | BaseException] = []
        for j, text in enumerate(texts):
            if errors[j] is None and later[j]:
                lower, _, first_digit, _, present = feats[j]
                try:
                    for i in later[j]:
                        found = rules[i].findings(text, lower, deadlines[j], present, first_digit)
                        if found:
                            chunks[j].append((i, found))
                except Exception as exc:  # noqa: BLE001
                    errors[j] = exc
            if errors[j] is not None:
                out.append(errors[j])
                continue
            parts = chunks[j]
            if len(parts) > 1:
                parts.sort(key=lambda c: c[0])
            out.append([f for _, found in parts for f in found])
        return out
