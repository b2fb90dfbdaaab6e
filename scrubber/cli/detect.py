"""``scrubber detect FILE``: every finding, with its score, as JSONL; the interface evaluation
tools use. One output line per input record, in input order:

    {"id": "...", "spans": [{"start", "end", "label", "score", "detector", "category"}]}

``label`` is the entity (Presidio's names); ``category`` the coarse label of the dev corpora.
Records that cannot be read carry ``"error"`` and no spans."""
from __future__ import annotations

import json
import sys
from itertools import islice
from pathlib import Path
from typing import Optional

import typer

from detectors.entities import category_of
from detectors.finding import Finding
from scrubber.cli.app import ConfigOption, NerOption, app, detector_settings, fail, load_config
from scrubber.readers import Record, read_records

BATCH = 256


def span_dict(f: Finding) -> dict:
    return {**f.to_dict(), "category": category_of(f.entity)}


@app.command()
def detect(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="text lines or JSONL"),
    text_field: str = typer.Option("text", help="JSONL: the field holding the text"),
    id_field: str = typer.Option("id", help="JSONL: the record id field (default: line number)"),
    fmt: str = typer.Option("auto", "--format", help="auto | text | jsonl"),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="write here instead of stdout"),
    all_findings: bool = typer.Option(False, "--all", help="overlapping findings too (no resolution)"),
    config: Optional[Path] = ConfigOption,
    ner: Optional[str] = NerOption,
) -> None:
    """Report everything the detectors find, with scores (dates, places, organizations included)."""
    from detectors.registry import build_stack

    if fmt not in ("auto", "text", "jsonl"):
        raise fail("--format must be auto, text or jsonl")
    cfg = load_config(config)
    stack = build_stack(detector_settings(cfg, ner))
    out = output.open("w", encoding="utf-8") if output else sys.stdout
    errors = 0
    try:
        records = read_records(file, fmt, id_field=id_field)  # type: ignore[arg-type]
        while chunk := list(islice(records, BATCH)):
            texts, rows = [], []
            for rec in chunk:
                text, error = _text_of(rec, text_field)
                rows.append((rec, error))
                if error is None:
                    texts.append(text)
            detections = iter(stack.detect_batch(texts, resolve_overlaps=not all_findings))
            for rec, error in rows:
                row: dict = {"id": rec.id}
                if error is None:
                    det = next(detections)
                    error = det.failure
                    row["spans"] = [span_dict(f) for f in det.findings]
                else:
                    row["spans"] = []
                if error:
                    errors += 1
                    row["error"] = error
                    typer.echo(f"{file}:{rec.line}: {error}", err=True)
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
    finally:
        if output:
            out.close()
    if errors:
        typer.echo(f"{errors} record(s) could not be scanned (see above)", err=True)


def _text_of(rec: Record, text_field: str) -> tuple[str, str | None]:
    if rec.error is not None:
        return "", str(rec.error)
    if isinstance(rec.value, str):
        return rec.value, None
    if not isinstance(rec.value, dict):
        return "", "not_an_object"
    text = rec.value.get(text_field)
    if text is None:
        return "", f"missing_field: {text_field}"
    if not isinstance(text, str):
        return "", f"not_text: {text_field}"
    return text, None
