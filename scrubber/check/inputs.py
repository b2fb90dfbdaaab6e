"""Finding and reading the files of a dataset, record by record, with a location for each.

A dataset arrives as files or folders: JSONL/JSON, CSV/TSV, plain text (each optionally gzip or
zstd compressed), Parquet, Arrow, and Hugging Face folders (``save_to_disk``: ``data-*.arrow``
in Arrow IPC *stream* format next to ``dataset_info.json`` / ``state.json``; or parquet shards).
Everything is streamed: text formats line by line, Parquet and Arrow by record batch, so memory
stays bounded whatever the file size (a top-level JSON *array* is the one exception: it is parsed
whole, since it has no record boundaries to stream on).

Every record comes back as a ``scrubber.readers.Record`` whose ``line`` is the 1-based line of a
text file or the 1-based row of a Parquet/Arrow file. A file that cannot be read to the end
(truncated gzip, corrupt Parquet) yields one error record at the position where reading stopped,
so the report can say which file and where, and the run carries on with the next file.
"""
from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scrubber.decode import DecodeError, DecodeLimits, decode_text
from scrubber.readers import Record, RecordBatch, open_binary, read_batches, read_records

COMPRESSIONS = {".gz": "gz", ".zst": "zst"}
TEXT_FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".csv": "csv", ".tsv": "tsv",
                ".txt": "text", ".text": "text", ".log": "text"}
BINARY_FORMATS = {".parquet": "parquet", ".arrow": "arrow"}
#: What a file that cannot be read from its start is not (see ``unreadable``).
FORMAT_NAMES = {"parquet": "Parquet", "arrow": "Arrow IPC", "gz": "gzip", "zst": "zstd"}
#: Hugging Face metadata: copied verbatim into a release, never scanned as data.
HF_METADATA = {"dataset_info.json", "state.json", "dataset_dict.json"}
ROW_BATCH = 1024
UNREADABLE = "unreadable_file"


class InputError(ValueError):
    """An input path does not exist or holds nothing that can be checked (exit 2)."""


@dataclass(frozen=True)
class Source:
    """One file of the dataset. ``rel`` is its path inside the release (``--write-release``) and in
    reports; ``copy_only`` files (Hugging Face metadata) are copied, not scanned."""

    path: Path
    rel: str
    format: str
    compression: str = ""
    copy_only: bool = False

    @property
    def display(self) -> str:
        return self.path.as_posix()


def classify(path: Path) -> tuple[str, str] | None:
    """(format, compression) from the file name, or None when it is not a data file."""
    suffixes = [s.lower() for s in path.suffixes]
    compression = COMPRESSIONS.get(suffixes[-1], "") if suffixes else ""
    if compression:
        suffixes = suffixes[:-1]
    ext = suffixes[-1] if suffixes else ""
    if ext in BINARY_FORMATS and not compression:
        return BINARY_FORMATS[ext], ""
    if ext in TEXT_FORMATS:
        return TEXT_FORMATS[ext], compression
    return None


def discover(paths: list[Path]) -> tuple[list[Source], list[str]]:
    """The sources under ``paths`` in a stable order, and the files skipped (not data).

    A file given explicitly with an unknown extension is read as plain text; inside folders,
    unknown files are skipped and listed in the report, so nothing is silently left out."""
    sources: list[Source] = []
    skipped: list[str] = []
    seen_rel: set[str] = set()
    for arg in paths:
        if not arg.exists():
            raise InputError(f"{arg}: no such file or folder")
        if arg.is_file():
            fmt = classify(arg) or ("text", COMPRESSIONS.get(arg.suffix.lower(), ""))
            # Files named one by one (pre-commit passes many) keep their own name in a release, or
            # their relative path when two share a name (data/a/train.jsonl, data/b/train.jsonl).
            rel = arg.name if arg.name not in seen_rel else arg.as_posix().lstrip("/")
            _add(sources, seen_rel, Source(arg, rel, *fmt))
            continue
        for root, dirs, files in os.walk(arg):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(files):
                if name.startswith("."):
                    continue
                path = Path(root) / name
                rel = (Path(arg.resolve().name or "dataset") / path.relative_to(arg)).as_posix()
                if name in HF_METADATA:
                    _add(sources, seen_rel, Source(path, rel, "metadata", copy_only=True))
                    continue
                fmt = classify(path)
                if fmt is None:
                    skipped.append(path.as_posix())
                    continue
                _add(sources, seen_rel, Source(path, rel, *fmt))
    if not any(not s.copy_only for s in sources):
        raise InputError("no data files found in " + ", ".join(map(str, paths)))
    return sources, skipped


