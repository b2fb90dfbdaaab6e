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
