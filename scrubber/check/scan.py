"""The per-batch work of a check, run in worker processes: detect, fingerprint, and (for
``--write-release``) scrub. It returns compact per-record facts, never raw values, except the
scrubbed records themselves, which go to the release staging files.

Everything here is a pure function of the batch and the ``ScanConfig``, so a batch gives the same
result in any process, and the parent can merge results in input order for a deterministic report.
"""
from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from detectors.settings import DetectorSettings
from detectors.stack import Detection, DetectorStack
from scrubber.check.fingerprint import Fingerprinter, normalize_finding, normalize_text
from scrubber.check.policy import CheckPolicy
from scrubber.engine import Engine, FieldDetection
from scrubber.fields import FieldSpec, Path, leaves, matches
from scrubber.keys import KeyRing
from scrubber.mask import masked_example
from scrubber.policy import Policy

TEXT_FIELD = "(text)"


@dataclass
class ScanConfig:
    """Everything a worker needs; plain data so it pickles to spawned processes."""

    detectors: DetectorSettings
    fields: FieldSpec
    policy: CheckPolicy
    fingerprinter: Fingerprinter
    user_field: str | None = None
    rare_fields: list[str] = field(default_factory=list)
    release_policy: Policy | None = None
    keys: KeyRing | None = None
    detection_cache: int = 100_000   # texts whose detection is remembered (0: off)


#: What the check keeps of one scanned text: ``(hits, bits, failure)``. ``hits`` are its findings
#: at or above the policy's minimum score as (entity, fingerprint, masked example), ``bits`` the
#: user-combination entity bits, ``failure`` why detection failed if it did. A pure function of the
#: text, so it is worked out once per distinct text and shared by every record that repeats it
#: (query logs repeat heavily). A plain tuple: with --jobs, results cross a process boundary, and
#: a tuple pickles about ten times faster than a dataclass.
TextFacts = tuple[tuple[tuple[str, int, str], ...], int, "str | None"]
NO_FACTS: TextFacts = ((), 0, None)


@dataclass
class Batch:
    """Readable records of one source file, as parallel lists (no object per record)."""

    src: int
    lines: list[int]
    values: list[Any]
    rids: list[str] | None = None   # --id-field values, for reports


@dataclass(slots=True)
class RecordFacts:
    """What the aggregate checks and the release writer need to know about one record beyond its
    findings; only made for structured records and for --write-release."""

    user: int | None = None
    rare: list[tuple[Path, str, int]] = field(default_factory=list)   # (path, field name, value fp)
    bits: int = 0                                                    # user-combo entity bits
    kclass: tuple[tuple[str, ...], int] | None = None                # (QI columns, class fp)
    failure: str | None = None
    dropped: bool = False
    scrubbed: Any = None


#: Per record: its scanned leaves as (field name, facts of the leaf's text).
Leaves = tuple[tuple[str, TextFacts], ...]


@dataclass
class BatchResult:
    src: int
    lines: list[int]
    rids: list[str] | None
    leaves: list[Leaves]
    failures: dict[int, str]               # record index -> why it could not be scanned
    facts: list[RecordFacts] | None = None  # per record, when structured or writing a release


def field_name(path: Path) -> str:
    """A leaf's path with array indices folded (``messages[].text``): the unit reports count by."""
    if not path:
        return TEXT_FIELD
    out = ""
    for step in path:
        out += "[]" if isinstance(step, int) else (f".{step}" if out else step)
    return out


