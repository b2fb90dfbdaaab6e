"""``--write-release DIR``: a scrubbed, k-suppressed copy of the dataset, same layout.

Every record was already scrubbed during the scan (policy ``release`` or ``--scrub-policy``) and
staged; once the scan is complete we know which values are rare, which users are identifiable and
which table rows sit in small classes, and apply that here. File names, folders, formats and
compression are kept, so the release can replace the original in a publishing pipeline; Hugging
Face metadata is rewritten to describe the written data (``scrubber.check.hf``). Records that could
not be read or scanned never reach the release. Writers read their source again for its layout
(schema, CSV header, JSON array or lines) before creating the output; a source that cannot be
read then is left out of the release and reported (``not_written``), like an unreadable input.
"""
from __future__ import annotations

import csv
import gzip
import io
import json
import pickle
from collections import Counter
from contextlib import contextmanager
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from scrubber.check.hf import WrittenTable, class_labels, schema_metadata, write_metadata
from scrubber.check.inputs import Source, is_unreadable, open_arrow, unreadable
from scrubber.check.scan import RecordFacts
from scrubber.fields import set_path
from scrubber.policy import Policy
from scrubber.readers import open_binary

if TYPE_CHECKING:
    from scrubber.check.baseline import Baseline
    from scrubber.check.fingerprint import Fingerprinter
    from scrubber.check.policy import CheckPolicy
    from scrubber.check.runner import Aggregator, CheckOptions, _Staging

SUPPRESSED = "[SUPPRESSED]"
KANON_STAR = "*"


class SourceUnreadable(Exception):
    """A writer could not read its source's layout; the message is the input error's text."""


@contextmanager
def _reading(src: Source) -> Iterator[None]:
    """Turn an unreadable source (corrupt, truncated, gone since the scan) into SourceUnreadable,
    so one bad file leaves a gap in the release and a report entry, not a traceback."""
    try:
        yield
    except Exception as exc:  # noqa: BLE001 - only read failures are converted; the rest re-raised
        if not is_unreadable(exc):
            raise
        raise SourceUnreadable(str(unreadable(exc, src, 0))) from None


@dataclass
class Suppression:
    """What the release removes, by fingerprint, with the actions the policy chose."""

    rare: set[int] = field(default_factory=set)
    users: set[int] = field(default_factory=set)
    classes: set[tuple[tuple[str, ...], int]] = field(default_factory=set)
    rare_action: str = "drop_record"
    user_action: str = "drop_user"
    kanon_action: str = "suppress_values"

    @classmethod
    def from_report_state(cls, agg: "Aggregator", report: dict, policy: "CheckPolicy", baseline: "Baseline",
                          fp: "Fingerprinter") -> "Suppression":
        """Baselined (accepted) values are not suppressed: a reviewer decided they may stay."""
        sup = cls(rare_action=policy.rare_values.action, user_action=policy.user_combos.action,
                  kanon_action=policy.kanon.action)
        if report["rare_values"].get("status") not in ("disabled", "skipped"):
            sup.rare = {v for v, *_ in agg.rare.rare() if not baseline.accepts("rare-value", fp.hex(v))}
        if report["user_combinations"].get("status") not in ("disabled", "skipped") and policy.user_combos.action == "drop_user":
            sup.users = {u for u, *_ in agg.users.flagged() if not baseline.accepts("user-combination", fp.hex(u))}
        if report["k_anonymity"].get("status") not in ("disabled", "not_applicable"):
            sup.classes = {c for c in agg.kanon.small_classes() if not baseline.accepts("k-anonymity", fp.hex(c[1]))}
        return sup

    def apply(self, rf: RecordFacts, stats: Counter) -> Any | None:
        """The record as released, or None when it is withheld."""
        if rf.failure:
            stats["withheld_unscannable"] += 1
            return None
        if rf.dropped:
            stats["dropped_by_scrub_policy"] += 1
            return None
        if rf.user is not None and rf.user in self.users:
            stats["dropped_identifiable_user"] += 1
            return None
        value = rf.scrubbed
        rare_paths = [path for path, _, vfp in rf.rare if vfp in self.rare]
        if rare_paths:
            if self.rare_action == "drop_record":
                stats["dropped_rare_value"] += 1
                return None
            for path in rare_paths:
                _set_if_present(value, path, SUPPRESSED)
            stats["replaced_rare_value"] += len(rare_paths)
        if rf.kclass is not None and rf.kclass in self.classes:
            if self.kanon_action == "drop_records":
                stats["dropped_small_class"] += 1
                return None
            if isinstance(value, dict):
                for col in rf.kclass[0]:
                    if col in value:
                        value[col] = KANON_STAR
            stats["suppressed_small_class"] += 1
        stats["written"] += 1
        return value


