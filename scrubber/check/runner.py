"""Orchestration of ``scrubber check``: read, scan in parallel, merge in order, decide, report.

The parent process reads the files and merges results; worker processes (``--jobs``) run the
detectors, which is where the time goes. Batches are submitted with a bounded window and merged
strictly in input order, so memory stays bounded and the report does not depend on which worker
finished first. The report is a plain dict with no raw values; every output format renders it.
"""
from __future__ import annotations

import multiprocessing as mp
import pickle
import shutil
import sys
import tempfile
from collections import Counter, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any

from detectors.entities import kind_of
from detectors.settings import DetectorSettings
from scrubber.check.baseline import Baseline, BaselineError, load_baseline, write_baseline
from scrubber.check.fingerprint import Fingerprinter, make_fingerprinter
from scrubber.check.inputs import Source, discover, file_size, iter_batches
from scrubber.check.kanon import KAnonCounter
from scrubber.check.policy import CheckPolicy
from scrubber.check.risk import RareCounter, UserCombos
from scrubber.check.scan import Batch, BatchResult, ScanConfig, Scanner, init_worker, scan_in_worker
from scrubber.decode import DecodeLimits
from scrubber.fields import FieldSpec
from scrubber.keys import KeyRing
from scrubber.policy import Policy

BATCH = 256
EXAMPLES = 5            # masked examples per entity / per check
LOCATIONS = 200         # file:line locations kept per rule (SARIF, Markdown)
INPUT_ERRORS = 200      # input errors listed (all are counted)
SUPPRESS_LIST = 1000    # fingerprints listed in the report's "what to suppress"
REPORT_VERSION = 1

RULE_RARE = "rare-value"
RULE_USER = "user-combination"
RULE_KANON = "k-anonymity"
RULE_SCAN_FAILURE = "scan-failure"
RULE_INPUT = "input-error"


class UsageError(ValueError):
    """Bad options or inputs: exit 2 with this message (never holding a raw value)."""


@dataclass
class CheckOptions:
    paths: list[Path]
    policy: CheckPolicy = field(default_factory=CheckPolicy)
    policy_source: str = "built-in strict defaults"
    detectors: DetectorSettings = field(default_factory=DetectorSettings)
    fields: list[str] = field(default_factory=list)
    skip: list[str] = field(default_factory=list)
    id_field: str | None = None
    user_field: str | None = None
    query_fields: list[str] = field(default_factory=list)
    keys: KeyRing = field(default_factory=KeyRing)
    jobs: int = 1
    baseline: Path | None = None
    update_baseline: bool = False
    write_release: Path | None = None
    scrub_policy: Policy | None = None
    progress: bool = False
    timestamp: bool = False
    limits: DecodeLimits = field(default_factory=DecodeLimits)
    batch_size: int = BATCH
    detection_cache: int = 100_000


@dataclass
class EntityStats:
    count: int = 0
    baselined: int = 0
    records: int = 0
    fields: Counter = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)
    locations: list[dict] = field(default_factory=list)
    fps: dict[int, str] = field(default_factory=dict)   # only with --update-baseline: fp -> example
    last_record: int = -1                               # the last record counted in ``records``