class Scanner:
    """Built once per process: the engine (NER loads here) and the bit layout for user combos."""

    def __init__(self, cfg: ScanConfig) -> None:
        self.cfg = cfg
        self.engine = Engine.build(cfg.detectors, cfg.release_policy, cfg.keys or KeyRing(), cfg.fields)
        self.fp = cfg.fingerprinter
        self.min_score = cfg.policy.min_score
        combo = cfg.policy.user_combos
        self.entity_bits: dict[str, int] = {}
        for i, e in enumerate([*combo.name_entities, *combo.quasi_entities]):
            self.entity_bits[e] = self.entity_bits.get(e, 0) | 1 << i
        self.memo = TextMemo(self.engine.stack, self.summarize, cfg.detection_cache)
        self.engine.stack = self.memo  # type: ignore[assignment]  # structured records detect through it
        self.qi_columns = {c.casefold() for c in cfg.policy.kanon.columns} if cfg.policy.kanon.enabled else set()
        # Query fields match case-insensitively: AOL's column is 'Query', the default list says 'query'.
        self.rare_fields = [p.casefold() for p in cfg.rare_fields]
        self.field_names: dict[Path, str] = {}
        # Detectors load models and gazetteers lazily, on the first text; doing it here keeps that
        # load out of the first real record's time budget (which would fail it closed).
        self.engine.detect_texts(["Warm-up text from Jane Doe in Boston, jane@example.com."])

    def summarize(self, text: str, detection: Detection) -> TextFacts:
        """The facts of one text from its detection (the costly part: HMACs and masking)."""
        if not detection.findings and detection.failure is None:
            return NO_FACTS
        hits = []
        bits = 0
        for f in detection.findings:
            if f.score < self.min_score:
                continue
            surface = text[f.start:f.end]
            hits.append((f.entity, self.fp.fp(f.entity, normalize_finding(f.entity, surface)),
                         masked_example(surface, f.entity)))
            bits |= self.entity_bits.get(f.entity, 0)
        return tuple(hits), bits, detection.failure

    def scan(self, batch: Batch) -> BatchResult:
        values = batch.values
        release = self.cfg.release_policy is not None
        if set(map(type, values)) == {str}:  # plain text: no engine plan per record
            entries = self.memo.entries(values)
            leaves: list[Leaves] = [((TEXT_FIELD, facts),) for _, facts in entries]
            failures = {i: facts[2] for i, (_, facts) in enumerate(entries) if facts[2]}
            fds = [[FieldDetection((), v, det)] for v, (det, _) in zip(values, entries)] if release else None
        else:
            fds = self.engine.detect_values(values)
            leaves = [tuple((self._field(fd.path), self.memo.facts_of(fd.text, fd.detection)) for fd in row)
                      for row in fds]
            failures = {}
            for i, row in enumerate(leaves):
                failed = next((f[2] for _, f in row if f[2] is not None), None)
                if failed:
                    failures[i] = failed
        result = BatchResult(batch.src, batch.lines, batch.rids, leaves, failures)
        if release or any(isinstance(v, dict) for v in values):
            result.facts = [self._record(v, row, failures.get(i), fds[i] if fds is not None else None)
                            for i, (v, row) in enumerate(zip(values, leaves))]
            result.failures = {i: rf.failure for i, rf in enumerate(result.facts) if rf.failure}
        return result

    def _field(self, path: Path) -> str:
        name = self.field_names.get(path)
        if name is None:
            name = self.field_names[path] = field_name(path)
        return name

    def _record(self, value: Any, row: Leaves, failed: str | None, fds: list[FieldDetection] | None) -> RecordFacts:
        rf = RecordFacts(failure=failed)
        for _, (_, bits, _) in row:
            rf.bits |= bits
        if isinstance(value, dict):
            self._structured(value, rf)
        if fds is not None and self.cfg.release_policy is not None and not failed:
            self._scrub(value, fds, rf)
        return rf

    def _structured(self, value: dict, rf: RecordFacts) -> None:
        fp = self.cfg.fingerprinter
        if self.cfg.user_field:
            user = _get_dotted(value, self.cfg.user_field)
            if user is not None and user != "":
                rf.user = fp.fp("user", normalize_text(str(user)))
        if rf.user is not None and self.rare_fields:
            for path, leaf in leaves(value):
                if leaf is None or isinstance(leaf, (bool, dict, list)) or not path:
                    continue
                folded = tuple(step.casefold() if isinstance(step, str) else step for step in path)
                if any(matches(p, folded) for p in self.rare_fields):
                    norm = normalize_text(str(leaf))
                    if norm:
                        name = field_name(path)
                        rf.rare.append((path, name, fp.fp("rare\x00" + name, norm)))
        if self.qi_columns:
            cols = sorted(k for k in value if isinstance(k, str) and k.casefold() in self.qi_columns)
            if cols:
                key = "\x1f".join(normalize_text(_cell(value[c])) for c in cols)
                rf.kclass = (tuple(cols), fp.fp("kanon\x00" + "\x1f".join(cols), key))

    def _scrub(self, value: Any, fds: list[FieldDetection], rf: RecordFacts) -> None:
        # The release uses the detections the check already made: one detection pass, two uses.
        outcome = self.engine.scrub_detected(value, fds)
        if outcome.failure:
            rf.failure = outcome.failure
        elif outcome.dropped:
            rf.dropped = True
        else:
            rf.scrubbed = outcome.value