def _set_if_present(value: Any, path: tuple, new: Any) -> None:
    try:
        set_path(value, path, new)
    except (KeyError, IndexError, TypeError):
        pass  # the scrub policy removed the field already


def _staged(path: Path | None) -> Iterator[RecordFacts]:
    if path is None:
        return
    with path.open("rb") as fh:
        while True:
            try:
                facts = pickle.load(fh)
            except EOFError:
                return
            yield from facts


def write_release(sources: list[Source], staging: "_Staging", out_dir: Path, sup: Suppression,
                  opts: "CheckOptions", policy: Policy) -> dict:
    """Data files first, then the Hugging Face metadata, rewritten from what was written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    totals: Counter = Counter()
    files: dict[str, dict] = {}
    tables: dict[str, WrittenTable] = {}
    for idx, src in enumerate(sources):
        if src.copy_only:
            continue
        dest = out_dir / src.rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        stats: Counter = Counter()
        rows = (v for v in (sup.apply(rf, stats) for rf in _staged(staging.path(idx))) if v is not None)
        try:
            table = _WRITERS[src.format](src, dest, rows, opts)
        except SourceUnreadable as exc:
            files[src.rel] = {"path": src.rel, "not_written": str(exc)}
            continue
        if table is not None:
            tables[src.rel] = table
        totals.update(stats)
        files[src.rel] = {"path": src.rel, **dict(sorted(stats.items()))}
    for src in sources:
        if src.copy_only:
            (out_dir / src.rel).parent.mkdir(parents=True, exist_ok=True)
            files[src.rel] = write_metadata(src.path, src.rel, out_dir, tables)
    actions = {
        "rare_values": ("records with a rare value dropped" if sup.rare_action == "drop_record"
                        else f"rare values replaced with {SUPPRESSED}"),
        "user_combinations": ("every record of a flagged user dropped" if sup.user_action == "drop_user"
                              else "flagged users kept (their names and places scrubbed by the policy only)"),
        "k_anonymity": ("records in classes below k dropped" if sup.kanon_action == "drop_records"
                        else f"quasi-identifier values of records in classes below k replaced with '{KANON_STAR}'"),
        "unreadable": "records that could not be read or scanned are not in the release",
    }
    out = {"dir": str(out_dir), "scrub_policy": policy.name, "scrub_policy_fingerprint": policy.fingerprint(),
           "actions": actions, "totals": dict(sorted(totals.items())),
           "files": [files[s.rel] for s in sources if s.rel in files]}
    if any(s.copy_only for s in sources):
        out["note"] = ("Hugging Face metadata (dataset_info.json, state.json) is rewritten to describe the "
                       "written data: split counts and sizes, features of columns widened to strings (class "
                       "labels written as their names), a new fingerprint; the source download's size and "
                       "checksums are removed.")
    return out


# --- writers, one per format -----------------------------------------------------------------

@contextmanager
def _open_text_out(src: Source, dest: Path) -> Iterator[IO[str]]:
    """A text stream into ``dest`` with the source's compression; every layer is closed (gzip
    and zstd writers do not close the file they write to)."""
    with dest.open("wb") as raw:
        inner: IO[bytes] = raw
        if src.compression == "gz":
            # mtime=0 and no name: the same release bytes for the same input
            inner = gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0)  # type: ignore[assignment]
        elif src.compression == "zst":
            import zstandard
            inner = zstandard.ZstdCompressor().stream_writer(raw, closefd=False)  # type: ignore[assignment]
        text = io.TextIOWrapper(inner, encoding="utf-8", newline="")  # type: ignore[arg-type]
        try:
            yield text
        finally:
            text.close()


def _write_text(src: Source, dest: Path, rows: Iterator[Any], opts: "CheckOptions") -> None:
    with _open_text_out(src, dest) as out:
        for row in rows:
            out.write((row if isinstance(row, str) else json.dumps(row, ensure_ascii=False)) + "\n")


def _write_jsonl(src: Source, dest: Path, rows: Iterator[Any], opts: "CheckOptions") -> None:
    with _open_text_out(src, dest) as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")


def _write_json(src: Source, dest: Path, rows: Iterator[Any], opts: "CheckOptions") -> None:
    with _reading(src), open_binary(src.path) as fh:
        is_array = fh.read(65536).lstrip().startswith(b"[")
    if not is_array:
        _write_jsonl(src, dest, rows, opts)
        return
    with _open_text_out(src, dest) as out:
        out.write("[")
        for i, row in enumerate(rows):
            out.write(("," if i else "") + "\n" + json.dumps(row, ensure_ascii=False, default=str))
        out.write("\n]\n")


def _write_csv(src: Source, dest: Path, rows: Iterator[Any], opts: "CheckOptions") -> None:
    delimiter = "\t" if src.format == "tsv" else ","
    with _reading(src), open_binary(src.path) as fh:
        text = io.TextIOWrapper(fh, encoding="utf-8", errors="replace", newline="")
        header = next(csv.reader(text, delimiter=delimiter), [])
    with _open_text_out(src, dest) as out:
        writer = csv.writer(out, delimiter=delimiter)
        writer.writerow(header)
        for row in rows:
            writer.writerow(["" if row.get(h) is None else row.get(h) for h in header])


#: A widened column -> the label names its integers stand for (Hugging Face ClassLabel), or None.
Widened = dict[str, list[str] | None]


def _output_schema(schema: Any, opts: "CheckOptions") -> tuple[Any, Widened]:
    """The input schema with scanned numeric columns and quasi-identifier columns widened to
    strings: a rewritten phone number column or a '*' can no longer be an integer."""
    import pyarrow as pa

    from scrubber.fields import FieldSpec
    spec = FieldSpec(scan=opts.fields or ["**"], skip=opts.skip)
    qi = {c.casefold() for c in opts.policy.kanon.columns} if opts.policy.kanon.enabled else set()
    labels = class_labels(schema.metadata)
    as_text: Widened = {}
    new_fields = []
    for f in schema:
        numeric = pa.types.is_integer(f.type) or pa.types.is_floating(f.type) or pa.types.is_decimal(f.type)
        widen = numeric and spec.classify((f.name,))[0] in ("scan", "pii")
        widen |= f.name.casefold() in qi and not pa.types.is_string(f.type) and not pa.types.is_large_string(f.type)
        if widen:
            as_text[f.name] = labels.get(f.name)
            f = pa.field(f.name, pa.string(), nullable=True, metadata=f.metadata)
        new_fields.append(f)
    return pa.schema(new_fields, metadata=schema_metadata(schema.metadata, set(as_text))), as_text


def _as_text(value: Any, names: list[str] | None) -> str:
    """A widened column's value as a string: a class index as its label name (the string feature
    that now describes the column has no names to look it up in), anything else, including an
    index outside the names such as ``datasets``' -1 for "no label", as its digits."""
    if names is not None and isinstance(value, int) and 0 <= value < len(names):
        return names[value]
    return str(value)


