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
from dataclasses import dataclass
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
        import zstandard
        # BufferedReader: the raw zstd reader has no readline, so line iteration would fail
        return io.BufferedReader(zstandard.ZstdDecompressor().stream_reader(path.open("rb"), read_across_frames=True))
    return path.open("rb")


def detect_format(path: Path) -> FileFormat:
    suffixes = [s for s in path.suffixes if s not in (".gz", ".zst")]
    ext = suffixes[-1].lower() if suffixes else ""
    return {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".csv": "csv", ".tsv": "tsv"}.get(ext, "text")


def read_records(path: Path, fmt: FileFormat = "auto", limits: DecodeLimits | None = None,
                 id_field: str = "id") -> Iterator[Record]:
    limits = limits or DecodeLimits()
    fmt = detect_format(path) if fmt == "auto" else fmt
    if fmt in ("csv", "tsv"):
        yield from _read_csv(path, limits, "\t" if fmt == "tsv" else ",")
        return
    with open_binary(path) as fh:
        for n, raw in enumerate(fh, start=1):
            raw = raw.rstrip(b"\r\n")
            try:
                text = decode_text(raw, limits)
                if fmt == "text":
                    yield Record(n, str(n), text)
                    continue
                if not text.strip():
                    continue
                value = parse_json(text, limits)
            except DecodeError as exc:
                yield Record(n, str(n), error=exc)
                continue
            rid = value.get(id_field) if isinstance(value, dict) else None
            yield Record(n, str(rid) if rid is not None else str(n), value)


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