class Aggregator:
    """Merges batch results in input order into counts, examples and the risk counters."""

    def __init__(self, opts: CheckOptions, sources: list[Source], fp: Fingerprinter, baseline: Baseline) -> None:
        self.opts, self.sources, self.fp, self.baseline = opts, sources, fp, baseline
        pol = opts.policy
        self.entities: dict[str, EntityStats] = {}
        # An empty baseline accepts nothing: skip the per-finding lookup (and its hex string).
        self.accepts = baseline.accepts if len(baseline) else None
        self.rare = RareCounter(pol.rare_k)
        combos = pol.user_combos
        name_mask = (1 << len(combos.name_entities)) - 1
        quasi_mask = ((1 << len(combos.quasi_entities)) - 1) << len(combos.name_entities)
        self.users = UserCombos(name_mask, quasi_mask, combos.min_quasi)
        self.kanon = KAnonCounter(pol.kanon_k)
        self.records = 0
        self.records_per_source: Counter = Counter()
        self.input_errors: list[dict] = []
        self.input_error_count = 0
        self.sources_with_errors: set[int] = set()
        self.scan_failures: list[dict] = []
        self.scan_failure_count = 0
        self.records_with_user = 0
        self.records_with_rare_field = 0

    def input_error(self, src: int, line: int, reason: str) -> None:
        self.input_error_count += 1
        self.sources_with_errors.add(src)
        if len(self.input_errors) < INPUT_ERRORS:
            self.input_errors.append({"file": self.sources[src].display, "line": line, "reason": reason})

    def add(self, result: BatchResult) -> None:
        first = self.records  # the number of the batch's first record over the whole run
        self.records += len(result.lines)
        self.records_per_source[result.src] += len(result.lines)
        for i, row in enumerate(result.leaves):
            for name, (hits, _, _) in row:
                for entity, vfp, masked in hits:
                    self._hit(entity, name, vfp, masked, result, i, first + i)
        for i, reason in result.failures.items():
            self.scan_failure_count += 1
            if len(self.scan_failures) < INPUT_ERRORS:
                self.scan_failures.append({"file": self.sources[result.src].display, "line": result.lines[i],
                                           "reason": reason})
        for rf in result.facts or ():
            if rf.user is not None:
                self.records_with_user += 1
                self.users.add(rf.user, rf.bits)
                if rf.rare:
                    self.records_with_rare_field += 1
                for _, name, vfp in rf.rare:
                    self.rare.add(name, vfp, rf.user)
            if rf.kclass is not None:
                self.kanon.add(*rf.kclass)

    def _hit(self, entity: str, name: str, vfp: int, masked: str, result: BatchResult, i: int, record: int) -> None:
        """One finding of record ``i`` of the batch (``record``: its number over the run)."""
        st = self.entities.get(entity)
        if st is None:
            st = self.entities[entity] = EntityStats()
        accepted = self.accepts is not None and self.accepts(entity, self.fp.hex(vfp))
        if accepted:
            st.baselined += 1
        else:
            st.count += 1
            if st.last_record != record:
                st.last_record = record
                st.records += 1
        st.fields[name] += 1
        if len(st.examples) < EXAMPLES and masked not in st.examples:
            st.examples.append(masked)
        if len(st.locations) < LOCATIONS:
            st.locations.append({"file": self.sources[result.src].display, "line": result.lines[i],
                                 "id": result.rids[i] if result.rids is not None else None, "field": name,
                                 "example": masked, "fingerprint": self.fp.hex(vfp) if self.fp.stable else None,
                                 "baselined": accepted})
        if self.opts.update_baseline and not accepted:
            st.fps.setdefault(vfp, masked)


# --- running ---------------------------------------------------------------------------------

def _batches(opts: CheckOptions, sources: list[Source], agg: Aggregator,
             on_file_done: Callable[[Source], None]) -> Iterator[Batch]:
    """Readable records in batches that never span two files (so release staging stays per file).
    Unreadable records are reported to the aggregator as they are met."""
    with_ids = bool(opts.id_field)
    for idx, src in enumerate(sources):
        if src.copy_only:
            continue
        for rb in iter_batches(src, opts.limits, opts.id_field, opts.batch_size, with_ids):
            for rec in rb.errors:
                agg.input_error(idx, rec.line, str(rec.error))
            if rb.values:
                yield Batch(idx, rb.lines, rb.values, rb.ids if with_ids else None)
        on_file_done(src)


