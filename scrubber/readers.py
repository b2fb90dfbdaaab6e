"""Reading sample files record by record for the CLI tools (detect, scrub, audit).

Bad input never stops a run: every record comes back with its 1-based line number and either a
value or a ``DecodeError`` naming what is wrong with it (invalid UTF-8, not JSON, too large, too
deep). Compressed files (.gz, .zst) are read as streams, so memory stays bounded.
"""
from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Literal

from scrubber.decode import DecodeError, DecodeLimits, decode_text, parse_json

FileFormat = Literal["auto", "text", "jsonl", "csv", "tsv"]


@dataclass
class Record:
    line: int
    id: str
    value: Any = None
    error: DecodeError | None = None


def open_binary(path: Path) -> IO[bytes]:
    """A binary stream of the file's content, decompressing .gz and .zst transparently."""
    if path.suffix == ".gz":
        return gzip.open(path, "rb")
    if path.suffix == ".zst":
        # zstandard's stream_reader has no readline and ends silently on a truncated frame
        # (records would vanish unreported): decode frame by frame and raise EOFError instead.
        return io.BufferedReader(_ZstdFrames(path.open("rb")))
    return path.open("rb")


class _ZstdFrames(io.RawIOBase):
    """A zstd file as a raw stream: concatenated frames, EOFError when the last one is cut short."""

    def __init__(self, raw: IO[bytes], chunk: int = 1 << 16) -> None:
        import zstandard
        self._raw, self._chunk, self._new = raw, chunk, zstandard.ZstdDecompressor().decompressobj
        self._dec = self._new()
        self._buf, self._pos = b"", 0
        self._started = False  # bytes of the current frame were fed

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:  # type: ignore[no-untyped-def]
        while self._pos >= len(self._buf):
            self._buf, self._pos = b"", 0
            data = self._raw.read(self._chunk)
            if not data:
                if self._started and not self._dec.eof:
                    raise EOFError("zstd stream ended before the end of its frame")
                return 0
            while data:
                self._started = True
                self._buf += self._dec.decompress(data)
                data = b""
                if self._dec.eof:
                    data = self._dec.unused_data
                    self._dec, self._started = self._new(), False
        n = min(len(b), len(self._buf) - self._pos)
        b[:n] = self._buf[self._pos:self._pos + n]
        self._pos += n
        return n

    def close(self) -> None:
        self._raw.close()
        super().close()


def detect_format(path: Path) -> FileFormat:
    suffixes = [s for s in path.suffixes if s not in (".gz", ".zst")]
    ext = suffixes[-1].lower() if suffixes else ""
    return {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".csv": "csv", ".tsv": "tsv"}.get(ext, "text")


def read_records(path: Path, fmt: FileFormat = "auto", limits: DecodeLimits | None = None,
                 id_field: str = "id") -> Iterator[Record]:
    """Every record of the file in line order, readable or not. A stream that fails part-way
    (truncated gzip) raises after the records read before the failure."""
    limits = limits or DecodeLimits()
    fmt = detect_format(path) if fmt == "auto" else fmt
    if fmt in ("csv", "tsv"):
        yield from _read_csv(path, limits, "\t" if fmt == "tsv" else ",")
        return
    for batch in read_batches(path, fmt, limits, id_field):
        yield from batch.records()
        if batch.broken is not None:
            raise batch.broken


@dataclass
class RecordBatch:
    """Up to ``size`` readable records of one file as parallel lists (no object per record: the
    release check reads millions of lines), and the unreadable records met on the way.

    ``broken`` is the exception that stopped reading the stream, on the last batch only, so the
    records read before it are not lost with it."""

    lines: list[int] = field(default_factory=list)
    values: list[Any] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)      # empty unless asked for
    errors: list[Record] = field(default_factory=list)
    broken: Exception | None = None

    @property
    def last_line(self) -> int:
        """The line of the last record (readable or not) in the batch, 0 if it has none."""
        return max(self.lines[-1] if self.lines else 0, self.errors[-1].line if self.errors else 0)

    def records(self) -> Iterator[Record]:
        """The batch as ``Record``s in line order (needs the ids)."""
        errors = iter(self.errors)
        err = next(errors, None)
        for line, value, rid in zip(self.lines, self.values, self.ids):
            while err is not None and err.line < line:
                yield err
                err = next(errors, None)
            yield Record(line, rid, value)
        if err is not None:
            yield err
            yield from errors


def read_batches(path: Path, fmt: Literal["text", "jsonl"], limits: DecodeLimits, id_field: str = "id",
                 size: int = 1024, with_ids: bool = True) -> Iterator[RecordBatch]:
    """A text or JSON Lines file in batches of ``size`` readable records. Text lines are records
    as they are (blank ones too); JSON Lines skips blank lines. A record's id is the ``id_field``
    of a JSON object, else its line number; ``with_ids=False`` leaves ids out."""
    text_only = fmt == "text"
    batch = RecordBatch()
    n = 0
    try:
        with open_binary(path) as fh:
            for raw in fh:
                n += 1
                try:
                    value = decode_text(raw.rstrip(b"\r\n"), limits)
                    if not text_only:
                        if not value.strip():
                            continue
                        value = parse_json(value, limits)
                except DecodeError as exc:
                    batch.errors.append(Record(n, str(n), error=exc))
                    continue
                batch.lines.append(n)
                batch.values.append(value)
                if with_ids:
                    rid = value.get(id_field) if not text_only and isinstance(value, dict) else None
                    batch.ids.append(str(rid) if rid is not None else str(n))
                if len(batch.values) >= size:
                    yield batch
                    batch = RecordBatch()
    except Exception as exc:  # noqa: BLE001 - handed to the caller with the records read before it
        batch.broken = exc
    if batch.values or batch.errors or batch.broken is not None:
        yield batch


def _read_csv(path: Path, limits: DecodeLimits, delimiter: str) -> Iterator[Record]:
    with open_binary(path) as fh:
        text = io.TextIOWrapper(fh, encoding="utf-8", errors="strict", newline="")
        reader = csv.reader(text, delimiter=delimiter)
        header: list[str] | None = None
        while True:
            line = reader.line_num + 1
            try:
                row = next(reader)
            except StopIteration:
                return
            except UnicodeDecodeError as exc:
                yield Record(line, str(line), error=DecodeError("invalid_utf8", f"byte offset {exc.start}"))
                return  # the decoder cannot resynchronise inside a CSV stream
            except csv.Error as exc:
                yield Record(line, str(line), error=DecodeError("invalid_csv", str(exc)))
                continue
            if header is None:
                header = row
                continue
            if len(row) != len(header):
                yield Record(line, str(line), error=DecodeError(
                    "ragged_row", f"{len(row)} cells, header has {len(header)}"))
                continue
            if sum(map(len, row)) > limits.max_bytes:
                yield Record(line, str(line), error=DecodeError("too_large", f"row longer than {limits.max_bytes}"))
                continue
            yield Record(line, str(line), dict(zip(header, row)))