def _add(sources: list[Source], seen: set[str], src: Source) -> None:
    if src.rel in seen:
        raise InputError(f"{src.path}: two inputs would share the name {src.rel!r} in a release")
    seen.add(src.rel)
    sources.append(src)


def iter_batches(src: Source, limits: DecodeLimits | None = None, id_field: str | None = None,
                 size: int = 1024, with_ids: bool = True) -> Iterator[RecordBatch]:
    """Every record of ``src`` in file order, in batches of ``size`` readable records; unreadable
    parts become error records, never exceptions (so one bad file cannot abort a check of many).
    A file that cannot be read to the end gets one error record after the last record read."""
    limits = limits or DecodeLimits()
    last = 0
    for batch in _source_batches(src, limits, id_field or "id", size, with_ids):
        last = batch.last_line or last
        if batch.broken is not None:
            exc, batch.broken = batch.broken, None
            if not is_unreadable(exc):
                raise exc
            batch.errors.append(Record(last + 1, str(last + 1), error=unreadable(exc, src, last)))
        yield batch


def is_unreadable(exc: BaseException) -> bool:
    """Whether ``exc`` says the file cannot be read (further): gzip.BadGzipFile / EOFError
    (truncated), zstd.ZstdError, pyarrow.ArrowInvalid (a ValueError), OSError. Anything else is a
    bug, not bad input, and must not be reported as one."""
    if isinstance(exc, (EOFError, OSError, ValueError, UnicodeDecodeError)):
        return True
    # zstandard.ZstdError and pyarrow errors have no shared base
    return type(exc).__module__.split(".")[0] in ("zstandard", "pyarrow", "_zstd")


def unreadable(exc: BaseException, src: Source, last_read: int) -> DecodeError:
    """The input error for a file that ``exc`` stopped after its line or row ``last_read`` (0:
    nothing was read). It says what is wrong in fixed words plus the exception's type, never the
    library's message: a parser may quote the bytes it stopped at, which can be data."""
    kind = type(exc).__name__
    if isinstance(exc, EOFError):
        return DecodeError(UNREADABLE, f"truncated compressed stream ({kind})")
    if isinstance(exc, OSError) and exc.errno:   # the OS's own words: missing, no permission...
        return DecodeError(UNREADABLE, f"cannot read: {os.strerror(exc.errno)} ({kind})")
    name = FORMAT_NAMES.get(src.format) or FORMAT_NAMES.get(src.compression)
    if name and not last_read:
        what = "empty file" if file_size(src) == 0 else "corrupt, truncated or another format"
        return DecodeError(UNREADABLE, f"not a readable {name} file: {what} ({kind})")
    return DecodeError(UNREADABLE, f"cannot read further: truncated or corrupt ({kind})")


def _source_batches(src: Source, limits: DecodeLimits, id_field: str, size: int,
                    with_ids: bool) -> Iterator[RecordBatch]:
    """Line formats through the batch reader; row formats (Parquet, Arrow, CSV, a JSON document)
    record by record, grouped into batches."""
    fmt = src.format
    try:
        if fmt == "json" and _json_is_lines(src.path):
            fmt = "jsonl"
    except Exception as exc:  # noqa: BLE001 - classified by iter_batches, like any read failure
        yield RecordBatch(broken=exc)
        return
    if fmt in ("text", "jsonl"):
        yield from read_batches(src.path, fmt, limits, id_field, size, with_ids)  # type: ignore[arg-type]
        return
    batch = RecordBatch()
    try:
        for rec in _records(src, limits, id_field):
            if rec.error is not None:
                batch.errors.append(rec)
                continue
            batch.lines.append(rec.line)
            batch.values.append(rec.value)
            if with_ids:
                batch.ids.append(rec.id)
            if len(batch.values) >= size:
                yield batch
                batch = RecordBatch()
    except Exception as exc:  # noqa: BLE001 - handed on with the records read before it
        batch.broken = exc
    if batch.values or batch.errors or batch.broken is not None:
        yield batch