def _ordered_map(cfg: ScanConfig, jobs: int, batches: Iterator[Batch]) -> Iterator[BatchResult]:
    """Results in submission order. With jobs > 1, at most ``4 * jobs`` batches are in flight:
    ``Pool.imap`` would read the whole input ahead of the workers."""
    if jobs <= 1:
        scanner = Scanner(cfg)
        for batch in batches:
            yield scanner.scan(batch)
        return
    ctx = mp.get_context("spawn")  # fork after spaCy/threads were loaded is not safe
    with ctx.Pool(jobs, initializer=init_worker, initargs=(cfg,)) as pool:
        window: deque = deque()
        for batch in batches:
            window.append(pool.apply_async(scan_in_worker, (batch,)))
            if len(window) >= 4 * jobs:
                yield window.popleft().get()
        while window:
            yield window.popleft().get()


class _Staging:
    """Scrubbed records on their way to the release, one pickle stream per source file, so the
    suppression decided at the end of the scan can be applied without scanning twice."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="scrubber-check-"))
        self.files: dict[int, IO[bytes]] = {}

    def add(self, result: BatchResult) -> None:
        if not result.facts:
            return
        fh = self.files.get(result.src)
        if fh is None:
            fh = self.files[result.src] = (self.dir / f"{result.src}.pickle").open("wb")
        pickle.dump(result.facts, fh, protocol=pickle.HIGHEST_PROTOCOL)

    def path(self, src: int) -> Path | None:
        fh = self.files.get(src)
        if fh is None:
            return None
        fh.close()
        return Path(fh.name)

    def close(self) -> None:
        for fh in self.files.values():
            fh.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def run_check(opts: CheckOptions) -> dict:
    """Run the whole check; returns the report dict (``report["exit_code"]`` is the verdict).
    Raises ``UsageError`` for problems that prevent a check (exit 2)."""
    from scrubber.check.inputs import InputError
    try:
        sources, skipped = discover(opts.paths)
    except InputError as exc:
        raise UsageError(str(exc)) from None
    fp = make_fingerprinter(opts.keys)
    baseline = Baseline(fp.key_id)
    if opts.baseline is not None or opts.update_baseline:
        if not fp.stable:
            raise UsageError("--baseline and --update-baseline need a stable key for fingerprints: set "
                             "SCRUBBER_PSEUDONYM_KEY or SCRUBBER_PSEUDONYM_KEY_FILE (generate one with "
                             "`scrubber keygen`)")
        if opts.baseline is None:
            raise UsageError("--update-baseline needs --baseline FILE (where to write it)")
        if opts.baseline.exists():
            try:
                baseline = load_baseline(opts.baseline, fp.key_id)
            except BaselineError as exc:
                if not opts.update_baseline:
                    raise UsageError(str(exc)) from None
        elif not opts.update_baseline:
            raise UsageError(f"{opts.baseline}: no such baseline file (create it with --update-baseline)")
    if opts.update_baseline:
        baseline = Baseline(fp.key_id)  # rebuilt from this run's findings, accepted below
    release_policy = None
    if opts.write_release is not None:
        from scrubber.policy import BUILTIN_POLICIES
        release_policy = opts.scrub_policy or BUILTIN_POLICIES["release"]
        if opts.write_release.exists() and any(opts.write_release.iterdir()):
            raise UsageError(f"{opts.write_release}: release folder exists and is not empty")
        resolved_inputs = {p.resolve() for p in opts.paths}
        if opts.write_release.resolve() in resolved_inputs:
            raise UsageError("--write-release must not be an input folder")
    rare_fields = [*opts.policy.rare_values.fields, *opts.query_fields] if opts.policy.rare_values.enabled else []
    fields = FieldSpec(scan=opts.fields or ["**"], skip=opts.skip)
    cfg = ScanConfig(detectors=opts.detectors, fields=fields, policy=opts.policy, fingerprinter=fp,
                     user_field=opts.user_field, rare_fields=rare_fields if opts.user_field else [],
                     release_policy=release_policy, keys=opts.keys, detection_cache=opts.detection_cache)
    if release_policy is not None:
        from scrubber.transform import Transformer
        from scrubber.keys import KeyConfigError
        try:
            Transformer(release_policy, opts.keys)
        except KeyConfigError as exc:
            raise UsageError(f"--scrub-policy: {exc}") from None

    agg = Aggregator(opts, sources, fp, baseline)
    staging = _Staging() if release_policy is not None else None
    progress = _Progress(sources) if opts.progress else None
    try:
        batches = _batches(opts, sources, agg, progress.file_done if progress else (lambda s: None))
        for result in _ordered_map(cfg, max(1, opts.jobs), batches):
            agg.add(result)
            if staging is not None:
                staging.add(result)
            if progress:
                progress.records(len(result.lines))
        if progress:
            progress.stop()
        report = build_report(opts, sources, skipped, agg, fp, baseline, release_policy)
        if opts.update_baseline and opts.baseline is not None:
            entries = baseline_entries(agg, report, opts.policy)
            write_baseline(opts.baseline, fp.key_id, entries)
            baseline = accept_all(agg, opts.policy, entries, fp.key_id)
            report = build_report(opts, sources, skipped, agg, fp, baseline, release_policy)
            report["baseline"]["updated"] = True
        if staging is not None and opts.write_release is not None:
            from scrubber.check.release import Suppression, write_release
            sup = Suppression.from_report_state(agg, report, opts.policy, baseline, fp)
            release = write_release(sources, staging, opts.write_release, sup, opts, release_policy)
            if _unwritten_are_new_errors(agg, sources, release):
                updated = report["baseline"]["updated"]
                report = build_report(opts, sources, skipped, agg, fp, baseline, release_policy)
                report["baseline"]["updated"] = updated
            report["release"] = release
    finally:
        if progress:
            progress.stop()
        if staging is not None:
            staging.close()
    return report


def _unwritten_are_new_errors(agg: Aggregator, sources: list[Source], release: dict) -> bool:
    """Record the files the release could not read (``not_written``) as input errors, so the
    verdict is an input error (exit 2). A file the scan already found unreadable is not counted
    twice. True when the report must be rebuilt."""
    index = {s.rel: i for i, s in enumerate(sources)}
    new = False
    for entry in release["files"]:
        idx = index[entry["path"]]
        if "not_written" in entry and idx not in agg.sources_with_errors:
            agg.input_error(idx, 1, f"not in the release: {entry['not_written']}")
            new = True
    return new


class _Progress:
    """A rich progress bar on stderr (only created when stderr is a terminal)."""

    def __init__(self, sources: list[Source]) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeElapsedColumn
        self.progress = Progress(TextColumn("checking"), BarColumn(), DownloadColumn(),
                                 TextColumn("{task.fields[records]} records"), TimeElapsedColumn(),
                                 console=Console(stderr=True), transient=True)
        total = sum(file_size(s) for s in sources if not s.copy_only)
        self.task = self.progress.add_task("check", total=total or None, records=0)
        self.count = 0
        self.progress.start()
        self.running = True

    def file_done(self, src: Source) -> None:
        self.progress.advance(self.task, file_size(src))

    def records(self, n: int) -> None:
        self.count += n
        self.progress.update(self.task, records=self.count)

    def stop(self) -> None:
        if self.running:
            self.progress.stop()
            self.running = False


# --- deciding and reporting ------------------------------------------------------------------

def _limit_text(max_count: int | None, max_rate: float | None) -> str:
    parts = []
    if max_count is not None:
        parts.append(f"max {max_count}")
    if max_rate is not None:
        parts.append(f"max rate {max_rate:g}")
    return ", ".join(parts) or "no limit"


def build_report(opts: CheckOptions, sources: list[Source], skipped: list[str], agg: Aggregator,
                 fp: Fingerprinter, baseline: Baseline, release_policy: Policy | None) -> dict:
    pol = opts.policy
    violations: list[dict] = []
    records = agg.records

    entities: dict[str, dict] = {}
    for name in sorted(agg.entities):
        st = agg.entities[name]
        rule = pol.rule_for(name)
        rate = st.records / records if records else 0.0
        exceeded = rule is not None and (
            (rule.max_count is not None and st.count > rule.max_count) or
            (rule.max_rate is not None and rate > rule.max_rate))
        status = "ok"
        if exceeded:
            status = "fail" if rule.fatal else "warn"
            violations.append({"check": "identifiers", "rule": name, "fatal": rule.fatal,
                               "message": f"{st.count} {name} finding(s) in {st.records} record(s) "
                                          f"({_limit_text(rule.max_count, rule.max_rate)})"})
        entities[name] = {
            "kind": kind_of(name).value, "count": st.count, "baselined": st.baselined, "records": st.records,
            "rate": round(rate, 6), "limit": _limit_text(rule.max_count, rule.max_rate) if rule else "no limit",
            "fatal": bool(rule and rule.fatal), "status": status, "examples": st.examples,
            "fields": dict(sorted(st.fields.items())),
        }

    fields: dict[str, dict[str, int]] = {}
    for name, st in agg.entities.items():
        for fld, n in st.fields.items():
            fields.setdefault(fld, {})[name] = n
    fields = {f: dict(sorted(v.items())) for f, v in sorted(fields.items())}

    rare_section = _rare_section(opts, agg, fp, baseline, violations)
    users_section = _users_section(opts, agg, fp, baseline, violations)
    kanon_section = _kanon_section(opts, agg, fp, baseline, violations)

    if agg.scan_failure_count:
        violations.append({"check": "scan", "rule": RULE_SCAN_FAILURE, "fatal": True,
                           "message": f"{agg.scan_failure_count} record(s) could not be scanned (detector "
                                      "failure or time budget): they may hold anything"})
    if agg.input_error_count:
        violations.append({"check": "input", "rule": RULE_INPUT, "fatal": True,
                           "message": f"{agg.input_error_count} unreadable record(s) or file part(s)"})

    if agg.input_error_count:
        verdict, code = "error", 2
    elif any(v["fatal"] for v in violations):
        verdict, code = "fail", 1
    else:
        verdict, code = "pass", 0

    files = []
    for i, s in enumerate(sources):
        files.append({"path": s.display, "format": s.format, "compression": s.compression or None,
                      "records": agg.records_per_source.get(i, 0), "bytes": file_size(s),
                      "copy_only": s.copy_only})
    report: dict[str, Any] = {
        "report_version": REPORT_VERSION,
        "tool": "scrubber check",
        "verdict": verdict,
        "exit_code": code,
        "summary": {
            "files": sum(1 for s in sources if not s.copy_only), "records": records,
            "bytes": sum(f["bytes"] for f in files if not f["copy_only"]),
            "findings": sum(e["count"] for e in entities.values()),
            "baselined": sum(e["baselined"] for e in entities.values()),
            "fatal_violations": sum(1 for v in violations if v["fatal"]),
            "warnings": sum(1 for v in violations if not v["fatal"]),
            "input_errors": agg.input_error_count, "scan_failures": agg.scan_failure_count,
        },
        "settings": {
            "policy": pol.name, "policy_source": opts.policy_source, "k": pol.k, "min_score": pol.min_score,
            "ner": opts.detectors.ner.mode, "fields": opts.fields or ["**"], "skip": opts.skip,
            "id_field": opts.id_field, "user_field": opts.user_field,
            "query_fields": sorted(set(rare_section.get("fields", []))),
        },
        "fingerprints": {
            "stable": fp.stable, "key_id": fp.key_id,
            "note": ("keyed with the pseudonym key: stable across runs" if fp.stable else
                     "no SCRUBBER_PSEUDONYM_KEY: a random key was used for this run, fingerprints are not "
                     "stable and are omitted from this report"),
        },
        "baseline": {"file": str(opts.baseline) if opts.baseline else None, "entries": len(baseline),
                     "updated": False},
        "inputs": {"files": files, "skipped": skipped},
        "entities": entities,
        "fields": fields,
        "rare_values": rare_section,
        "user_combinations": users_section,
        "k_anonymity": kanon_section,
        "input_errors": {"count": agg.input_error_count, "items": sorted(agg.input_errors, key=_loc_key)},
        "scan_failures": {"count": agg.scan_failure_count, "items": sorted(agg.scan_failures, key=_loc_key)},
        "violations": sorted(violations, key=lambda v: (not v["fatal"], v["check"], v["rule"])),
        "locations": {name: st.locations for name, st in sorted(agg.entities.items())},
    }
    if opts.timestamp:
        report["timestamp"] = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
    return report


def _loc_key(item: dict) -> tuple:
    return (item["file"], item["line"])


def _fp_out(fp: Fingerprinter, value: int) -> str | None:
    return fp.hex(value) if fp.stable else None


def _rare_section(opts: CheckOptions, agg: Aggregator, fp: Fingerprinter, baseline: Baseline,
                  violations: list[dict]) -> dict:
    rv = opts.policy.rare_values
    if not rv.enabled:
        return {"status": "disabled"}
    if not opts.user_field:
        return {"status": "skipped", "reason": "no --user-field: distinct users cannot be counted"}
    if agg.rare.occurrences == 0:
        return {"status": "not_applicable", "k": opts.policy.rare_k,
                "reason": "no query field found in records with a user (looked for: "
                          + ", ".join(sorted(set([*rv.fields, *opts.query_fields])))
                          + "); name them with --query-field"}
    fields_seen: Counter = Counter()
    rare_n = records = baselined = 0
    suppress: list[dict] = []
    for vfp, name, users, recs in agg.rare.rare():
        if baseline.accepts(RULE_RARE, fp.hex(vfp)):
            baselined += 1
            continue
        rare_n += 1
        records += recs
        fields_seen[name] += 1
        if len(suppress) < SUPPRESS_LIST and fp.stable:
            suppress.append({"fingerprint": fp.hex(vfp), "field": name, "users": users, "records": recs})
    status = "ok"
    if rare_n > rv.max_count:
        status = "fail" if rv.fatal else "warn"
        violations.append({"check": "rare_values", "rule": RULE_RARE, "fatal": rv.fatal,
                           "message": f"{rare_n} distinct value(s) issued by fewer than {opts.policy.rare_k} "
                                      f"users, in {records} record(s) (max {rv.max_count})"})
    return {
        "status": status, "k": opts.policy.rare_k, "fields": sorted(set([*rv.fields, *opts.query_fields])),
        "fields_found": dict(sorted(fields_seen.items())),
        "records_with_user": agg.records_with_user, "records_with_query_field": agg.records_with_rare_field,
        "occurrences": agg.rare.occurrences, "distinct_values": agg.rare.distinct,
        "rare_values": rare_n, "records_affected": records, "baselined": baselined,
        "action": rv.action, "suppress": suppress, "suppress_listed": len(suppress),
    }


def _users_section(opts: CheckOptions, agg: Aggregator, fp: Fingerprinter, baseline: Baseline,
                   violations: list[dict]) -> dict:
    uc = opts.policy.user_combos
    if not uc.enabled:
        return {"status": "disabled"}
    if not opts.user_field:
        return {"status": "skipped", "reason": "no --user-field: records cannot be grouped by user"}
    labels = [*uc.name_entities, *uc.quasi_entities]
    flagged = records = baselined = 0
    combos: Counter = Counter()
    suppress: list[dict] = []
    for ufp, bits, recs in agg.users.flagged():
        if baseline.accepts(RULE_USER, fp.hex(ufp)):
            baselined += 1
            continue
        flagged += 1
        records += recs
        ents = [labels[i] for i in range(len(labels)) if bits >> i & 1]
        combos[" + ".join(ents)] += 1
        if len(suppress) < SUPPRESS_LIST and fp.stable:
            suppress.append({"fingerprint": fp.hex(ufp), "entities": ents, "records": recs})
    status = "ok"
    if flagged > uc.max_count:
        status = "fail" if uc.fatal else "warn"
        violations.append({"check": "user_combinations", "rule": RULE_USER, "fatal": uc.fatal,
                           "message": f"{flagged} user(s) whose records combine a person name with "
                                      f"{uc.min_quasi}+ quasi-identifier(s), {records} record(s) (max {uc.max_count})"})
    return {
        "status": status, "users": agg.users.users, "users_flagged": flagged, "records_affected": records,
        "baselined": baselined, "min_quasi": uc.min_quasi, "name_entities": uc.name_entities,
        "quasi_entities": uc.quasi_entities, "combinations": dict(sorted(combos.items())),
        "action": uc.action, "suppress": suppress, "suppress_listed": len(suppress),
    }


def _kanon_section(opts: CheckOptions, agg: Aggregator, fp: Fingerprinter, baseline: Baseline,
                   violations: list[dict]) -> dict:
    ka = opts.policy.kanon
    if not ka.enabled:
        return {"status": "disabled"}
    if not agg.kanon.classes:
        return {"status": "not_applicable", "reason": "no quasi-identifier columns found",
                "columns_configured": ka.columns, "k": opts.policy.kanon_k}
    groups = agg.kanon.summary()
    # baselined classes are accepted: they do not count towards records below k
    accepted = 0
    for g in groups:
        cols = tuple(g["columns"])
        for cfp, n in agg.kanon.classes[cols].items():
            if n < agg.kanon.k and baseline.accepts(RULE_KANON, fp.hex(cfp)):
                g["records_below_k"] -= n
                g["classes_below_k"] -= 1
                accepted += 1
    below = sum(g["records_below_k"] for g in groups)
    status = "ok"
    if below > ka.max_records_below_k:
        status = "fail" if ka.fatal else "warn"
        smallest = min(g["min_k"] for g in groups)
        violations.append({"check": "k_anonymity", "rule": RULE_KANON, "fatal": ka.fatal,
                           "message": f"{below} record(s) in equivalence classes smaller than k={agg.kanon.k} "
                                      f"(smallest class: {smallest}; max {ka.max_records_below_k})"})
    return {"status": status, "k": agg.kanon.k, "groups": groups, "records_below_k": below,
            "baselined_classes": accepted, "action": ka.action}


# --- baselines -------------------------------------------------------------------------------

def baseline_entries(agg: Aggregator, report: dict, policy: CheckPolicy) -> list[dict]:
    """Every finding that counts against a limit, as accepted-baseline entries."""
    fp = agg.fp
    out: list[dict] = []
    for name, st in agg.entities.items():
        rule = policy.rule_for(name)
        if rule is None or (rule.max_count is None and rule.max_rate is None):
            continue  # report-only entities need no acceptance
        for value_fp, masked in st.fps.items():
            out.append({"rule": name, "fingerprint": fp.hex(value_fp), "example": masked})
    if report["rare_values"].get("status") not in ("disabled", "skipped"):
        for vfp, name, users, _ in agg.rare.rare():
            out.append({"rule": RULE_RARE, "fingerprint": fp.hex(vfp), "field": name})
    if report["user_combinations"].get("status") not in ("disabled", "skipped"):
        for ufp, _, _ in agg.users.flagged():
            out.append({"rule": RULE_USER, "fingerprint": fp.hex(ufp)})
    for cols, cfp in sorted(agg.kanon.small_classes()):
        out.append({"rule": RULE_KANON, "fingerprint": fp.hex(cfp), "columns": list(cols)})
    return out


def accept_all(agg: Aggregator, policy: CheckPolicy, entries: list[dict], key_id: str | None) -> Baseline:
    """After --update-baseline every current finding is accepted: move the counted findings of
    limited entities to 'baselined' and return the new baseline, so the report is decided the way
    the next run with this baseline will decide it."""
    for name, st in agg.entities.items():
        rule = policy.rule_for(name)
        if rule is not None and (rule.max_count is not None or rule.max_rate is not None):
            st.baselined += st.count
            st.count = st.records = 0
    new = Baseline(key_id)
    for e in entries:
        new.entries[(e["rule"], e["fingerprint"])] = e
    return new


def is_terminal() -> bool:
    return sys.stderr.isatty()
