"""The per-batch work of a check, run in worker processes: detect, fingerprint, and (for
``--write-release``) scrub. It returns compact per-record facts, never raw values, except the
scrubbed records themselves, which go to the release staging files.

Everything here is a pure function of the batch and the ``ScanConfig``, so a batch gives the same
result in any process, and the parent can merge results in input order for a deterministic report.
"""
from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
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


@dataclass(slots=True)
class Hit:
    """One finding: where, what entity, its fingerprint and a masked example."""

    entity: str
    field: str
    fp: int
    masked: str
    src: int
    line: int
    record: int  # index of the record in its batch


@dataclass(slots=True)
class RecordFacts:
    """What the aggregate checks and the release writer need to know about one record."""

    src: int
    line: int
    rid: str | None = None                                           # --id-field value, for reports
    user: int | None = None
    rare: list[tuple[Path, str, int]] = field(default_factory=list)   # (path, field name, value fp)
    bits: int = 0                                                    # user-combo entity bits
    kclass: tuple[tuple[str, ...], int] | None = None                # (QI columns, class fp)
    failure: str | None = None
    dropped: bool = False
    scrubbed: Any = None


@dataclass
class BatchResult:
    hits: list[Hit]
    facts: list[RecordFacts]


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
        if cfg.detection_cache > 0:
            self.engine.stack = CachedStack(self.engine.stack, cfg.detection_cache)  # type: ignore[assignment]
        combo = cfg.policy.user_combos
        self.name_bits = {e: 1 << i for i, e in enumerate(combo.name_entities)}
        offset = len(self.name_bits)
        self.quasi_bits = {e: 1 << (offset + i) for i, e in enumerate(combo.quasi_entities)}
        self.qi_columns = {c.casefold() for c in cfg.policy.kanon.columns} if cfg.policy.kanon.enabled else set()
        # Query fields match case-insensitively: AOL's column is 'Query', the default list says 'query'.
        self.rare_fields = [p.casefold() for p in cfg.rare_fields]
        # Detectors load models and gazetteers lazily, on the first text; doing it here keeps that
        # load out of the first real record's time budget (which would fail it closed).
        self.engine.detect_texts(["Warm-up text from Jane Doe in Boston, jane@example.com."])

    def scan(self, batch: list[tuple[int, int, Any, str | None]]) -> BatchResult:
        """``batch``: (source index, line, value, record id) of readable records."""
        fp = self.cfg.fingerprinter
        min_score = self.cfg.policy.min_score
        values = [v for _, _, v, _ in batch]
        detections = self.engine.detect_values(values)
        hits: list[Hit] = []
        facts: list[RecordFacts] = []
        for i, ((src, line, value, rid), fds) in enumerate(zip(batch, detections)):
            rf = RecordFacts(src, line, rid)
            failed = next((fd.detection.failure for fd in fds if fd.detection.failed), None)
            if failed:
                rf.failure = failed
            for fd in fds:
                for f in fd.detection.findings:
                    if f.score < min_score:
                        continue
                    surface = fd.text[f.start:f.end]
                    hits.append(Hit(f.entity, field_name(fd.path), fp.fp(f.entity, normalize_finding(f.entity, surface)),
                                    masked_example(surface, f.entity), src, line, i))
                    rf.bits |= self.name_bits.get(f.entity, 0) | self.quasi_bits.get(f.entity, 0)
            if isinstance(value, dict):
                self._structured(value, rf)
            if self.cfg.release_policy is not None and not failed:
                self._scrub(value, fds, rf)
            facts.append(rf)
        return BatchResult(hits, facts)

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


class CachedStack:
    """The detector stack with a bounded memory of texts already scanned.

    Query logs repeat themselves (popular queries, templated events, empty strings): a text seen
    before gets the same findings without running the detectors again. Only successful detections
    are remembered, so a text that failed (time budget) is retried. Least recently used texts are
    forgotten first."""

    def __init__(self, stack: DetectorStack, size: int) -> None:
        self.stack = stack
        self.size = size
        self.memo: OrderedDict[str, Detection] = OrderedDict()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stack, name)

    def detect_batch(self, texts: Sequence[str], *, resolve_overlaps: bool = True) -> list[Detection]:
        if not resolve_overlaps:
            return self.stack.detect_batch(texts, resolve_overlaps=False)
        out: list[Detection | None] = []
        misses: dict[str, list[int]] = {}
        for i, text in enumerate(texts):
            hit = self.memo.get(text)
            if hit is not None:
                self.memo.move_to_end(text)
            else:
                misses.setdefault(text, []).append(i)
            out.append(hit)
        if misses:
            unique = list(misses)
            for text, det in zip(unique, self.stack.detect_batch(unique)):
                for i in misses[text]:
                    out[i] = det
                if not det.failed:
                    self.memo[text] = det
            while len(self.memo) > self.size:
                self.memo.popitem(last=False)
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


def scan_in_worker(batch: list[tuple[int, int, Any, str | None]]) -> BatchResult:
    assert _SCANNER is not None, "init_worker was not called"
    return _SCANNER.scan(batch)