def _table_batches(rows: Iterator[Any], schema: Any, as_text: Widened, size: int = 1024) -> Iterator[Any]:
    import pyarrow as pa
    chunk: list[dict] = []

    def flush() -> Any:
        for r in chunk:
            for c, names in as_text.items():
                if r.get(c) is not None and not isinstance(r[c], str):
                    r[c] = _as_text(r[c], names)
        return pa.RecordBatch.from_pylist(chunk, schema=schema)

    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield flush()
            chunk = []
    if chunk:
        yield flush()


def _write_parquet(src: Source, dest: Path, rows: Iterator[Any], opts: "CheckOptions") -> WrittenTable:
    import pyarrow.parquet as pq
    with _reading(src), pq.ParquetFile(src.path) as pf:
        schema, as_text = _output_schema(pf.schema_arrow, opts)
    with pq.ParquetWriter(dest, schema) as writer:
        return _write_batches(writer, _table_batches(rows, schema, as_text), as_text)


def _write_arrow(src: Source, dest: Path, rows: Iterator[Any], opts: "CheckOptions") -> WrittenTable:
    import pyarrow.ipc as ipc
    with _reading(src):
        reader = open_arrow(src.path)
    stream = not hasattr(reader, "num_record_batches")
    schema, as_text = _output_schema(reader.schema, opts)
    with dest.open("wb") as sink:
        writer = ipc.new_stream(sink, schema) if stream else ipc.new_file(sink, schema)
        with writer:
            return _write_batches(writer, _table_batches(rows, schema, as_text), as_text)


def _write_batches(writer: Any, batches: Iterator[Any], as_text: Widened) -> WrittenTable:
    """Rows and Arrow bytes as ``datasets`` counts them (``num_bytes`` is the batches' nbytes)."""
    rows = nbytes = 0
    for batch in batches:
        writer.write_batch(batch)
        rows += batch.num_rows
        nbytes += batch.nbytes
    return WrittenTable(rows, nbytes, frozenset(as_text))


_WRITERS = {"text": _write_text, "jsonl": _write_jsonl, "json": _write_json, "csv": _write_csv,
            "tsv": _write_csv, "parquet": _write_parquet, "arrow": _write_arrow}
