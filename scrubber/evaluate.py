"""Span-level evaluation against labelled corpora: the library behind ``scrubber eval``.

Gold records have the format of ``shared/data/dev/*.jsonl``::

    {"id": str, "text": str, "spans": [{"start": int, "end": int, "label": str, ...}], ...}

where ``label`` is a coarse category (PERSON, EMAIL, PHONE, CREDIT_CARD, SSN, IP_ADDRESS, IBAN,
LOCATION, ADDRESS, DATE_TIME, URL, ORGANIZATION, ID_NUMBER, SECRET, OTHER). Predictions are our
``Finding`` objects (or dicts / tuples with start, end, label); an entity name such as
``PHONE_NUMBER`` is mapped to its category with ``detectors.entities.category_of``; a label that
already is a category is kept.

Matching (per record, per label; a prediction can only match a gold span of the same label):

* ``exact``: a prediction matches a gold span with the same start and end (one-to-one).
* ``overlap`` (the default, and the project's accuracy measure): a gold span is found when at least
  one prediction shares a character with it (``p.start < g.end and g.start < p.end``); a
  prediction is correct when it shares a character with at least one gold span. Recall counts
  gold spans found, precision counts predictions that are correct. This is the question a
  scrubber answers: was each piece of PII covered, and was each rewrite on real PII. Corpora that
  split one address into house number, street, unit and ZIP spans are scored the same as corpora
  that annotate the whole address once.
* ``overlap-1to1``: the stricter variant, each gold span and each prediction matched at most once,
  greedily and deterministically: candidate pairs in order of overlap length (largest first), then
  gold start, prediction start, gold end, prediction end. A gold "John Smith" predicted as "John"
  + "Smith" counts one true positive and one false positive there.

Labels: scores are computed over a label set. ``labels=None`` means the labels the gold corpus
uses (any record): gold labels we never predict (OTHER) count as misses, and predictions of a
label the corpus never annotates (e.g. DATE_TIME on a corpus without dates) are set aside, not
counted as false positives, because the corpus cannot tell whether they are right. Pass
``labels=`` to make the label set explicit (the project's target is micro F2 over PERSON, EMAIL,
PHONE, CREDIT_CARD, SSN, IP_ADDRESS, IBAN, ADDRESS, LOCATION, URL): gold spans and predictions
outside it are ignored. Predictions set aside are counted in ``Report.ignored_predictions``.

The report also carries a label-blind view (``any_label``): the same matching with labels ignored
(over the same label set of gold spans, and every prediction whose label is in the set), which is
what matters for redaction: a name redacted as an ORGANIZATION is still redacted.
"""
from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from detectors.entities import ENTITIES, category_of

Matching = Literal["overlap", "overlap-1to1", "exact"]
MATCHINGS = ("overlap", "overlap-1to1", "exact")

CATEGORIES = frozenset({e.category for e in ENTITIES.values()} | {
    "PERSON", "EMAIL", "PHONE", "CREDIT_CARD", "SSN", "IP_ADDRESS", "IBAN", "LOCATION", "ADDRESS",
    "DATE_TIME", "URL", "ORGANIZATION", "ID_NUMBER", "SECRET", "OTHER"})

#: The label set of the project's accuracy target on presidio_research_generated_large.jsonl.
TARGET_LABELS = ("PERSON", "EMAIL", "PHONE", "CREDIT_CARD", "SSN", "IP_ADDRESS", "IBAN", "ADDRESS",
                 "LOCATION", "URL")


def to_category(label: str) -> str:
    """Our entity name (PHONE_NUMBER) or a category (PHONE) -> the corpus category."""
    if label in ENTITIES:
        return category_of(label)
    if label in CATEGORIES:
        return label
    return category_of(label)


@dataclass(frozen=True, slots=True)
class Span:
    start: int
    end: int
    label: str

    @classmethod
    def of(cls, obj: Any) -> "Span":
        """A span from a Finding, a Presidio RecognizerResult, a dict or a (start, end, label) tuple."""
        if isinstance(obj, Span):
            return obj
        if isinstance(obj, Mapping):
            label = obj.get("label", obj.get("entity", obj.get("entity_type")))
            return cls(int(obj["start"]), int(obj["end"]), to_category(str(label)))
        if isinstance(obj, (tuple, list)):
            start, end, label = obj[:3]
            return cls(int(start), int(end), to_category(str(label)))
        label = getattr(obj, "entity", None) or getattr(obj, "entity_type", None) or getattr(obj, "label")
        return cls(int(obj.start), int(obj.end), to_category(str(label)))


