"""The pattern detector: runs the rules of one or more packs with prefilters, validators and
context scoring.

Speed comes from not running most rules at all: a rule whose keywords are absent, that needs
more digits than the text holds, or whose shape the text lacks (``text_shape``) is skipped before
its regex is touched. Safety comes from the
``regex`` module's per-call timeout, set to what is left of the text's budget: a pathological
input raises ``BudgetExceeded`` and the text fails closed (Presidio skips the recognizer and lets
the text through; we never do).
"""
from __future__ import annotations

import re
import time
from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import regex

from detectors.base import BudgetExceeded, Detector
from detectors.finding import Finding
from detectors.pack import TIERS, Pack, Rule, builtin_pack_paths, load_pack
from detectors.validators import Validator, get_validator

_FIRST_DIGIT = re.compile(r"[0-9]")  # ASCII digits only: the same in ``re``, which calls faster


def lower_same_length(text: str) -> str:
    """``text.lower()`` with offsets preserved: a few characters (e.g. 'İ') lower to two code
    points, which would shift every context window after them; those are left as they are."""
    lower = text.lower()
    if len(lower) == len(text):
        return lower
    return "".join(low if len(low) == 1 else ch for ch, low in ((c, c.lower()) for c in text))


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
    shape: re.Pattern[bytes] | None
    validator: Validator | None
    tier: int
    trusted: bool = False
    context_words: tuple[str, ...] = ()
    negative_words: tuple[str, ...] = ()
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
        try:
            shape = re.compile(rule.shape.encode("ascii")) if rule.shape is not None else None
        except (re.error, UnicodeEncodeError) as exc:
            raise ValueError(f"rule {rule.id}: bad shape: {exc}") from None
        return cls(rule=rule, pack=pack, rx=rx,
                   keywords=tuple(k.lower() for k in rule.keywords),
                   shape=shape,
                   validator=get_validator(rule.validator) if rule.validator else None,
                   tier=TIERS[rule.tier],
                   trusted=is_builtin_rule(rule, pack),
                   context_words=tuple(sorted({w.lower() for w in rule.context})),
                   negative_words=tuple(sorted({w.lower() for w in rule.negative_context})),
                   detector_id=f"{pack}.{rule.id}",
                   digit_led=_digit_led(rule.pattern))

    def applies(self, lower: str, ndigits: int) -> bool:
        if ndigits < self.rule.min_digits:
            return False
        return not self.keywords or any(k in lower for k in self.keywords)

    def findings(self, text: str, lower: str, deadline: float, first_digit: int = 0,
                 first: regex.Match | None = None) -> list[Finding]:
        """Findings of this rule in ``text``. ``first_digit``, when given, is the index of the
        text's first digit: rules whose matches start with a digit begin there. ``first``, when
        given, is this (trusted) rule's first match, already searched for by the caller's
        prefilter: it is not searched for twice."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise BudgetExceeded
        if self.trusted and len(text) <= TRUSTED_MAX_CHARS:
            # ``search`` first: most calls find nothing, and a failed search costs less than
            # building an iterator and a list (so does a failed search for a second match).
            m = first if first is not None else self.rx.search(text, first_digit if self.digit_led else 0)
            if m is None:
                return []
            rest = m.end() if m.end() > m.start() else m.end() + 1
            matches = [m, *self.rx.finditer(text, rest)] \
                if m.end() < len(text) and self.rx.search(text, rest) is not None else [m]
        else:
            try:
                matches = list(self.rx.finditer(text, first_digit if self.digit_led else 0, timeout=remaining))
            except TimeoutError:
                raise BudgetExceeded from None
        return self._findings(text, lower, matches) if matches else []

    def _findings(self, text: str, lower: str, matches: list[regex.Match]) -> list[Finding]:
        rule = self.rule
        group = rule.group
        validator = self.validator
        # (negative, context) words in the text: found on first need, if the rule has any
        words: tuple[tuple[str, ...], tuple[str, ...]] | None = \
            None if self.negative_words or self.context_words else ((), ())
        out = []
        for m in matches:
            start, end = m.span(group) if group else m.span()
            if start < 0 or start == end:
                continue
            if validator is not None and not validator(text[start:end]):
                continue
            if words is None:
                # Context windows are searched only for the words that occur in the text at
                # all (``in`` on the whole text), with ``str.find`` (see ``_near``): most texts
                # hold none of a rule's context words.
                words = (tuple(w for w in self.negative_words if w in lower),
                         tuple(w for w in self.context_words if w in lower))
            score = self._score(lower, start, end, *words)
            if score > 0:
                out.append(Finding(start, end, rule.entity, score, self.detector_id, self.tier))
        return out

    def context_distance(self, lower: str, start: int, end: int) -> tuple[int, int]:
        """How near this rule's nearest context word is to the span ``start:end``, as a sort key:
        ``(0, gap)`` for a word before it, else ``(1, gap)`` for one after it, else ``(2, 0)``.
        A word before counts first because a value follows its label: in 'passport number is
        X1234567 and driver's license ...' the licence word after the number labels the next one."""
        lo, hi = max(0, start - self.rule.context_window), min(len(lower), end + self.rule.context_window)
        before = min((start - j for w in self.context_words for j in _word_ends(lower, w, lo, start)), default=None)
        if before is not None:
            return (0, before)
        after = min((i - end for w in self.context_words for i in _word_starts(lower, w, end, hi)), default=None)
        return (2, 0) if after is None else (1, after)

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


def _near(lower: str, words: tuple[str, ...], lo: int, start: int, end: int, hi: int) -> bool:
    """Whether one of ``words`` occurs as a whole word inside ``lower[lo:start]`` or
    ``lower[end:hi]``: a word counts when it lies entirely inside a window, is not preceded by a
    letter or digit, and is not followed by one inside the window."""
    n = len(lower)
    return any(next(_word_starts(lower, w, a, b), None) is not None
               for a, b in ((lo, start), (end, min(hi, n))) for w in words)


def _word_starts(lower: str, w: str, a: int, b: int) -> Iterable[int]:
    """Where ``w`` occurs as a whole word inside ``lower[a:b]`` (the test of ``_near``)."""
    i = lower.find(w, a, b)
    while i >= 0:
        j = i + len(w)
        if (i == 0 or lower[i - 1] not in _WORD_CHARS) and (j == b or lower[j] not in _WORD_CHARS):
            yield i
        i = lower.find(w, i + 1, b)


def _word_ends(lower: str, w: str, a: int, b: int) -> Iterable[int]:
    """Where the whole-word occurrences of ``w`` inside ``lower[a:b]`` end."""
    return (i + len(w) for i in _word_starts(lower, w, a, b))


def utf8(text: str) -> bytes:
    """``text`` in UTF-8, lone surrogates included. Its ASCII bytes are exactly the text's ASCII
    characters (multi-byte sequences hold no byte below 0x80), so substring tests, ASCII digit
    counts and splits on ASCII whitespace give the same answers on it as on ``text``, and the
    bytes methods are several times faster than the ``str`` ones."""
    return text.encode("utf-8", "surrogatepass")


_DIGIT_BYTES = b"0123456789"
_FOLD_BYTES = bytes.maketrans(b"123456789", b"000000000")
_LETTERS = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
_SPACES = b"\t\n\v\f\r\x1c\x1d\x1e\x1f"  # ASCII characters that ``\s`` may match, besides ' '
_SHAPE_BYTES = bytes.maketrans(_DIGIT_BYTES + _LETTERS + _SPACES,
                               b"0" * len(_DIGIT_BYTES) + b"a" * len(_LETTERS) + b" " * len(_SPACES))


def text_shape(raw: bytes) -> bytes:
    """The shape of an ASCII text in bytes (``raw``, any case): every letter written as 'a', every
    digit as '0', every whitespace character as a space, the rest as it is. A rule's ``shape``
    regex is a necessary condition of its pattern on this ('000[ -]00[ -]0000' for a US SSN):
    one ``re`` search with a literal to scan for costs a fraction of a failed search of the rule's
    own ``regex`` pattern, which has to try its look-behinds and classes at every position. Only
    ASCII texts have shapes: there ``\\d``, ``\\s``, letters and case are what they look like."""
    return raw.translate(_SHAPE_BYTES)


def _trie(words: Iterable[bytes]) -> bytes:
    """A regex alternation of ``words`` (non-empty) shaped as a trie, so that at any position it
    matches the longest word that starts there, in time bounded by the longest word."""
    root: dict = {}
    for w in words:
        node = root
        for byte in w:
            node = node.setdefault(byte, {})
        node[None] = {}
    return _trie_branch(root)


def _trie_branch(node: dict) -> bytes:
    alts = [re.escape(bytes([byte])) + _trie_branch(node[byte]) for byte in sorted(k for k in node if k is not None)]
    if not alts:
        return b""
    body = alts[0] if len(alts) == 1 else b"(?:" + b"|".join(alts) + b")"
    return b"(?:" + body + b")?" if None in node else body


_REGEX_SYNTAX = frozenset(b".^$*+?{}[]\\|()")


def _is_literal(pattern: bytes) -> bool:
    """Whether a (bytes) regex matches exactly its own text: no character of regex syntax."""
    return not _REGEX_SYNTAX.intersection(pattern)


_RUN_GATES = (6, 10, 13)
_QUANTIFIERS = frozenset(b"?*+{")


def _required_zero_run(pattern: bytes) -> int:
    """The longest run of '0' (a digit, in a shape) that every match of the shape regex
    ``pattern`` contains, judged conservatively from its text: runs outside groups and classes,
    the last '0' of a run dropped when a quantifier follows it; 0 when the pattern has an
    alternation or an escape, which this does not read."""
    if b"|" in pattern or b"\\" in pattern:
        return 0
    best = run = depth = 0
    in_class = in_braces = False
    for k, c in enumerate(pattern):
        nxt = pattern[k + 1] if k + 1 < len(pattern) else None
        if in_class:
            in_class = c != ord("]")
            continue
        if in_braces:  # a counted quantifier's digits are no characters of the text
            in_braces = c != ord("}")
            continue
        if c == ord("0") and depth == 0:
            run += 1
            if nxt is not None and nxt in _QUANTIFIERS:
                best, run = max(best, run - 1), 0
            continue
        best, run = max(best, run), 0
        if c == ord("["):
            in_class = True
        elif c == ord("{"):
            in_braces = True
        elif c == ord("("):
            depth += 1
        elif c == ord(")"):
            depth -= 1
    return max(best, run)


def _bits(mask: int) -> list[int]:
    """Indices of the set bits of ``mask``, lowest first (one step per set bit)."""
    out = []
    while mask:
        low = mask & -mask
        out.append(low.bit_length() - 1)
        mask ^= low
    return out


class _KeywordIndex:
    """Which rules have a keyword in a text (``in`` semantics), in a few microseconds.

    Testing every keyword with ``kw in text`` costs ~50 ns per keyword, and one regex alternation
    of them is slower still (neither ``re`` nor ``regex`` builds a trie; a hand-built trie regex
    was measured slower too). Instead: a keyword without whitespace occurs in a text iff it
    occurs inside one of the text's whitespace-separated tokens, and tokens repeat across
    messages, so each distinct token (in UTF-8, its digits folded to '0' so that numbers do not
    grow the memo) is examined once and mapped to a bitmask of the rules it holds a keyword of
    (bit i: rule i). A text's mask is the OR over its tokens: one dict lookup per token.
    Keywords with digits are tested with ``in`` directly (there are few); keywords with spaces
    ('date of birth') only when their longest word occurs, which a token signals with a bit
    above the rules' bits.
    """

    _MEMO_MAX = 200_000

    def __init__(self, rule_keywords: Sequence[Iterable[str]]) -> None:
        rule_bits: dict[str, int] = {}
        for i, kws in enumerate(rule_keywords):
            for k in kws:
                rule_bits[k] = rule_bits.get(k, 0) | 1 << i
        self.rule_all = (1 << len(rule_keywords)) - 1
        digit_kws = {k for k in rule_bits if any(c.isdigit() for c in k)}
        spaced = {k for k in rule_bits.keys() - digit_kws if k.split() != [k]}
        self._digit_kws = tuple((k, rule_bits[k]) for k in sorted(digit_kws))
        token_bits = {k: rule_bits[k] for k in rule_bits.keys() - digit_kws - spaced}
        # Spaced keywords by their longest word (the gate); each gate gets a bit.
        by_gate: dict[str, list[str]] = {}
        for k in sorted(spaced):
            by_gate.setdefault(max(k.split(), key=len), []).append(k)
        self._gates: list[tuple[int, tuple[tuple[str, int], ...]]] = []
        for g, ks in by_gate.items():
            bit = 1 << (len(rule_keywords) + len(self._gates))
            self._gates.append((bit, tuple((k, rule_bits[k]) for k in ks)))
            token_bits[g] = token_bits.get(g, 0) | bit
        self._token_bits = token_bits
        self._singles = tuple(k for k in sorted(token_bits) if len(k) == 1)
        by_bigram: dict[str, list[str]] = {}
        for k in sorted(token_bits):
            if len(k) > 1:
                by_bigram.setdefault(k[:2], []).append(k)
        self._by_bigram = {b: tuple(ks) for b, ks in by_bigram.items()}
        # New tokens are examined with one regex: at each position, the longest memo word that
        # starts there (a trie of them); every memo word inside it occurs too (its closure).
        self._longest = re.compile(b"(?=(" + _trie([utf8(k) for k in token_bits]) + b"))") if token_bits else None
        self._closure = {utf8(k): self._bits_in(k) for k in token_bits}
        self._masks: dict[bytes, int] = {}

    def _contained(self, token: str) -> list[str]:
        """Memo words inside ``token``, found via their first two characters: linear in the
        token, whatever the number of keywords."""
        hits = [k for k in self._singles if k in token]
        by_bigram = self._by_bigram
        for i in range(len(token) - 1):
            for k in by_bigram.get(token[i:i + 2], ()):
                if token.startswith(k, i):
                    hits.append(k)
        return hits

    def _bits_in(self, token: str) -> int:
        mask = 0
        for k in self._contained(token):
            mask |= self._token_bits[k]
        return mask

    def _learn(self, token: bytes) -> int:
        """The mask of a token not seen before (or forgotten), remembered: what ``_bits_in``
        gives, at a third of its cost."""
        if len(self._masks) >= self._MEMO_MAX:
            self._masks.clear()
        mask = 0
        if self._longest is not None:
            closure = self._closure
            for word in self._longest.findall(token):
                mask |= closure[word]
        self._masks[token] = mask
        return mask

    def rules(self, tokens: Iterable[bytes], lower: str) -> int:
        """Bitmask of the rules with a keyword in ``lower``; ``tokens`` are its tokens, in UTF-8
        with digits folded (the memo keys)."""
        get = self._masks.get
        mask = 0
        for token in tokens:
            bits = get(token)
            mask |= self._learn(token) if bits is None else bits
        if mask > self.rule_all:  # a gate word occurs: test its spaced keywords
            for bit, group in self._gates:
                if mask & bit:
                    for k, bits in group:
                        if k in lower:
                            mask |= bits
            mask &= self.rule_all
        for k, bits in self._digit_kws:
            if k in lower:
                mask |= bits
        return mask


@dataclass(slots=True)
class _Features:
    """What the prefilters and the rules need of one text, computed once per text."""

    lower: str
    first_digit: int
    key: int  # bitmask of the rules to run: texts with equal keys run the same rules


class PatternDetector(Detector):
    """All rules of the given packs, as one detector.

    Per text, the features every prefilter needs (lower-cased text, digit count, which rules
    have a keyword in it) are computed once, and the rules to run are the set bits of one
    integer: (rules with a keyword present | rules without keywords) & rules whose
    ``min_digits`` the text reaches, less (in an ASCII text) the rules whose ``shape`` its
    ``text_shape`` lacks. A rule whose prefilters fail costs nothing at all. Rules
    run in pack order, so findings come out in the same order as a plain loop over the rules.
    """

    id = "patterns"
    cost = 1

    def __init__(self, packs: Iterable[Pack]) -> None:
        self.rules = [CompiledRule.build(rule, pack.pack) for pack in packs for rule in pack.rules]
        self._index = _KeywordIndex([r.keywords for r in self.rules])
        self._free_bits = sum(1 << i for i, r in enumerate(self.rules) if not r.keywords)
        # A shape without regex syntax is a literal: ``in`` finds it several times faster than a
        # search call, and most id formats' shapes are literals ('000000-0000000').
        self._shape_test: dict[int, bytes | Callable[[bytes], object]] = {
            i: r.shape.pattern if _is_literal(r.shape.pattern) else r.shape.search
            for i, r in enumerate(self.rules) if r.shape is not None}
        self._shaped_bits = sum(1 << i for i in self._shape_test)
        # Digit-run gates: a shape that needs, say, eleven digits in a row fails on every text
        # without a run of six; one ``in`` test rules out all such rules at once, before their
        # own tests (national ids are mostly long digit runs; the texts that hold one are few).
        gates: dict[int, int] = {}
        for i, r in enumerate(self.rules):
            if r.shape is not None:
                run = _required_zero_run(r.shape.pattern)
                level = max((g for g in _RUN_GATES if g <= run), default=0)
                if level:
                    gates[level] = gates.get(level, 0) | 1 << i
        # ascending: a text without a run of n digits has none of any longer run either
        self._run_gates = [(b"0" * g, sum(b for lvl, b in gates.items() if lvl >= g))
                           for g in sorted(gates)]
        self._trusted_bits = sum(1 << i for i, r in enumerate(self.rules) if r.trusted)
        self._levels = sorted({r.rule.min_digits for r in self.rules})
        # _level_masks[n]: the rules whose min_digits is among the n lowest levels.
        self._level_masks = [sum(1 << i for i, r in enumerate(self.rules) if r.rule.min_digits in self._levels[:n])
                             for n in range(len(self._levels) + 1)]
        self._chosen_memo: dict[int, tuple[list[int], list[int], list[int]]] = {}
        self._shape_tests_memo: dict[int, list[tuple[int, bytes | Callable[[bytes], object]]]] = {}
        self._by_detector_id = {r.detector_id: r for r in self.rules}

    @classmethod
    def from_paths(cls, paths: Iterable[str]) -> "PatternDetector":
        return cls(load_pack(p) for p in paths)

    @classmethod
    def builtin(cls, extra_paths: Iterable[str] = ()) -> "PatternDetector":
        return cls.from_paths([*map(str, builtin_pack_paths()), *extra_paths])

    @property
    def entities(self) -> frozenset[str]:
        return frozenset(r.rule.entity for r in self.rules)

    def _features(self, text: str) -> _Features:
        lower = lower_same_length(text)
        raw = utf8(lower)
        ndigits = len(raw) - len(raw.translate(None, _DIGIT_BYTES))
        first_digit = _FIRST_DIGIT.search(text).start() if ndigits else 0
        mask = self._index.rules(raw.translate(_FOLD_BYTES).split(), lower)
        key = (mask | self._free_bits) & self._level_masks[bisect_right(self._levels, ndigits)]
        if key & self._shaped_bits and text.isascii():
            shape = text_shape(raw)
            for run, bits in self._run_gates:
                if key & bits and run not in shape:
                    key &= ~bits
                    break
            for bit, test in self._shape_tests_of(key & self._shaped_bits):
                if (test not in shape) if test.__class__ is bytes else (test(shape) is None):
                    key ^= bit
        return _Features(lower, first_digit, key)

    def _shape_tests_of(self, shaped: int) -> list[tuple[int, bytes | Callable[[bytes], object]]]:
        """(rule bit, shape test) of the rules in ``shaped``, memoised: the same few sets of
        rules reach the shape tests text after text, and walking the bits of a wide mask costs
        more than the tests themselves."""
        tests = self._shape_tests_memo.get(shaped)
        if tests is None:
            if len(self._shape_tests_memo) >= 50_000:
                self._shape_tests_memo.clear()
            tests = self._shape_tests_memo[shaped] = [(1 << i, self._shape_test[i]) for i in _bits(shaped)]
        return tests

    def _chosen(self, key: int) -> tuple[list[int], list[int], list[int]]:
        """The rules of ``key`` in rule order: all, the trusted ones, the others (memoised: keys
        repeat across texts)."""
        chosen = self._chosen_memo.get(key)
        if chosen is None:
            if len(self._chosen_memo) >= 50_000:
                self._chosen_memo.clear()
            every, untrusted = _bits(key), key & ~self._trusted_bits
            trusted = _bits(key & self._trusted_bits) if untrusted else every  # builtin packs only
            chosen = self._chosen_memo[key] = (every, trusted, _bits(untrusted))
        return chosen

    def detect(self, text: str, deadline: float) -> list[Finding]:
        f = self._features(text)
        out: list[Finding] = []
        labelled = 0  # findings of rules whose label comes from context words (requires_context)
        rules = self.rules
        fast = len(text) <= TRUSTED_MAX_CHARS
        for i in self._chosen(f.key)[0]:
            rule = rules[i]
            first = None
            if fast and rule.trusted:
                # Inlined fast path of ``CompiledRule.findings``: a failed search is the common case.
                if time.monotonic() > deadline:
                    raise BudgetExceeded
                first = rule.rx.search(text, f.first_digit if rule.digit_led else 0)
                if first is None:
                    continue
            found = rule.findings(text, f.lower, deadline, f.first_digit, first)
            if found:
                out.extend(found)
                if rule.rule.requires_context:
                    labelled += len(found)
        return self._settle_shared_spans(f.lower, out) if labelled > 1 else out

    def _settle_shared_spans(self, lower: str, found: list[Finding]) -> list[Finding]:
        """Where rules that need context words (``requires_context``) claim the very same span
        for different entities ('passport number is X1234567 and driver's license ...': both the
        passport and the licence rule take X1234567), only the ones whose context word is
        nearest stay (``CompiledRule.context_distance``). Scores cannot decide this: each rule's
        score says how sure it is of its own format, not which label the text gives the value.
        Other findings are left to ``resolve``."""
        groups: dict[tuple[int, int], list[Finding]] = {}
        for f in found:
            if self._by_detector_id[f.detector].rule.requires_context:
                groups.setdefault((f.start, f.end), []).append(f)
        losers: set[int] = set()
        for group in groups.values():
            if len(group) < 2 or len({f.entity for f in group}) < 2:
                continue
            keys = {id(f): self._by_detector_id[f.detector].context_distance(lower, f.start, f.end) for f in group}
            best = min(keys.values())
            losers.update(k for k, key in keys.items() if key > best)
        return [f for f in found if id(f) not in losers] if losers else found

    def detect_batch(self, texts: Sequence[str], deadlines: Sequence[float]) -> list[list[Finding] | BaseException]:
        """Same results as ``detect`` per text, computed rule by rule across the batch.

        Running one compiled regex over many texts in a row keeps the regex engine's code and the
        pattern hot in the CPU caches; switching among some twenty patterns per text was measured
        to make each search about three times slower. Only builtin (proven bounded) rules on texts
        up to ``TRUSTED_MAX_CHARS`` run this way; user rules and long texts then run text by text,
        in order, so that one slow text cannot eat the budget of the texts before it.
        """
        errors: list[BaseException | None] = [None] * len(texts)
        feats: list[_Features | None] = [None] * len(texts)
        chunks: dict[int, list[tuple[int, list[Finding]]]] = {}  # text -> (rule, its findings)
        by_rule, later = self._plan(texts, feats, errors)
        for i in sorted(by_rule):
            self._run_across(i, by_rule[i], texts, deadlines, feats, errors, chunks)
        return [self._collect(j, text, deadlines[j], feats[j], errors, chunks, later.get(j))
                for j, text in enumerate(texts)]

    def _plan(self, texts: Sequence[str], feats: list,
              errors: list) -> tuple[dict[int, list[int]], dict[int, list[int]]]:
        """Every text's features, then which texts each rule runs over rule by rule (trusted
        rules, short texts) and which rules each text runs text by text (``later``). Texts are
        grouped by key first: one dictionary step per text instead of one per rule."""
        groups: dict[int, list[int]] = {}
        later: dict[int, list[int]] = {}
        for j, text in enumerate(texts):
            try:
                f = feats[j] = self._features(text)
            except Exception as exc:  # noqa: BLE001 - isolated per text
                errors[j] = exc
                continue
            if len(text) <= TRUSTED_MAX_CHARS:
                groups.setdefault(f.key, []).append(j)
            elif f.key:
                later[j] = self._chosen(f.key)[0]
        by_rule: dict[int, list[int]] = {}
        for key, batch in groups.items():
            _, trusted, untrusted = self._chosen(key)
            for i in trusted:
                by_rule.setdefault(i, []).extend(batch)
            if untrusted:
                for j in batch:
                    later[j] = untrusted
        return by_rule, later

    def _collect(self, j: int, text: str, deadline: float, f: _Features | None, errors: list,
                 chunks: dict, later: list[int] | None) -> list[Finding] | BaseException:
        """Text ``j``'s result: after its ``later`` rules, its findings in rule order."""
        parts = chunks.get(j)
        if errors[j] is None and later:
            try:
                for i in later:
                    found = self.rules[i].findings(text, f.lower, deadline, f.first_digit)
                    if found:
                        parts = chunks.setdefault(j, [])
                        parts.append((i, found))
            except Exception as exc:  # noqa: BLE001
                errors[j] = exc
        if errors[j] is not None:
            return errors[j]
        if not parts:
            return []
        if len(parts) == 1:
            return parts[0][1]  # one rule: its findings never share a span with another rule's
        if later:  # rule-major parts came first, each in rule order
            parts.sort(key=lambda c: c[0])
        found = [finding for _, chunk in parts for finding in chunk]
        labelled = sum(len(chunk) for i, chunk in parts if self.rules[i].rule.requires_context)
        return self._settle_shared_spans(f.lower, found) if labelled > 1 else found

    def _run_across(self, i: int, batch: list[int], texts: Sequence[str], deadlines: Sequence[float],
                    feats: list, errors: list, chunks: dict) -> None:
        """Rule ``i`` over the texts ``batch`` of a ``detect_batch``; results go to ``chunks``."""
        rule = self.rules[i]
        search = rule.rx.search
        digit_led = rule.digit_led
        now = time.monotonic()  # trusted rules on short texts take microseconds per text
        for j in batch:
            if errors[j] is not None:
                continue
            if now > deadlines[j]:
                errors[j] = BudgetExceeded()
                continue
            text = texts[j]
            f = feats[j]
            first = search(text, f.first_digit if digit_led else 0)
            if first is None:
                continue
            try:
                found = rule.findings(text, f.lower, deadlines[j], f.first_digit, first)
            except Exception as exc:  # noqa: BLE001
                errors[j] = exc
                continue
            if found:
                chunks.setdefault(j, []).append((i, found))