def _records(src: Source, limits: DecodeLimits, id_field: str) -> Iterator[Record]:
    if src.format == "parquet":
        yield from _parquet(src.path, id_field)
    elif src.format == "arrow":
        yield from _arrow(src.path, id_field)
    elif src.format == "json":
        yield from _json(src.path, limits, id_field)
    else:
        yield from read_records(src.path, src.format, limits, id_field=id_field)  # type: ignore[arg-type]


def _row_record(n: int, row: dict[str, Any], id_field: str) -> Record:
    rid = row.get(id_field)
    return Record(n, str(rid) if rid is not None else str(n), row)


def _parquet(path: Path, id_field: str) -> Iterator[Record]:
    import pyarrow.parquet as pq
    n = 0
    with pq.ParquetFile(path) as pf:
        for batch in pf.iter_batches(batch_size=ROW_BATCH):
            for row in batch.to_pylist():
                n += 1
                yield _row_record(n, row, id_field)


def open_arrow(path: Path) -> Any:
    """A record-batch reader for an Arrow file: IPC stream format first (what ``save_to_disk``
    writes), then the random-access file format."""
    import pyarrow as pa
    import pyarrow.ipc as ipc
    try:
        return ipc.open_stream(pa.memory_map(str(path)))
    except pa.ArrowInvalid:
        return ipc.open_file(pa.memory_map(str(path)))


def _arrow(path: Path, id_field: str) -> Iterator[Record]:
    reader = open_arrow(path)
    n = 0
    if hasattr(reader, "read_next_batch") and not hasattr(reader, "num_record_batches"):
        batches: Iterator[Any] = iter(reader)
    else:
        batches = (reader.get_batch(i) for i in range(reader.num_record_batches))
    for batch in batches:
        for row in batch.to_pylist():
            n += 1
            yield _row_record(n, row, id_field)


def _json_is_lines(path: Path) -> bool:
    """``.json`` holds JSON Lines under the wrong extension (common) when it does not start with
    an array and its first line is a JSON value on its own."""
    with open_binary(path) as fh:
        head = fh.read(65536)
    stripped = head.lstrip()
    if stripped.startswith(b"["):
        return False
    try:
        json.loads(stripped.split(b"\n", 1)[0])
    except ValueError:
        return False
    return True


def _json(path: Path, limits: DecodeLimits, id_field: str) -> Iterator[Record]:
    """``.json`` that is not JSON Lines: a top-level array of records or a single document."""
    with open_binary(path) as fh:
        raw = fh.read()
    try:
        text = decode_text(raw, DecodeLimits(max_bytes=max(len(raw), 1), max_depth=limits.max_depth))
    except DecodeError as exc:
        yield Record(1, "1", error=exc)
        return
    yield from _json_document(text, id_field)


def _json_document(text: str, id_field: str) -> Iterator[Record]:
    decoder = json.JSONDecoder()
    pos = len(text) - len(text.lstrip())
    line = text.count("\n", 0, pos) + 1
    if not text.startswith("[", pos):
        try:
            value, _ = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            yield Record(exc.lineno, str(exc.lineno), error=DecodeError("invalid_json", f"{exc.msg} at column {exc.colno}"))
            return
        yield Record(line, str(line), value)
        return
    pos += 1
    counted, line_at = 0, 1  # lines are counted incrementally: a large array stays linear
    while True:
        while pos < len(text) and text[pos] in " \t\r\n,":
            pos += 1
        if pos >= len(text) or text[pos] == "]":
            return
        line_at += text.count("\n", counted, pos)
        counted, line = pos, line_at
        try:
            value, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            yield Record(exc.lineno, str(exc.lineno), error=DecodeError("invalid_json", f"{exc.msg} at column {exc.colno}"))
            return
        rid = value.get(id_field) if isinstance(value, dict) else None
        yield Record(line, str(rid) if rid is not None else str(line), value)


def file_size(src: Source) -> int:
    try:
        return src.path.stat().st_size
    except OSError:
        return 0