@dataclass
class Counts:
    """``tp``: gold spans found; ``fn``: gold spans missed; ``fp``: predictions on no gold span;
    ``pred_tp``: predictions on a gold span (equals ``tp`` under one-to-one matchings)."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    pred_tp: int | None = None

    @property
    def correct_predictions(self) -> int:
        return self.tp if self.pred_tp is None else self.pred_tp

    @property
    def precision(self) -> float:
        ok = self.correct_predictions
        return ok / (ok + self.fp) if ok + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    def f_beta(self, beta: float) -> float:
        p, r = self.precision, self.recall
        b2 = beta * beta
        return (1 + b2) * p * r / (b2 * p + r) if p + r else 0.0

    @property
    def f1(self) -> float:
        return self.f_beta(1.0)

    @property
    def f2(self) -> float:
        return self.f_beta(2.0)

    @property
    def support(self) -> int:
        return self.tp + self.fn

    def add(self, other: "Counts") -> None:
        if self.pred_tp is not None or other.pred_tp is not None:
            self.pred_tp = self.correct_predictions + other.correct_predictions
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn

    def to_dict(self) -> dict:
        return {"tp": self.tp, "fp": self.fp, "fn": self.fn, "support": self.support,
                "correct_predictions": self.correct_predictions,
                "precision": round(self.precision, 4), "recall": round(self.recall, 4),
                "f1": round(self.f1, 4), "f2": round(self.f2, 4)}


@dataclass(frozen=True, slots=True)
class Error:
    """One false positive or false negative, for error analysis (holds corpus text: keep local)."""

    record_id: str
    kind: Literal["fp", "fn"]
    label: str
    start: int
    end: int
    surface: str


@dataclass
class Report:
    matching: str
    labels: tuple[str, ...]
    per_label: dict[str, Counts]
    micro: Counts
    any_label: Counts
    records: int
    ignored_predictions: Counter = field(default_factory=Counter)
    failed_records: int = 0
    errors: list[Error] = field(default_factory=list)

    @property
    def macro_f2(self) -> float:
        vals = [c.f2 for c in self.per_label.values() if c.support]
        return sum(vals) / len(vals) if vals else 0.0

    def to_dict(self) -> dict:
        return {"matching": self.matching, "labels": list(self.labels), "records": self.records,
                "failed_records": self.failed_records,
                "per_label": {k: v.to_dict() for k, v in sorted(self.per_label.items())},
                "micro": self.micro.to_dict(), "macro_f2": round(self.macro_f2, 4),
                "any_label": self.any_label.to_dict(),
                "ignored_predictions": dict(sorted(self.ignored_predictions.items()))}


def _overlap(g: Span, p: Span) -> int:
    return min(g.end, p.end) - max(g.start, p.start)


def _pairs(gold: Sequence[Span], pred: Sequence[Span], matching: Matching, same_label: bool) -> list[tuple[int, int]]:
    """Matched (gold index, prediction index) pairs: every overlapping pair for ``overlap``, a
    one-to-one greedy assignment for ``overlap-1to1`` and ``exact``."""
    cands = []
    for gi, g in enumerate(gold):
        for pi, p in enumerate(pred):
            if same_label and g.label != p.label:
                continue
            if matching == "exact":
                if g.start != p.start or g.end != p.end:
                    continue
                ov = g.end - g.start
            else:
                ov = _overlap(g, p)
                if ov <= 0:
                    continue
            cands.append((-ov, g.start, p.start, g.end, p.end, gi, pi))
    if matching == "overlap":
        return [(gi, pi) for *_, gi, pi in cands]
    cands.sort()
    used_g: set[int] = set()
    used_p: set[int] = set()
    out = []
    for *_, gi, pi in cands:
        if gi in used_g or pi in used_p:
            continue
        used_g.add(gi)
        used_p.add(pi)
        out.append((gi, pi))
    return out


def _check_matching(matching: str) -> None:
    if matching not in MATCHINGS:
        raise ValueError(f"matching must be one of {', '.join(MATCHINGS)}, not {matching!r}")


def match_spans(gold: Sequence[Span], pred: Sequence[Span], matching: Matching = "overlap",
                same_label: bool = True) -> list[tuple[int, int]]:
    """The (gold index, prediction index) pairs of the matching described above."""
    _check_matching(matching)
    return _pairs(gold, pred, matching, same_label)


def evaluate(gold_records: Iterable[Mapping], predicted_spans_per_record: Iterable[Iterable[Any] | None],
             matching: Matching = "overlap", labels: Iterable[str] | None = None,
             keep_errors: bool = False) -> Report:
    """Score predictions against gold records (same order). ``None`` as a record's predictions
    means detection failed for it (counted in ``failed_records``; scored as no predictions)."""
    _check_matching(matching)
    gold_records = list(gold_records)
    preds = list(predicted_spans_per_record)
    if len(preds) != len(gold_records):
        raise ValueError(f"{len(gold_records)} gold records but {len(preds)} prediction lists")
    if labels is None:
        label_set = frozenset(to_category(s["label"]) for r in gold_records for s in r.get("spans", ()))
    else:
        label_set = frozenset(to_category(lab) for lab in labels)
    counting = 0 if matching == "overlap" else None   # many-to-many: correct predictions counted apart
    per_label: dict[str, Counts] = {lab: Counts(pred_tp=counting) for lab in label_set}
    any_label = Counts(pred_tp=counting)
    ignored: Counter = Counter()
    failed = 0
    errors: list[Error] = []
    for rec, pred in zip(gold_records, preds):
        if pred is None:
            failed += 1
            pred = ()
        text = rec.get("text", "")
        gold = [g for g in (Span.of(s) for s in rec.get("spans", ())) if g.label in label_set]
        pr: list[Span] = []
        for p in map(Span.of, pred):
            if p.label in label_set:
                pr.append(p)
            else:
                ignored[p.label] += 1
        pairs = _pairs(gold, pr, matching, True)
        mg = {gi for gi, _ in pairs}
        mp = {pi for _, pi in pairs}
        for gi, g in enumerate(gold):
            c = per_label[g.label]
            if gi in mg:
                c.tp += 1
            else:
                c.fn += 1
                if keep_errors:
                    errors.append(Error(str(rec.get("id", "")), "fn", g.label, g.start, g.end, text[g.start:g.end]))
        for pi, p in enumerate(pr):
            if pi in mp:
                if counting is not None:
                    per_label[p.label].pred_tp += 1
            else:
                per_label[p.label].fp += 1
                if keep_errors:
                    errors.append(Error(str(rec.get("id", "")), "fp", p.label, p.start, p.end, text[p.start:p.end]))
        blind = _pairs(gold, pr, matching, False)
        found_g, found_p = len({gi for gi, _ in blind}), len({pi for _, pi in blind})
        any_label.tp += found_g
        any_label.fn += len(gold) - found_g
        any_label.fp += len(pr) - found_p
        if counting is not None:
            any_label.pred_tp += found_p
    micro = Counts(pred_tp=counting)
    for c in per_label.values():
        micro.add(c)
    return Report(matching=matching, labels=tuple(sorted(label_set)), per_label=per_label, micro=micro,
                  any_label=any_label, records=len(gold_records), ignored_predictions=ignored,
                  failed_records=failed, errors=errors)


def format_report(report: Report) -> str:
    """A plain-text table (no colour, no rich): one row per label, then micro and label-blind."""
    head = f"{'label':<14}{'tp':>7}{'fp':>7}{'fn':>7}{'prec':>8}{'recall':>8}{'F1':>8}{'F2':>8}"
    lines = [f"matching: {report.matching}   records: {report.records}"
             + (f"   failed: {report.failed_records}" if report.failed_records else ""), head, "-" * len(head)]

    def row(name: str, c: Counts) -> str:
        return (f"{name:<14}{c.tp:>7}{c.fp:>7}{c.fn:>7}{c.precision:>8.3f}{c.recall:>8.3f}"
                f"{c.f1:>8.3f}{c.f2:>8.3f}")

    for lab in sorted(report.per_label):
        lines.append(row(lab, report.per_label[lab]))
    lines.append("-" * len(head))
    lines.append(row("micro", report.micro))
    lines.append(row("any label", report.any_label))
    lines.append(f"macro F2: {report.macro_f2:.3f}")
    if report.ignored_predictions:
        lines.append("predictions outside the label set (not scored): "
                     + ", ".join(f"{k} {v}" for k, v in sorted(report.ignored_predictions.items())))
    return "\n".join(lines)


def load_gold(path: str | Path) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _batches(items: Sequence, size: int) -> Iterator[Sequence]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def detect_all(stack, texts: Sequence[str], batch_size: int = 256) -> list[list | None]:
    """Run ``stack.detect_batch`` over ``texts`` in batches; ``None`` for a text whose detection failed."""
    out: list[list | None] = []
    for batch in _batches(list(texts), batch_size):
        for det in stack.detect_batch(batch):
            out.append(None if det.failed else list(det.findings))
    return out


def evaluate_stack(stack, records: Sequence[Mapping], matching: Matching = "overlap",
                   labels: Iterable[str] | None = None, batch_size: int = 256,
                   keep_errors: bool = False, warm_up: bool = True) -> Report:
    """Detect with ``stack`` (a ``DetectorStack``) over the records' texts, then ``evaluate``."""
    records = list(records)
    if warm_up:
        # lazy model and gazetteer loads must not eat the first texts' time budget
        stack.detect_batch(["warm-up: Maria Garcia in Berlin, call +1 415 555 2671, someone@example.com"])
    preds = detect_all(stack, [r["text"] for r in records], batch_size)
    return evaluate(records, preds, matching=matching, labels=labels, keep_errors=keep_errors)