class TextMemo:
    """The detector stack with a bounded memory of texts already scanned, and of their facts.

    Query logs repeat themselves (popular queries, templated events, empty strings): a text seen
    before gets the same detection and the same facts (fingerprints, masked examples) without
    running the detectors or the HMACs again. Only successful detections are remembered, so a
    text that failed (time budget) is retried. Least recently used texts are forgotten first.
    With ``size`` 0 nothing is remembered: every text is detected and summarised each time."""

    def __init__(self, stack: DetectorStack, summarize: Callable[[str, Detection], TextFacts], size: int) -> None:
        self.stack = stack
        self.summarize = summarize
        self.size = size
        self.memo: OrderedDict[str, tuple[Detection, TextFacts]] = OrderedDict()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stack, name)

    def detect_batch(self, texts: Sequence[str], *, resolve_overlaps: bool = True) -> list[Detection]:
        """The ``DetectorStack`` interface, for the engine's structured-record path."""
        if not resolve_overlaps or not self.size:
            return self.stack.detect_batch(texts, resolve_overlaps=resolve_overlaps)
        return [det for det, _ in self.entries(texts)]

    def facts_of(self, text: str, detection: Detection) -> TextFacts:
        """The facts of a text the engine just detected (through ``detect_batch``)."""
        entry = self.memo.get(text)
        if entry is not None and entry[0] is detection:
            return entry[1]
        return self.summarize(text, detection)

    def entries(self, texts: Sequence[str]) -> list[tuple[Detection, TextFacts]]:
        """(detection, facts) per text; the texts not remembered are detected in one stack call,
        each distinct text once."""
        if not self.size:
            return [(det, self.summarize(t, det)) for t, det in zip(texts, self.stack.detect_batch(list(texts)))]
        memo = self.memo
        out: list[tuple[Detection, TextFacts] | None] = []
        misses: dict[str, list[int]] = {}
        for i, text in enumerate(texts):
            hit = memo.get(text)
            if hit is not None:
                memo.move_to_end(text)
            else:
                misses.setdefault(text, []).append(i)
            out.append(hit)
        if misses:
            unique = list(misses)
            for text, det in zip(unique, self.stack.detect_batch(unique)):
                entry = (det, self.summarize(text, det))
                for i in misses[text]:
                    out[i] = entry
                if not det.failed:
                    memo[text] = entry
            while len(memo) > self.size:
                memo.popitem(last=False)
        return out  # type: ignore[return-value]


def _cell(v: Any) -> str:
    return "" if v is None else str(v)


def _get_dotted(value: Any, path: str) -> Any:
    for step in path.split("."):
        if not isinstance(value, dict) or step not in value:
            return None
        value = value[step]
    return None if isinstance(value, (dict, list)) else value


_SCANNER: Scanner | None = None


def init_worker(cfg: ScanConfig) -> None:
    """Pool initializer: one engine per worker process."""
    global _SCANNER
    _SCANNER = Scanner(cfg)


def scan_in_worker(batch: Batch) -> BatchResult:
    assert _SCANNER is not None, "init_worker was not called"
    return _SCANNER.scan(batch)
